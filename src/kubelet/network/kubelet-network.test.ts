/**
 * The kubelet's wiring of Services on the fake runtime, as kubelet.ts composes it: a Service informer on an API
 * server (the client's fake one) feeds the node's ContainerEnvironment, the DNS configurer feeds the runtime
 * manager; the sandbox config must carry the DnsConfig and the container config the service variables and the
 * managed /etc/hosts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { IService } from 'kubernetes-models/v1/Service';
import { Client, Informer } from '../../client/index.ts';
import { FakeApiServer } from '../../client/testing/fake-apiserver.ts';
import { FakeClock } from '../../machinery/clock.ts';
import { FakeRuntime } from '../../runtime/fake/index.ts';
import type { ContainerConfig, PodSandboxConfig } from '../../runtime/runtime.ts';
import { RecordingEventRecorder } from '../kuberuntime/events.ts';
import { KubeRuntimeManager } from '../kuberuntime/kube-runtime-manager.ts';
import { makePod } from '../kuberuntime/testing.ts';
import type { Pod } from '../kuberuntime/api.ts';
import { MapObjectSource, NodeContainerEnvironment, PodDirs } from '../volumes/index.ts';
import { poll } from '../../machinery/testing/poll.ts';
import { DnsConfigurer } from './dns.ts';
import { ServiceEnvSource } from './envvars.ts';

async function harness(t: import('node:test').TestContext, clusterDNS = ['10.43.0.10']) {
  const dir = mkdtempSync(path.join(tmpdir(), 'kubeling-kubelet-network-'));
  const resolvConf = path.join(dir, 'resolv.conf');
  writeFileSync(resolvConf, 'nameserver 192.0.2.53\nsearch corp.example\noptions edns0\n');
  const server = await new FakeApiServer().start();
  const client = new Client({ server: server.url, token: server.token, caData: server.ca });
  const services = new Informer<IService>(client.resource<IService>('services'));
  const stop = new AbortController();
  const informing = services.run(stop.signal);
  t.after(async () => {
    stop.abort();
    await informing.catch(() => {});
    client.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const clock = new FakeClock();
  const runtime = new FakeRuntime({ clock });
  const recorder = new RecordingEventRecorder();
  const serviceEnv = new ServiceEnvSource({ services, syncWaitMs: 10_000 });
  const environment = new NodeContainerEnvironment({
    dirs: new PodDirs(path.join(dir, 'kubelet')),
    objects: new MapObjectSource(),
    node: () => ({ hostIPs: ['192.0.2.1'], allocatable: {} }),
    clusterDomain: 'cluster.local',
    serviceEnv: (pod) => serviceEnv.forPod(pod),
  });
  const dns = new DnsConfigurer({
    clusterDNS,
    clusterDomain: 'cluster.local',
    resolvConf,
    record: (pod, e) => recorder.event(pod, 'Warning', e.reason, e.message),
  });
  const m = new KubeRuntimeManager({
    runtime,
    environment,
    recorder,
    clock,
    logRoot: path.join(dir, 'logs'),
    dnsConfig: (pod) => dns.getPodDns(pod),
    nodeMemoryCapacity: 8 * 2 ** 30,
  });
  const sync = async (pod: Pod) => m.syncPod(pod, await m.getPodStatus(pod.metadata!.uid!));
  const sandboxConfigs = () =>
    runtime.calls.filter((c) => c.method === 'runPodSandbox').map((c) => c.args[0] as PodSandboxConfig);
  const containerConfigs = () =>
    runtime.calls.filter((c) => c.method === 'createContainer').map((c) => c.args[1] as ContainerConfig);
  return { server, services, runtime, recorder, sync, sandboxConfigs, containerConfigs };
}

const service = (namespace: string, name: string, clusterIP: string, port: number, portName?: string) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace, uid: `svc-${name}` },
  spec: { clusterIP, ports: [{ port, protocol: 'TCP', ...(portName ? { name: portName } : {}) }] },
});

test('a new sandbox carries the DnsConfig of its dnsPolicy; the containers get the service variables', async (t) => {
  const h = await harness(t);
  h.server.put('services', service('default', 'kubernetes', '10.43.0.1', 443, 'https'));
  h.server.put('services', service('default', 'web', '10.43.0.7', 80, 'http'));
  h.server.put('services', service('other', 'elsewhere', '10.43.0.9', 80));
  await h.services.synced;

  const pod = makePod('client')
    .container('c', { env: [{ name: 'TARGET', value: 'http://$(WEB_SERVICE_HOST):$(WEB_SERVICE_PORT_HTTP)' }] })
    .set((p) => {
      p.spec!.hostname = 'db-0';
      p.spec!.subdomain = 'db';
    })
    .build();
  assert.deepEqual((await h.sync(pod)).errors, []);
  assert.deepEqual(h.sandboxConfigs()[0]!.dnsConfig, {
    servers: ['10.43.0.10'],
    searches: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example'],
    options: ['ndots:5'],
  });
  const config = h.containerConfigs()[0]!;
  const env = new Map(config.envs.map((e) => [e.key, e.value]));
  assert.equal(env.get('TARGET'), 'http://10.43.0.7:80');
  assert.equal(env.get('WEB_SERVICE_HOST'), '10.43.0.7');
  assert.equal(env.get('WEB_PORT_80_TCP_ADDR'), '10.43.0.7');
  assert.equal(env.get('KUBERNETES_SERVICE_HOST'), '10.43.0.1');
  assert.equal(env.get('KUBERNETES_SERVICE_PORT'), '443');
  assert.equal(env.get('ELSEWHERE_SERVICE_HOST'), undefined);
  assert.equal(config.envs[0]!.key, 'TARGET'); // the container's own first
  const hosts = config.mounts.find((mt) => mt.containerPath === '/etc/hosts')!;
  assert.match(readFileSync(hosts.hostPath, 'utf8'), /\n10\.42\.0\.\d+\tdb-0\.db\.default\.svc\.cluster\.local\tdb-0\n$/);

  // enableServiceLinks: false: only the kubernetes Service; dnsPolicy None: exactly the pod's dnsConfig.
  const quiet = makePod('quiet')
    .container('c')
    .set((p) => {
      p.spec!.enableServiceLinks = false;
      p.spec!.dnsPolicy = 'None';
      p.spec!.dnsConfig = { nameservers: ['1.2.3.4'], searches: ['a.example'], options: [{ name: 'ndots', value: '1' }] };
    })
    .build();
  assert.deepEqual((await h.sync(quiet)).errors, []);
  assert.deepEqual(h.sandboxConfigs()[1]!.dnsConfig, { servers: ['1.2.3.4'], searches: ['a.example'], options: ['ndots:1'] });
  const quietEnv = h.containerConfigs()[1]!.envs.map((e) => e.key);
  assert.ok(quietEnv.includes('KUBERNETES_SERVICE_HOST'));
  assert.ok(!quietEnv.some((k) => k.startsWith('WEB_')));

  // A Service created later reaches containers started later (through the watch).
  h.server.put('services', service('default', 'late', '10.43.0.11', 8080));
  await poll(() => h.services.get('default/late'), 'the late Service in the informer', { intervalMs: 5, timeoutMs: 30_000 });
  const later = makePod('later').container('c').build();
  await h.sync(later);
  assert.equal(new Map(h.containerConfigs()[2]!.envs.map((e) => [e.key, e.value])).get('LATE_SERVICE_PORT'), '8080');
  assert.deepEqual(h.recorder.events.filter((e) => e.type === 'Warning'), []);
});

test('without clusterDNS a ClusterFirst pod gets the node resolver and a MissingClusterDNS event', async (t) => {
  const h = await harness(t, []);
  await h.services.synced;
  await h.sync(makePod('p').container('c').build());
  assert.deepEqual(h.sandboxConfigs()[0]!.dnsConfig, { servers: ['192.0.2.53'], searches: ['corp.example'], options: ['edns0'] });
  assert.deepEqual(
    h.recorder.events.filter((e) => e.reason === 'MissingClusterDNS').map((e) => e.message),
    [
      'kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.',
      'pod: "p_default(uid-p)". kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.',
    ],
  );
});
