/**
 * A node's kubelet, for both `kubeling server` (its own node) and `kubeling agent`: picks the runtime backend
 * (`--runtime oci|fake`) with the node's pod CIDR and CNI bridge, then runs the Kubelet until the signal
 * aborts, and closes the runtime (awaited: the oci runtime's helper processes must be reaped before exit).
 * State lives under DIR/kubelet, static pod manifests are read from DIR/manifests and `--pod-manifest-path`.
 * Registry mirrors and node credentials come from `--private-registry FILE` or DIR/registries.yaml (k3s's
 * registries.yaml), read once at start: a file that does not parse stops the node with the reason.
 *
 * The kubelet's HTTPS port is 10250 as in Kubernetes; when that port is taken (another node or test on this
 * machine) it listens on a free one, which the Node's daemonEndpoints tells the API server.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ContainerRuntime } from '../../runtime/runtime.ts';
import { Kubelet } from '../../kubelet/kubelet.ts';
import { defaultNodeIP } from '../../kubelet/node/index.ts';
import { DEFAULT_SANDBOX_POOL_SIZE } from '../../kubelet/sandbox-pool.ts';
import { SystemMounter, type Mounter } from '../../kubelet/volumes/index.ts';
import { parseDurationMs, parseThresholds } from '../../kubelet/eviction/index.ts';
import { subnetPrefix } from '../join.ts';
import { traceRuntime } from '../runtime-trace.ts';
import type { Component, ComponentContext, NodeConfig } from './component.ts';
import type { Logger } from '../../machinery/index.ts';
import { Registry } from 'prom-client';
import { restClientMetrics } from '../rest-client-metrics.ts';

/**
 * How a kubelet left its node: `podsLeft` when pod sandboxes remain in the runtime (they outlive the node
 * process and are adopted by the next start), the same decision as the oci runtime's releaseStateIfIdle.
 * Other node managers keep what the pods need (the proxy's rules) exactly then.
 */
export interface KubeletStopped {
  podsLeft: boolean;
}

/** What a kubelet needs: the server passes its ComponentContext, the agent builds one after joining. */
export type KubeletContext = Pick<ComponentContext, 'client' | 'caPem' | 'kubeletToken' | 'dataDir' | 'logger' | 'signal' | 'kubeletServingCert'> & {
  node: NodeConfig;
  /** Called once the kubelet serves and its Node is Ready=True in the API. */
  onReady?: () => void;
};

async function makeRuntime(
  dataDir: string,
  node: NodeConfig,
  logger: Logger,
): Promise<{ runtime: ContainerRuntime; mounter?: Mounter; close(): Promise<KubeletStopped> }> {
  if (node.runtime === 'fake') {
    const { FakeRuntime } = await import('../../runtime/fake/index.ts');
    // Fake containers die with this process.
    return { runtime: new FakeRuntime({ podSubnet: subnetPrefix(node.podCidr) }), close: async () => ({ podsLeft: false }) };
  }
  const [{ OciRuntime, Spawner }, { OciImageService, parseRegistriesYaml }] = await Promise.all([
    import('../../runtime/oci/index.ts'),
    import('../../runtime/images/index.ts'),
  ]);
  const registriesFile = node.privateRegistry ?? join(dataDir, 'registries.yaml');
  let registriesText: string | undefined;
  try {
    registriesText = await readFile(registriesFile, 'utf8');
  } catch (err) {
    // The default file is optional; one named by --private-registry must be there.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || node.privateRegistry !== undefined) {
      throw new Error(`cannot read the private registry file: ${(err as Error).message}`);
    }
  }
  const registries = registriesText === undefined ? undefined : parseRegistriesYaml(registriesText, registriesFile);
  if (registries) {
    logger.info(`registry settings from ${registriesFile}: mirrors for ${Object.keys(registries.mirrors).join(', ') || 'no registry'}, credentials for ${Object.keys(registries.configs).join(', ') || 'no registry'}`);
  }
  // The image store `kubeling image import --data-dir DIR` fills, so imported images count as present.
  const images = new OciImageService({ root: join(dataDir, 'images'), ...(registries ? { registries } : {}) });
  const runtime = new OciRuntime({
    root: join(dataDir, 'runtime'),
    cni: { bridge: node.bridge, podCidr: node.podCidr, ...(node.podMtu ? { mtu: node.podMtu } : {}) },
    images,
    protectKernelDefaults: node.protectKernelDefaults ?? false,
  });
  const favor = runtime.cgroupFavorDynmods;
  if (favor === 'enabled') logger.info('set favordynmods on the cgroup filesystem: cgroup migrations no longer wait for RCU grace periods');
  else if (typeof favor === 'object') logger.info(`cgroup migrations stay slow (favordynmods unavailable: ${favor.unavailable})`);
  // Volume mounts (every pod's service account token is a tmpfs) through two helper shells, not forks of
  // this process.
  const shells = new Spawner({ max: 2 });
  return {
    runtime,
    mounter: new SystemMounter((cmd, args) => shells.run(cmd, args)),
    close: async () => {
      // Asked before closing: the kubelet has stopped, so the sandboxes recorded now are the ones that stay.
      const podsLeft = await runtime.listPodSandbox().then((s) => s.length > 0, () => true);
      await Promise.all([runtime.close(), shells.close()]);
      // With no pod left, nothing needs the runtime's state tmpfs until the next start.
      runtime.releaseStateIfIdle();
      return { podsLeft };
    },
  };
}

