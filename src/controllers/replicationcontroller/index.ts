/** The ReplicationController manager: the ReplicaSet controller over core/v1 ReplicationControllers. */
export { ReplicationManager, REPLICATION_CONTROLLER_KIND, type ReplicationManagerConfig } from './replicationcontroller.ts';
