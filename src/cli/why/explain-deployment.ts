/**
 * `kubeling why deployment/NAME`: whether the rollout is done and the replicas available, and if not, why:
 * the Deployment's own conditions (Progressing=False with ProgressDeadlineExceeded, ReplicaFailure, Available),
 * then the answer for one pod that is not Ready, taken from the newest ReplicaSet (the one the rollout waits
 * on), so the sentence reaches the actual cause (an image that cannot be pulled, a failing probe, ...).
 */
import type { Deployment, Event, Pod, ReplicaSet } from '../../api/index.ts';
import { ago, eventLines, type Answer } from './answer.ts';

export interface DeploymentFacts {
  deployment: Deployment;
  events: readonly Event[];
  /** The answer for the pod `podToExplain` picked, when there is one. */
  podAnswer?: Answer;
  now: number;
}

const isReady = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** The pod worth explaining: not Ready, from the newest ReplicaSet the Deployment owns (by revision). */
export function podToExplain(deployment: Deployment, replicaSets: readonly ReplicaSet[], pods: readonly Pod[]): Pod | undefined {
  const uid = deployment.metadata?.uid;
  const owned = replicaSets
    .filter((rs) => rs.metadata?.ownerReferences?.some((o) => o.uid === uid && o.controller))
    .sort((a, b) => revision(b) - revision(a));
  for (const rs of owned) {
    const mine = pods.filter((p) => !p.metadata?.deletionTimestamp && p.metadata?.ownerReferences?.some((o) => o.uid === rs.metadata?.uid && o.controller));
    const unready = mine.find((p) => !isReady(p));
    if (unready) return unready;
  }
  return undefined;
}

function revision(rs: ReplicaSet): number {
  return Number(rs.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0);
}

export function explainDeployment(facts: DeploymentFacts): Answer {
  const { deployment: d, now } = facts;
  const name = `deployment/${d.metadata?.name}`;
  const want = d.spec?.replicas ?? 1;
  const st = d.status ?? {};
  const updated = st.updatedReplicas ?? 0;
  const available = st.availableReplicas ?? 0;
  const unavailable = st.unavailableReplicas ?? Math.max(0, want - available);
  const evidence: string[] = [
    `replicas: ${want} desired, ${updated} up to date, ${st.readyReplicas ?? 0} ready, ${available} available, ${unavailable} unavailable`,
  ];
  for (const c of st.conditions ?? []) {
    const why = [c.reason, c.message].filter(Boolean).join(': ');
    evidence.push(`condition ${c.type}=${c.status}${c.lastUpdateTime ? ` updated ${ago(c.lastUpdateTime, now)}` : ''}${why ? ` (${why})` : ''}`);
  }
  evidence.push(...eventLines(facts.events, now));
  if (facts.podAnswer) evidence.push(`${facts.podAnswer.sentence}`, ...facts.podAnswer.evidence.map((l) => `  ${l}`));
  const because = facts.podAnswer && !facts.podAnswer.healthy ? ` Not ready: ${facts.podAnswer.sentence}` : '';
  const done = (sentence: string, healthy = false): Answer => ({ sentence: `${sentence}${healthy ? '' : because}`, evidence, healthy });

  const failure = st.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  if (failure) return done(`${name} cannot create its pods: ${(failure.message ?? failure.reason ?? '').replace(/\.$/, '')}.`);
  const progressing = st.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
    return done(`${name} is stuck: its rollout made no progress for ${d.spec?.progressDeadlineSeconds ?? 600}s (ProgressDeadlineExceeded), ${unavailable} of ${want} replicas unavailable.`);
  }
  if (d.spec?.paused) return done(`${name} is paused: its rollout waits for \`kubectl rollout resume deployment/${d.metadata?.name}\` (${updated} of ${want} replicas up to date).`);
  const observed = (st.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
  if (observed && updated === want && available >= want && (st.replicas ?? 0) === want) {
    return done(`${name} is rolled out: ${want} of ${want} replicas up to date and available.`, true);
  }
  if (updated < want || (st.replicas ?? 0) > updated) {
    return done(`${name} is rolling out: ${updated} of ${want} replicas up to date, ${available} available.`);
  }
  return done(`${name} is not available: ${unavailable} of ${want} replicas unavailable.`);
}
