/** DefaultBinder: binds through the API, `POST pods/{name}/binding` with the target node (as kube-scheduler). */
import type { Binding, Pod } from '../../../api/index.ts';
import type { Client } from '../../../client/index.ts';
import { errorStatus, type BindPlugin, type CycleState, type Status } from '../../framework/index.ts';

export class DefaultBinder implements BindPlugin {
  readonly name = 'DefaultBinder';
  readonly #client: Client;

  constructor(client: Client) {
    this.#client = client;
  }

  async bind(_state: CycleState, pod: Pod, nodeName: string, signal: AbortSignal): Promise<Status | undefined> {
    const binding: Binding = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: pod.metadata!.name!, namespace: pod.metadata!.namespace, uid: pod.metadata?.uid },
      target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
    };
    try {
      await this.#client.resource('pods', pod.metadata!.namespace).subresource('binding').create(pod.metadata!.name!, binding, { signal });
      return undefined;
    } catch (err) {
      return errorStatus(err);
    }
  }
}
