/** The StatefulSet controller and the pure pod/claim identities it builds on. */
export { StatefulSetController, type StatefulSetControllerConfig } from './statefulset.ts';
export { claimName, claimsFor, ordinalOf, podFor, podName, updateRevision, POD_INDEX_LABEL, POD_NAME_LABEL, REVISION_LABEL } from './identity.ts';
