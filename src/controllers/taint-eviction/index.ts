/** The taint manager: NoExecute taints → pod deletions after their tolerations. */
export { TaintEvictionController, DISRUPTION_REASON, DISRUPTION_MESSAGE, type TaintEvictionControllerConfig } from './taint-eviction.ts';
export { evictionDecision, matchingTolerations, minTolerationMs, toleratesTaint, noExecuteTaints, type EvictionDecision, type ScheduledEviction } from './tolerations.ts';
