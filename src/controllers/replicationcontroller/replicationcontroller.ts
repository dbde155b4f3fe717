/**
 * The ReplicationController manager (upstream's pkg/controller/replication): the ReplicaSet controller run
 * over core/v1 ReplicationControllers, whose selector is a plain label map. Everything else (creates,
 * deletes, adoption, expectations, status, events) is the ReplicaSet controller's.
 */
import type { ReplicaSet, ReplicationController } from '../../api/index.ts';
import { ReplicaSetController, type ReplicaSetControllerConfig, type ReplicatedKind } from '../replicaset/replicaset.ts';

export const REPLICATION_CONTROLLER_KIND: ReplicatedKind = {
  kind: 'ReplicationController',
  apiVersion: 'v1',
  plural: 'replicationcontrollers',
  controllerName: 'replication-controller',
  selector: (obj: ReplicaSet) => {
    const sel = (obj as unknown as ReplicationController).spec?.selector;
    // An empty selector selects nothing here (validation refuses it; defaulting fills it from the template).
    return sel && Object.keys(sel).length > 0 ? { matchLabels: sel } : { matchLabels: { 'kubeling.io/no-selector': '' }, matchExpressions: [{ key: 'kubeling.io/no-selector', operator: 'DoesNotExist' }] };
  },
};

export type ReplicationManagerConfig = Omit<ReplicaSetControllerConfig, 'kind'>;

export class ReplicationManager extends ReplicaSetController {
  constructor(config: ReplicationManagerConfig) {
    super({ ...config, kind: REPLICATION_CONTROLLER_KIND });
  }
}
