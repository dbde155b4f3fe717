/**
 * `kubeling why daemonset/NAME`: which nodes get no daemon pod and why (a taint its pods do not tolerate,
 * a nodeSelector or node affinity the node's labels miss), then whether the pods it has are up to date
 * and Ready, answering with the pod that is not. The per-node verdict redoes the DaemonSet controller's
 * own test (should a pod run there?) on the template with the tolerations every daemon pod is given.
 */
import type { DaemonSet, DaemonSetStatus, Event, Node, Pod, Taint, Toleration } from '../../api/index.ts';
import { podMatchesNodeSelectorAndAffinityTerms, untoleratedTaint } from '../../api/index.ts';
import { eventLines, latestEvent, type Answer } from './answer.ts';
import { conditionLines, isPodActive, isPodReady, labelsText, notReadyClause, ownedBy, podAnswerLines } from './owned.ts';

export interface DaemonSetFacts {
  daemonSet: DaemonSet;
  events: readonly Event[];
  nodes: readonly Node[];
  /** The pods it owns. */
  pods: readonly Pod[];
  /** The answer for the pod `daemonSetPodToExplain` picked, when there is one. */
  podAnswer?: Answer;
  now: number;
}

/**
 * The tolerations upstream's DaemonSet controller adds to every daemon pod (so a cordoned or pressured node
 * still gets one); network-unavailable only with hostNetwork. The controller's own list lives server-side,
 * which cli may not import.
 */
function daemonTolerations(hostNetwork: boolean): Toleration[] {
  const keys = ['disk-pressure', 'memory-pressure', 'pid-pressure', 'unschedulable', ...(hostNetwork ? ['network-unavailable'] : [])];
  return [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    ...keys.map((k) => ({ key: `node.kubernetes.io/${k}`, operator: 'Exists' as const, effect: 'NoSchedule' as const })),
  ];
}

const taintText = (t: Taint) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;

/** Why `node` gets no pod of `ds`, or undefined when it should run one. */
export function whyNoDaemonPod(ds: DaemonSet, node: Node): string | undefined {
  const spec = ds.spec?.template?.spec;
  const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: {}, spec: { ...spec, containers: spec?.containers ?? [], nodeName: undefined } };
  const name = node.metadata?.name;
  if (spec?.nodeName && spec.nodeName !== name) return `the template names node ${spec.nodeName}`;
  if (!podMatchesNodeSelectorAndAffinityTerms(pod, node)) {
    const sel = labelsText(spec?.nodeSelector);
    return sel ? `lacks the labels of its nodeSelector (${sel})` : 'does not match its node affinity';
  }
  const tolerations = [...(spec?.tolerations ?? []), ...daemonTolerations(spec?.hostNetwork === true)];
  const taint = untoleratedTaint(node.spec?.taints, tolerations, ['NoSchedule', 'NoExecute']);
  if (taint) return `has the taint ${taintText(taint)}, which its pods do not tolerate`;
  return undefined;
}

/** A pod worth explaining: active and not Ready (the first by node name, so the answer is stable). */
export function daemonSetPodToExplain(ds: DaemonSet, pods: readonly Pod[]): Pod | undefined {
  return ownedBy(ds.metadata?.uid, pods)
    .filter((p) => isPodActive(p) && !isPodReady(p))
    .sort((a, b) => (a.spec?.nodeName ?? '').localeCompare(b.spec?.nodeName ?? '') || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))[0];
}

export function explainDaemonSet(facts: DaemonSetFacts): Answer {
  const { daemonSet: ds, now, podAnswer } = facts;
  const name = `daemonset/${ds.metadata?.name}`;
  const st: Partial<DaemonSetStatus> = ds.status ?? {};
  const skipped = facts.nodes.map((n) => ({ node: n.metadata?.name ?? '', why: whyNoDaemonPod(ds, n) })).filter((v) => v.why);
  const eligible = facts.nodes.length - skipped.length;
  const mine = ownedBy(ds.metadata?.uid, facts.pods).filter(isPodActive);
  const onNode = new Set(mine.map((p) => p.spec?.nodeName ?? p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms?.[0]?.matchFields?.[0]?.values?.[0]));
  const missing = facts.nodes.filter((n) => !skipped.some((s) => s.node === n.metadata?.name) && !onNode.has(n.metadata?.name)).map((n) => n.metadata?.name ?? '');
  const desired = st.desiredNumberScheduled ?? eligible;
  const ready = st.numberReady ?? 0;
  const evidence = [
    `pods: ${desired} desired, ${st.currentNumberScheduled ?? 0} scheduled, ${st.updatedNumberScheduled ?? 0} up to date, ${ready} ready, ${st.numberAvailable ?? 0} available${st.numberMisscheduled ? `, ${st.numberMisscheduled} on nodes that should not run one` : ''}`,
    ...skipped.map((s) => `node ${s.node}: gets no pod: it ${s.why}`),
    ...mine.map((p) => `pod ${p.metadata?.name} on node ${p.spec?.nodeName ?? '(not scheduled)'}: ${p.status?.phase ?? 'Pending'}, ${isPodReady(p) ? 'Ready' : 'not Ready'}`),
    ...conditionLines(st.conditions, now),
    ...eventLines(facts.events, now),
    ...podAnswerLines(podAnswer),
  ];
  const done = (sentence: string, healthy = false): Answer => ({ sentence, evidence, healthy });
  const skippedText = skipped.map((s) => `node ${s.node} ${s.why}`).join('; ');

  if (facts.nodes.length > 0 && eligible === 0) return done(`${name} runs on no node: ${skippedText}.`);
  const failed = latestEvent(facts.events, 'FailedCreate');
  if (missing.length && failed) return done(`${name} cannot create its pods: ${(failed.message ?? '').replace(/^Error creating: /, '').trim().replace(/\.$/, '')}.`);
  if (missing.length) return done(`${name} has no pod yet on node ${missing.join(', ')} (${mine.length} of ${eligible} created).`);
  const unready = mine.filter((p) => !isPodReady(p));
  if (unready.length) {
    const where = unready.map((p) => p.spec?.nodeName ?? p.metadata?.name).join(', ');
    return done(`${name} has ${unready.length} of ${mine.length} pods not Ready (on ${where}).${notReadyClause(podAnswer)}`);
  }
  const others = skipped.length ? `; ${skipped.length} node(s) get no pod: ${skippedText}` : '';
  const updated = st.updatedNumberScheduled ?? desired;
  if (updated < desired) return done(`${name} is rolling out: ${updated} of ${desired} pods up to date, all Ready${others}.`);
  return done(`${name} is ready on ${eligible === 1 ? 'its node' : `all ${eligible} nodes`} it should run on${others}.`, true);
}
