/**
 * `kubeling why statefulset/NAME`: whether every replica NAME-0..N-1 exists and is Ready, and if not, which
 * ordinal holds the set and why. With OrderedReady (the default) the controller creates NAME-i only once
 * NAME-(i-1) is Running and Ready, so a set stuck at web-1 is answered with web-0's pod answer; a pod's
 * claim from volumeClaimTemplates that is not Bound is named too, since an unbound claim keeps the pod
 * Pending.
 */
import type { Event, PersistentVolumeClaim, Pod, StatefulSet, StatefulSetStatus } from '../../api/index.ts';
import { eventLines, latestEvent, type Answer } from './answer.ts';
import { conditionLines, isPodReady, notReadyClause, ownedBy, podAnswerLines } from './owned.ts';

export interface StatefulSetFacts {
  statefulSet: StatefulSet;
  events: readonly Event[];
  /** The pods it owns. */
  pods: readonly Pod[];
  /** The claims in its namespace (those of its volumeClaimTemplates are picked out by name). */
  claims: readonly PersistentVolumeClaim[];
  /** The answer for the pod `statefulSetPodToExplain` picked, when there is one. */
  podAnswer?: Answer;
  now: number;
}

/** The ordinal of `NAME-i`, or undefined. */
function ordinalOf(setName: string, podName: string | undefined): number | undefined {
  const m = podName?.startsWith(`${setName}-`) ? /^(\d+)$/.exec(podName.slice(setName.length + 1)) : null;
  return m ? Number(m[1]) : undefined;
}

/** The set's pods by ordinal (only those it owns). */
function podsByOrdinal(sts: StatefulSet, pods: readonly Pod[]): Map<number, Pod> {
  const out = new Map<number, Pod>();
  for (const p of ownedBy(sts.metadata?.uid, pods)) {
    const i = ordinalOf(sts.metadata?.name ?? '', p.metadata?.name);
    if (i !== undefined) out.set(i, p);
  }
  return out;
}

/** The lowest-ordinal pod that exists and is not Ready (it is the one that holds an OrderedReady set). */
export function statefulSetPodToExplain(sts: StatefulSet, pods: readonly Pod[]): Pod | undefined {
  const byOrdinal = podsByOrdinal(sts, pods);
  return [...byOrdinal.keys()].sort((a, b) => a - b).map((i) => byOrdinal.get(i)!).find((p) => !isPodReady(p));
}

export function explainStatefulSet(facts: StatefulSetFacts): Answer {
  const { statefulSet: sts, now, podAnswer } = facts;
  const setName = sts.metadata?.name ?? '';
  const name = `statefulset/${setName}`;
  const want = sts.spec?.replicas ?? 1;
  const st: Partial<StatefulSetStatus> = sts.status ?? {};
  const policy = sts.spec?.podManagementPolicy ?? 'OrderedReady';
  const byOrdinal = podsByOrdinal(sts, facts.pods);
  const evidence = [
    `replicas: ${want} desired, ${st.replicas ?? 0} created, ${st.readyReplicas ?? 0} ready, ${st.updatedReplicas ?? 0} up to date; podManagementPolicy ${policy}`,
  ];
  for (let i = 0; i < Math.max(want, byOrdinal.size); i++) {
    const p = byOrdinal.get(i);
    evidence.push(`pod ${setName}-${i}: ${!p ? 'not created' : p.metadata?.deletionTimestamp ? 'terminating' : `${p.status?.phase ?? 'Pending'}, ${isPodReady(p) ? 'Ready' : 'not Ready'}`}`);
  }
  const claimNames = (i: number) => (sts.spec?.volumeClaimTemplates ?? []).map((t) => `${t.metadata?.name}-${setName}-${i}`);
  const claimOf = new Map(facts.claims.map((c) => [c.metadata?.name, c]));
  for (let i = 0; i < want; i++) {
    for (const claim of claimNames(i)) {
      const c = claimOf.get(claim);
      evidence.push(`claim ${claim}: ${c ? c.status?.phase ?? 'Pending' : 'not created'}${c?.spec?.storageClassName ? ` (storageClass ${c.spec.storageClassName})` : ''}`);
    }
  }
  evidence.push(...conditionLines(st.conditions, now), ...eventLines(facts.events, now), ...podAnswerLines(podAnswer));
  const done = (sentence: string, healthy = false): Answer => ({ sentence, evidence, healthy });

  // The ordinal that holds the set: the first not Ready, or the first missing.
  let holding: number | undefined;
  for (let i = 0; i < want; i++) {
    const p = byOrdinal.get(i);
    if (!p || !isPodReady(p)) {
      holding = i;
      break;
    }
  }
  const observed = (st.observedGeneration ?? 0) >= (sts.metadata?.generation ?? 0);
  const surplus = [...byOrdinal.keys()].filter((i) => i >= want);
  if (holding === undefined) {
    if (surplus.length) return done(`${name} is scaling down: ${setName}-${Math.max(...surplus)} is being removed (${want} wanted, all Ready).`);
    const updating = observed && st.updateRevision && st.currentRevision !== st.updateRevision && (st.updatedReplicas ?? 0) < want;
    if (updating) return done(`${name} is rolling out: ${st.updatedReplicas ?? 0} of ${want} replicas updated, all Ready.`);
    return done(`${name} is ready: ${want} of ${want} replicas Ready.`, true);
  }
  const pod = `${setName}-${holding}`;
  const pending = claimNames(holding).filter((c) => claimOf.get(c)?.status?.phase !== 'Bound');
  const claimClause = pending.length ? ` Its claim ${pending.join(', ')} is ${claimOf.get(pending[0])?.status?.phase ?? 'not created'}.` : '';
  if (!byOrdinal.has(holding)) {
    const failed = latestEvent(facts.events, 'FailedCreate');
    if (failed) return done(`${name} cannot create ${pod}: ${(failed.message ?? '').trim().replace(/\.$/, '')}.${claimClause}`);
    return done(`${name} is creating ${pod} (${holding} of ${want} replicas Ready).${claimClause}`);
  }
  const next = holding + 1 < want && !byOrdinal.has(holding + 1) && policy === 'OrderedReady'
    ? `is stuck at ${setName}-${holding + 1}: ${pod} is not Ready, and with OrderedReady the next pod is created only once the one before it is Running and Ready`
    : `has ${pod} not Ready (${(st.readyReplicas ?? 0)} of ${want} replicas Ready)`;
  return done(`${name} ${next}.${claimClause}${notReadyClause(podAnswer)}`);
}
