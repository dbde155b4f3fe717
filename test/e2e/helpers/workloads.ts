/**
 * What the e2e files that run a Deployment or ReplicaSet all wrote out by hand: the workload's manifest (one
 * busybox container, pods labelled `app: NAME`) and a `kubectl get -o json` that answers undefined when the
 * server does not (a server being stopped, an object not there yet), for `until` loops.
 */
import { stringify } from 'yaml';
import type { ServerHandle } from './server.ts';

export interface WorkloadOptions {
  kind?: 'Deployment' | 'ReplicaSet';
  /** The workload's name and its pods' `app` label (default `web`). */
  name?: string;
  replicas: number;
  /** Fields of the one container over its defaults (name `c`, image busybox:1.35, `sh -c "sleep 3600"`). */
  container?: Record<string, unknown>;
  /** More pod spec fields (volumes, terminationGracePeriodSeconds, ...). */
  podSpec?: Record<string, unknown>;
}

/** The workload as YAML for `kubectl apply -f -` (ends with a newline; append `---` and more documents freely). */
export function workloadYaml(o: WorkloadOptions): string {
  const name = o.name ?? 'web';
  const container = { name: 'c', image: 'busybox:1.35', command: ['sh', '-c', 'sleep 3600'], ...o.container };
  return stringify({
    apiVersion: 'apps/v1',
    kind: o.kind ?? 'Deployment',
    metadata: { name },
    spec: {
      replicas: o.replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { ...o.podSpec, containers: [container] } },
    },
  });
}

/** `kubectl get ARGS -o json`, parsed; undefined when kubectl fails. */
export async function getJson<T>(server: ServerHandle, args: string[]): Promise<T | undefined> {
  const r = await server.kubectl(['get', ...args, '-o', 'json']);
  return r.code === 0 ? (JSON.parse(r.stdout) as T) : undefined;
}