export async function runKubelet(ctx: KubeletContext): Promise<KubeletStopped> {
  const { node } = ctx;
  const { runtime, mounter, close } = await makeRuntime(ctx.dataDir, node, ctx.logger);
  let stopped: KubeletStopped = { podsLeft: true };
  // The kubelet's own registry, at its /metrics (upstream's kubelet serves its metrics apart from the API
  // server's), with its client's rest_client_requests_total.
  const metrics = new Registry();
  const client = ctx.client.with({ requestObserver: restClientMetrics(metrics) });
  try {
    // Made up front so it is watched from the start (a missing one is only polled).
    await mkdir(join(ctx.dataDir, 'manifests'), { recursive: true });
    const manifestDirs = [join(ctx.dataDir, 'manifests')];
    if (node.podManifestPath !== undefined && !manifestDirs.includes(resolve(node.podManifestPath))) {
      manifestDirs.push(resolve(node.podManifestPath));
    }
    // A serving certificate the cluster CA signs (without a provider, as in unit tests, the kubelet makes its own).
    const tls = ctx.kubeletServingCert ? await ctx.kubeletServingCert({ name: node.name, ip: node.nodeIp ?? defaultNodeIP() }) : undefined;
    const kubelet = new Kubelet({
      ...(tls ? { tls } : {}),
      client,
      metrics,
      runtime: traceRuntime(runtime, process.env.KUBELING_TRACE_RUNTIME),
      nodeName: node.name,
      rootDir: join(ctx.dataDir, 'kubelet'),
      manifestDirs,
      kubeletToken: ctx.kubeletToken,
      port: 10250,
      portFallback: true,
      podCIDR: node.podCidr,
      // The control-plane role label is the server's to set (node.ts): NodeRestriction refuses it from a node.
      controlPlane: false,
      nodeLabels: node.labels,
      nodeTaints: node.taints,
      caPem: ctx.caPem,
      logger: ctx.logger,
      ...(mounter ? { mounter } : {}),
      ...(node.clusterDns ? { clusterDNS: [node.clusterDns] } : {}),
      ...(node.clusterDomain ? { clusterDomain: node.clusterDomain } : {}),
      ...(node.nodeIp ? { nodeIP: node.nodeIp } : {}),
      ...(node.allowedUnsafeSysctls ? { allowedUnsafeSysctls: node.allowedUnsafeSysctls } : {}),
      ...(node.imageGC ? { imageGC: node.imageGC } : {}),
      ...(node.containerGC ? { containerGC: node.containerGC } : {}),
      // Fake sandboxes cost nothing to make: no pool for them.
      sandboxPoolSize: node.runtime === 'oci' ? (node.sandboxPoolSize ?? DEFAULT_SANDBOX_POOL_SIZE) : 0,
      // Fake pods have no cgroups; real ones sit under kubepods, whose QoS tiers the kubelet keeps set.
      qosCgroups: node.runtime === 'oci',
      eviction: {
        thresholds: parseThresholds(node.eviction ?? {}),
        ...(node.eviction?.pressureTransitionPeriod !== undefined
          ? { pressureTransitionPeriodMs: parseDurationMs(node.eviction.pressureTransitionPeriod) }
          : {}),
        ...(node.runtime === 'oci' ? { imageFsDir: join(ctx.dataDir, 'images') } : {}),
      },
    });
    const running = kubelet.run(ctx.signal);
    if (ctx.onReady) {
      const onReady = ctx.onReady;
      // Serving, and Ready=True in the API: `kubectl wait --for=condition=Ready node --all` passes at once.
      await Promise.race([running, Promise.all([kubelet.ready, kubelet.nodeReady]).then(() => onReady())]);
    }
    await running;
  } finally {
    stopped = await close();
    client.close();
  }
  if (node.runtime === 'fake') {
    // Fake containers die with this process; their volumes must not outlive them (real ones do, on purpose).
    const mounter = new SystemMounter();
    for (const m of await mounter.mountsUnder(join(ctx.dataDir, 'kubelet'))) await mounter.unmount(m).catch(() => {});
  }
  return stopped;
}

export const kubeletComponent: Component = {
  name: 'kubelet',
  async run(ctx: ComponentContext): Promise<void> {
    if (!ctx.node) return;
    await runKubelet({ ...ctx, node: ctx.node });
  },
};
