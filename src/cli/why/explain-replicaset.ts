/**
 * `kubeling why replicaset/NAME`: whether its replicas exist and are Ready: ReplicaFailure (it cannot create
 * pods, e.g. a quota), else the answer for one pod that is not Ready.
 */
import type { Event, Pod, ReplicaSet } from '../../api/index.ts';
import { eventLines, type Answer } from './answer.ts';
import { conditionLines, isPodActive, isPodReady, notReadyClause, ownedBy, podAnswerLines } from './owned.ts';

export interface ReplicaSetFacts {
  replicaSet: ReplicaSet;
  events: readonly Event[];
  podAnswer?: Answer;
  now: number;
}

/** An active pod of the ReplicaSet that is not Ready. */
export function replicaSetPodToExplain(rs: ReplicaSet, pods: readonly Pod[]): Pod | undefined {
  return ownedBy(rs.metadata?.uid, pods).find((p) => isPodActive(p) && !isPodReady(p));
}

export function explainReplicaSet(facts: ReplicaSetFacts): Answer {
  const { replicaSet: rs, now, podAnswer } = facts;
  const name = `replicaset/${rs.metadata?.name}`;
  const want = rs.spec?.replicas ?? 1;
  const st = rs.status ?? { replicas: 0 };
  const ready = st.readyReplicas ?? 0;
  const owner = rs.metadata?.ownerReferences?.find((o) => o.controller);
  const evidence = [
    `replicas: ${want} desired, ${st.replicas ?? 0} created, ${ready} ready, ${st.availableReplicas ?? 0} available${owner ? `; owned by ${owner.kind.toLowerCase()}/${owner.name}` : ''}`,
    ...conditionLines(st.conditions, now),
    ...eventLines(facts.events, now),
    ...podAnswerLines(podAnswer),
  ];
  const done = (sentence: string, healthy = false): Answer => ({ sentence, evidence, healthy });
  const failure = st.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  if (failure) return done(`${name} cannot create its pods: ${(failure.message ?? failure.reason ?? '').replace(/\.$/, '')}.`);
  if (ready >= want && (st.replicas ?? 0) === want) return done(`${name} is ready: ${want} of ${want} replicas Ready.`, true);
  if ((st.replicas ?? 0) > want) return done(`${name} is scaling down: ${st.replicas} pods, ${want} wanted.`);
  return done(`${name} has ${ready} of ${want} replicas Ready.${notReadyClause(podAnswer)}`);
}
