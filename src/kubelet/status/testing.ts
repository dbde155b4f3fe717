/**
 * An in-memory PodStatusWriter for kubelet unit tests: pods by namespace/name, counting status writes, and
 * applying each status patch as the API server does (strategic merge of `status`; the uid in the patch's
 * metadata must be the stored pod's). `patches` keeps what was sent.
 */
import { applyStrategicMergePatch } from '../../api/index.ts';
import type { Pod } from '../kuberuntime/api.ts';
import type { PodStatusPatch, PodStatusWriter } from './status-manager.ts';

export class MemoryPodStatusWriter implements PodStatusWriter {
  pods = new Map<string, Pod>();
  writes = 0;
  /** GETs of a pod (the status manager's fresh reads). */
  gets = 0;
  readonly patches: PodStatusPatch[] = [];
  failNext: Error | undefined;

  add(pod: Pod): void {
    this.pods.set(`${pod.metadata?.namespace}/${pod.metadata?.name}`, structuredClone(pod));
  }
  get(pod: Pod): Pod | undefined {
    return this.pods.get(`${pod.metadata?.namespace}/${pod.metadata?.name}`);
  }
  async getPod(namespace: string, name: string): Promise<Pod | undefined> {
    this.gets++;
    const p = this.pods.get(`${namespace}/${name}`);
    return p && structuredClone(p);
  }
  async patchPodStatus(namespace: string, name: string, patch: PodStatusPatch): Promise<Pod> {
    if (this.failNext) {
      const e = this.failNext;
      this.failNext = undefined;
      throw e;
    }
    const p = this.pods.get(`${namespace}/${name}`);
    if (!p) throw new Error(`pods "${name}" not found`);
    if (p.metadata?.uid !== patch.metadata.uid)
      throw new Error(
        `Pod "${name}" is invalid: metadata.uid: Invalid value: "${patch.metadata.uid}": field is immutable`,
      );
    this.patches.push(structuredClone(patch));
    p.status = applyStrategicMergePatch(p, { status: patch.status ?? {} }, 'Pod').status;
    this.writes++;
    return structuredClone(p);
  }
}
