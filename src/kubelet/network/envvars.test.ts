import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IService } from 'kubernetes-models/v1/Service';
import { Deferred, FakeClock } from '../../machinery/index.ts';
import { ServiceEnvSource, fromServices, serviceEnvVarMap, type ServiceLister } from './envvars.ts';

function svc(namespace: string, name: string, clusterIP: string | undefined, ports: { name?: string; port: number; protocol?: string }[] = [{ port: 80 }], type?: string): IService {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { clusterIP, ports, ...(type ? { type } : {}) } } as IService;
}

const kubernetes = svc('default', 'kubernetes', '10.43.0.1', [{ name: 'https', port: 443 }]);

test('fromServices: host, port, named ports and the Docker link forms, names upper-cased with - as _', () => {
  const web = svc('shop', 'my-web', '10.43.0.7', [{ name: 'http', port: 80 }, { name: 'dns-udp', port: 53, protocol: 'UDP' }]);
  assert.deepEqual(fromServices([web]), [
    { name: 'MY_WEB_SERVICE_HOST', value: '10.43.0.7' },
    { name: 'MY_WEB_SERVICE_PORT', value: '80' },
    { name: 'MY_WEB_SERVICE_PORT_HTTP', value: '80' },
    { name: 'MY_WEB_SERVICE_PORT_DNS_UDP', value: '53' },
    { name: 'MY_WEB_PORT', value: 'tcp://10.43.0.7:80' },
    { name: 'MY_WEB_PORT_80_TCP', value: 'tcp://10.43.0.7:80' },
    { name: 'MY_WEB_PORT_80_TCP_PROTO', value: 'tcp' },
    { name: 'MY_WEB_PORT_80_TCP_PORT', value: '80' },
    { name: 'MY_WEB_PORT_80_TCP_ADDR', value: '10.43.0.7' },
    { name: 'MY_WEB_PORT_53_UDP', value: 'udp://10.43.0.7:53' },
    { name: 'MY_WEB_PORT_53_UDP_PROTO', value: 'udp' },
    { name: 'MY_WEB_PORT_53_UDP_PORT', value: '53' },
    { name: 'MY_WEB_PORT_53_UDP_ADDR', value: '10.43.0.7' },
  ]);
  assert.equal(
    fromServices([svc('shop', 'v6', 'fd00::7', [{ port: 8080 }])]).find((e) => e.name === 'V6_PORT')?.value,
    'tcp://[fd00::7]:8080',
  );
});

test('serviceEnvVarMap: the namespace\'s Services with a cluster IP, plus default/kubernetes always', () => {
  const all = [
    kubernetes,
    svc('shop', 'web', '10.43.0.7'),
    svc('shop', 'headless', 'None'),
    svc('shop', 'external', undefined, [], 'ExternalName'),
    svc('other', 'elsewhere', '10.43.0.9'),
    svc('default', 'not-master', '10.43.0.8'),
  ];
  const m = serviceEnvVarMap(all, 'shop', true);
  assert.equal(m.get('KUBERNETES_SERVICE_HOST'), '10.43.0.1');
  assert.equal(m.get('KUBERNETES_SERVICE_PORT'), '443');
  assert.equal(m.get('KUBERNETES_SERVICE_PORT_HTTPS'), '443');
  assert.equal(m.get('WEB_SERVICE_HOST'), '10.43.0.7');
  const prefixes = new Set([...m.keys()].map((k) => k.split('_')[0]));
  assert.deepEqual([...prefixes].sort(), ['KUBERNETES', 'WEB']);

  // enableServiceLinks: false keeps only the master services.
  const off = serviceEnvVarMap(all, 'shop', false);
  assert.deepEqual([...new Set([...off.keys()].map((k) => k.split('_')[0]))], ['KUBERNETES']);

  // A pod in default sees default's Services, and kubernetes once.
  const d = serviceEnvVarMap(all, 'default', true);
  assert.equal(d.get('NOT_MASTER_SERVICE_HOST'), '10.43.0.8');
  assert.equal(d.get('KUBERNETES_SERVICE_HOST'), '10.43.0.1');

  // The namespace's own `kubernetes` Service wins over default's, whichever comes first.
  const own = svc('shop', 'kubernetes', '10.43.0.99');
  assert.equal(serviceEnvVarMap([kubernetes, own], 'shop', true).get('KUBERNETES_SERVICE_HOST'), '10.43.0.99');
  assert.equal(serviceEnvVarMap([own, kubernetes], 'shop', true).get('KUBERNETES_SERVICE_HOST'), '10.43.0.99');
});

function pod(spec: Partial<NonNullable<IPod['spec']>> = {}): IPod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'shop', uid: 'u' }, spec: { containers: [], ...spec } };
}

class Lister implements ServiceLister {
  items: IService[] = [];
  #synced = new Deferred<void>();
  get hasSynced() {
    return this.#synced.settled;
  }
  get synced() {
    return this.#synced.promise;
  }
  list() {
    return this.items;
  }
  sync(items: IService[]) {
    this.items = items;
    this.#synced.resolve();
  }
}

test('ServiceEnvSource waits for the first list of Services, then fails as upstream; static pods do not wait', async () => {
  const clock = new FakeClock();
  const lister = new Lister();
  const source = new ServiceEnvSource({ services: lister, clock, syncWaitMs: 5000, isStaticPod: (p) => p.metadata?.name === 'static' });

  // Listed while waiting: the pod gets the variables.
  const waiting = source.forPod(pod());
  await new Promise((r) => setImmediate(r));
  lister.sync([kubernetes, svc('shop', 'web', '10.43.0.7')]);
  const m = await waiting;
  assert.equal(m.get('WEB_SERVICE_HOST'), '10.43.0.7');
  assert.equal(m.get('KUBERNETES_SERVICE_HOST'), '10.43.0.1');
  assert.equal((await source.forPod(pod({ enableServiceLinks: false }))).get('WEB_SERVICE_HOST'), undefined);

  // Never listed: an error after the wait.
  const never = new ServiceEnvSource({ services: new Lister(), clock, syncWaitMs: 5000, isStaticPod: (p) => p.metadata?.name === 'static' });
  const failing = never.forPod(pod());
  const outcome = failing.then(() => 'resolved', (err: Error) => err.message);
  await new Promise((r) => setImmediate(r));
  await clock.step(5000);
  assert.equal(await outcome, 'services have not yet been read at least once, cannot construct envvars');
  const staticPod: IPod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'static', namespace: 'shop', uid: 's' }, spec: { containers: [] } };
  assert.deepEqual([...(await never.forPod(staticPod))], []);
});
