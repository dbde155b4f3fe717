/**
 * The server's half of joining (see ../join.ts): publishes ConfigMap `kube-public/cluster-info` (a
 * kubeconfig with the server URL and CA, signed with the node token as kubeadm signs it with a bootstrap
 * token) and Secret `kube-system/kubeling-kubelet-client` (the token the API server presents to kubelets).
 * It writes both at start and again whenever they differ (a new CA or token after the data dir changed),
 * checking every minute, so a deleted ConfigMap comes back. Servers sharing one etcd (one CA, one token) keep
 * a cluster-info another of them wrote, rather than each putting its own URL back every minute.
 */
import { parse, stringify } from 'yaml';
import { isAlreadyExists, isNotFound, type Client } from '../../client/index.ts';
import { realClock } from '../../machinery/index.ts';
import { CLUSTER_INFO, JWS_DATA_KEY, KUBELET_CLIENT_SECRET, signDetached, verifyDetached } from '../join.ts';
import type { Component, ComponentContext } from './component.ts';

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  type?: string;
  data?: Record<string, string>;
}

/** The kubeconfig agents discover: cluster only, no user (they bring the token). */
export function clusterInfoKubeconfig(server: string, caPem: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: '', cluster: { 'certificate-authority-data': Buffer.from(caPem).toString('base64'), server } }],
    contexts: [],
    users: [],
    preferences: {},
  });
}

async function ensure(
  client: Client,
  plural: 'configmaps' | 'secrets',
  want: Obj,
  signal: AbortSignal,
  keep: (have: Obj) => boolean = () => false,
): Promise<void> {
  const res = client.resource<Obj>(plural, want.metadata.namespace);
  let have: Obj | undefined;
  try {
    have = await res.get(want.metadata.name, { signal });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (!have) {
    try {
      await res.create(want, { signal });
      return;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      have = await res.get(want.metadata.name, { signal });
    }
  }
  if (JSON.stringify(have.data ?? {}) === JSON.stringify(want.data) || keep(have)) return;
  await res.update(
    { ...want, metadata: { ...want.metadata, resourceVersion: have.metadata.resourceVersion } },
    { signal },
  );
}

/** Whether `have` is a cluster-info of this cluster (our CA, signed with our token) that another server wrote. */
function sameCluster(have: Obj, caPem: string, nodeToken: string): boolean {
  const kubeconfig = have.data?.kubeconfig;
  const jws = have.data?.[JWS_DATA_KEY];
  if (!kubeconfig || !jws || !verifyDetached(kubeconfig, jws, nodeToken)) return false;
  const ca = (parse(kubeconfig) as { clusters?: { cluster?: { 'certificate-authority-data'?: string } }[] })
    .clusters?.[0]?.cluster?.['certificate-authority-data'];
  return ca !== undefined && Buffer.from(ca, 'base64').toString('utf8') === caPem;
}

export async function publishJoinInfo(
  ctx: Pick<ComponentContext, 'client' | 'server' | 'caPem' | 'nodeToken' | 'kubeletToken'>,
  signal: AbortSignal,
  /** Several servers share the store: keep another server's valid cluster-info. */
  shared = false,
): Promise<void> {
  const kubeconfig = clusterInfoKubeconfig(ctx.server, ctx.caPem);
  await ensure(
    ctx.client,
    'configmaps',
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { ...CLUSTER_INFO },
      data: { kubeconfig, [JWS_DATA_KEY]: signDetached(kubeconfig, ctx.nodeToken) },
    },
    signal,
    (have) => shared && sameCluster(have, ctx.caPem, ctx.nodeToken),
  );
  await ensure(
    ctx.client,
    'secrets',
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { ...KUBELET_CLIENT_SECRET },
      type: 'Opaque',
      data: { token: Buffer.from(ctx.kubeletToken).toString('base64') },
    },
    signal,
  );
}

export const joinComponent: Component = {
  name: 'join',
  async run(ctx: ComponentContext): Promise<void> {
    let delay = 200;
    while (!ctx.signal.aborted) {
      try {
        await publishJoinInfo(ctx, ctx.signal, ctx.options.storage.startsWith('etcd://'));
        delay = 60_000;
      } catch (err) {
        if (ctx.signal.aborted) return;
        ctx.logger.warn({ err }, 'publishing join info failed');
        delay = Math.min(delay * 2, 10_000);
      }
      await realClock.sleep(delay, ctx.signal).catch(() => {});
    }
  },
};
