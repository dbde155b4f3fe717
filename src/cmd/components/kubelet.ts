/**
 * The local node's kubelet inside `kubeling server` (and later `kubeling agent`): picks the runtime backend
 * (`--runtime oci|fake`), then runs the Kubelet until the server stops. State lives under DIR/kubelet, static
 * pod manifests are read from DIR/manifests.
 *
 * The kubelet's HTTPS port is 10250 as in Kubernetes; when that port is taken (another node or test on this
 * machine) it listens on a free one, which the Node's daemonEndpoints tells the API server.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerRuntime } from '../../runtime/runtime.ts';
import { Kubelet } from '../../kubelet/kubelet.ts';
import { SystemMounter } from '../../kubelet/volumes/index.ts';
import type { Component, ComponentContext } from './component.ts';

async function makeRuntime(
  ctx: ComponentContext,
  podCidr: string,
): Promise<{ runtime: ContainerRuntime; close(): void }> {
  if (ctx.options.runtime === 'fake') {
    const { FakeRuntime } = await import('../../runtime/fake/index.ts');
    return { runtime: new FakeRuntime(), close() {} };
  }
  const [{ OciRuntime }, { OciImageService }] = await Promise.all([
    import('../../runtime/oci/index.ts'),
    import('../../runtime/images/index.ts'),
  ]);
  // The image store `kubeling image import --data-dir DIR` fills, so imported images count as present.
  const images = new OciImageService({ root: join(ctx.dataDir, 'images') });
  const runtime = new OciRuntime({ root: join(ctx.dataDir, 'runtime'), cni: { bridge: 'kubeling0', podCidr }, images });
  return { runtime, close: () => runtime.close() };
}

export const kubeletComponent: Component = {
  name: 'kubelet',
  async run(ctx: ComponentContext): Promise<void> {
    if (ctx.options.noAgent) return;
    const podCIDR = '10.42.0.0/24';
    const { runtime, close } = await makeRuntime(ctx, podCIDR);
    // Made up front so it is watched from the start (a missing one is only polled).
    await mkdir(join(ctx.dataDir, 'manifests'), { recursive: true });
    const kubelet = new Kubelet({
      client: ctx.client,
      runtime,
      nodeName: ctx.options.nodeName,
      rootDir: join(ctx.dataDir, 'kubelet'),
      manifestDirs: [join(ctx.dataDir, 'manifests')],
      kubeletToken: ctx.kubeletToken,
      port: 10250,
      portFallback: true,
      podCIDR,
      controlPlane: true,
      nodeLabels: ctx.options.nodeLabels,
      nodeTaints: ctx.options.nodeTaints,
      caPem: ctx.caPem,
      logger: ctx.logger,
    });
    try {
      await kubelet.run(ctx.signal);
    } finally {
      close();
    }
    if (ctx.options.runtime === 'fake') {
      // Fake containers die with this process; their volumes must not outlive them (real ones do, on purpose).
      const mounter = new SystemMounter();
      for (const m of await mounter.mountsUnder(join(ctx.dataDir, 'kubelet'))) await mounter.unmount(m).catch(() => {});
    }
  },
};
