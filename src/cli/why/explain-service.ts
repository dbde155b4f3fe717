/**
 * `kubeling why service/NAME`: whether the Service has ready endpoints, and if not, why: it selects no pod
 * (its selector matches none in the namespace), the pods it selects are not Ready (which ones, and the pod
 * answer for one of them), a named targetPort no selected pod declares, or it has no ports. Endpoints are
 * read from its EndpointSlices, what kube-proxy programs.
 */
import type { EndpointSlice, Event, Pod, Service } from '../../api/index.ts';
import { eventLines, type Answer } from './answer.ts';
import { isPodActive, isPodReady, labelsText, notReadyClause, podAnswerLines } from './owned.ts';

export interface ServiceFacts {
  service: Service;
  events: readonly Event[];
  /** Its EndpointSlices (labelled kubernetes.io/service-name). */
  slices: readonly EndpointSlice[];
  /** The pods in its namespace. */
  pods: readonly Pod[];
  /** The answer for the pod `servicePodToExplain` picked, when there is one. */
  podAnswer?: Answer;
  now: number;
}

/** The pods the Service's selector matches (a Service without a selector selects none). */
export function selectedPods(svc: Service, pods: readonly Pod[]): Pod[] {
  const sel = svc.spec?.selector;
  if (!sel || Object.keys(sel).length === 0) return [];
  return pods.filter((p) => isPodActive(p) && Object.entries(sel).every(([k, v]) => p.metadata?.labels?.[k] === v));
}

/** A selected pod that is not Ready. */
export function servicePodToExplain(svc: Service, pods: readonly Pod[]): Pod | undefined {
  return selectedPods(svc, pods).find((p) => !isPodReady(p));
}

/** Whether a pod declares a container port named `port`. */
const declares = (p: Pod, port: string) => (p.spec?.containers ?? []).some((c) => (c.ports ?? []).some((cp) => cp.name === port));

export function explainService(facts: ServiceFacts): Answer {
  const { service: svc, now, podAnswer } = facts;
  const name = `service/${svc.metadata?.name}`;
  const ns = svc.metadata?.namespace ?? 'default';
  const type = svc.spec?.type ?? 'ClusterIP';
  const ports = svc.spec?.ports ?? [];
  const selector = labelsText(svc.spec?.selector ?? undefined);
  const endpoints = facts.slices.flatMap((s) => (s.endpoints ?? []).map((e) => ({ e, ports: s.ports ?? [] })));
  const ready = endpoints.filter(({ e }) => e.conditions?.ready !== false);
  const selected = selectedPods(svc, facts.pods);
  const evidence = [
    `type ${type}${svc.spec?.clusterIP ? `, clusterIP ${svc.spec.clusterIP}` : ''}, ports ${ports.length ? ports.map((p) => `${p.name ? `${p.name} ` : ''}${p.port}->${p.targetPort ?? p.port}/${p.protocol ?? 'TCP'}`).join(', ') : 'none'}`,
    `selector ${selector || 'none'}: matches ${selected.length} pod(s)${selected.length ? ` (${selected.map((p) => `${p.metadata?.name} ${isPodReady(p) ? 'Ready' : 'not Ready'}`).join(', ')})` : ''}`,
    ...endpoints.map(({ e, ports: ps }) => `endpoint ${e.addresses.join(',')}${e.targetRef ? ` (${e.targetRef.kind?.toLowerCase()}/${e.targetRef.name})` : ''}: ${e.conditions?.ready === false ? 'not ready' : 'ready'}${ps.length ? `, ports ${ps.map((p) => p.port).join(',')}` : ''}`),
    ...eventLines(facts.events, now),
    ...podAnswerLines(podAnswer),
  ];
  const done = (sentence: string, healthy = false): Answer => ({ sentence, evidence, healthy });

  if (type === 'ExternalName') return done(`${name} is an ExternalName service: a DNS alias for ${svc.spec?.externalName}, with no endpoints of its own.`, true);
  if (!selector) {
    if (ready.length) return done(`${name} has ${ready.length} ready endpoint(s); it has no selector, so they are the EndpointSlices made for it by hand.`, true);
    return done(`${name} has no endpoints: it has no selector, so only EndpointSlices (or Endpoints) you create for it give it any.`);
  }
  if (ports.length === 0 && svc.spec?.clusterIP !== 'None') return done(`${name} has no ports: traffic to it reaches nothing.`);
  if (selected.length === 0) return done(`${name} has no endpoints: its selector ${selector} matches no pod in namespace ${ns}.`);
  const named = ports.map((p) => p.targetPort).filter((t): t is string => typeof t === 'string');
  const undeclared = named.filter((t) => !selected.some((p) => declares(p, t)));
  if (undeclared.length) return done(`${name} has no endpoints for targetPort ${undeclared.join(', ')}: none of the ${selected.length} pod(s) its selector matches declares a container port by that name.`);
  const unready = selected.filter((p) => !isPodReady(p));
  if (ready.length === 0) {
    if (unready.length) {
      return done(`${name} has no ready endpoints: the ${unready.length} pod(s) its selector ${selector} matches are not Ready (${unready.map((p) => p.metadata?.name).join(', ')}).${notReadyClause(podAnswer)}`);
    }
    return done(`${name} has no ready endpoints yet: its selector matches ${selected.length} Ready pod(s), which the endpoint controller has not published.`);
  }
  const some = unready.length ? `; ${unready.length} selected pod(s) not Ready (${unready.map((p) => p.metadata?.name).join(', ')})` : '';
  return done(`${name} has ${ready.length} ready endpoint(s)${some}.`, true);
}
