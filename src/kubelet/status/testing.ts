/** An in-memory PodStatusWriter for kubelet unit tests: pods by namespace/name, counting status writes. */
import type { Pod, PodStatus } from '../kuberuntime/api.ts';
import type { PodStatusWriter } from './status-manager.ts';

export class MemoryPodStatusWriter implements PodStatusWriter {
  pods = new Map<string, Pod>();
  writes = 0;
  failNext: Error | undefined;

  add(pod: Pod): void {
    this.pods.set(`${pod.metadata?.namespace}/${pod.metadata?.name}`, structuredClone(pod));
  }
  get(pod: Pod): Pod | undefined {
    return this.pods.get(`${pod.metadata?.namespace}/${pod.metadata?.name}`);
  }
  async getPod(namespace: string, name: string): Promise<Pod | undefined> {
    const p = this.pods.get(`${namespace}/${name}`);
    return p && structuredClone(p);
  }
  async patchPodStatus(namespace: string, name: string, uid: string, status: PodStatus): Promise<Pod> {
    if (this.failNext) {
      const e = this.failNext;
      this.failNext = undefined;
      throw e;
    }
    const p = this.pods.get(`${namespace}/${name}`);
    if (!p || p.metadata?.uid !== uid) throw new Error(`pods "${name}" not found`);
    p.status = structuredClone(status);
    this.writes++;
    return structuredClone(p);
  }
}
