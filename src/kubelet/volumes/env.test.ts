import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { makeEnvironmentVariables } from './env.ts';
import { MapObjectSource } from './objects.ts';
import { managedHostsFile, hostNetworkHostsFile } from './hosts.ts';
import { extractObjectFieldPath } from './fieldpath.ts';

const node = { hostIPs: ['192.168.1.10'], allocatable: { cpu: '2', memory: '4Gi' } };

function pod(container: NonNullable<IPod['spec']>['containers'][number]): IPod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web',
      namespace: 'prod',
      uid: 'u-1',
      labels: { app: 'web', tier: 'a"b' },
      annotations: { note: 'x' },
    },
    spec: { nodeName: 'node-1', serviceAccountName: 'builder', containers: [container] },
  };
}

test('env: values, expansion, downward API and resources', async () => {
  const objects = new MapObjectSource();
  const p = pod({
    name: 'c',
    resources: { limits: { cpu: '250m' }, requests: { memory: '64Mi' } },
    env: [
      { name: 'A', value: 'a' },
      { name: 'B', value: '$(A)-$(MISSING)-$$(A)' },
      { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
      { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
      { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'POD_IPS', valueFrom: { fieldRef: { fieldPath: 'status.podIPs' } } },
      { name: 'CPU_M', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
      { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      { name: 'MEM_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      { name: 'MEM_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.memory' } } },
      { name: 'C', value: '$(NAME).$(B)' },
    ],
  });
  const env = Object.fromEntries(
    (await makeEnvironmentVariables(p, p.spec!.containers[0]!, ['10.42.0.5', 'fd00::5'], node, objects)).map((e) => [
      e.key,
      e.value,
    ]),
  );
  assert.deepEqual(env, {
    A: 'a',
    B: 'a-$(MISSING)-$(A)',
    NAME: 'web',
    NS: 'prod',
    UID: 'u-1',
    APP: 'web',
    NODE: 'node-1',
    SA: 'builder',
    HOST_IP: '192.168.1.10',
    POD_IP: '10.42.0.5',
    POD_IPS: '10.42.0.5,fd00::5',
    CPU_M: '250',
    CPU: '1',
    MEM_LIMIT: '4096', // no limit: node allocatable
    MEM_REQ: String(64 * 1024 * 1024),
    C: 'web.a-$(MISSING)-$(A)',
  });
});

test('env: envFrom with prefix, key refs, optional and missing objects', async () => {
  const objects = new MapObjectSource();
  objects.putConfigMap('prod', 'cfg', { LEVEL: 'debug', MODE: 'fast' });
  objects.putSecret('prod', 'creds', { PASSWORD: 's3cr3t' });
  const c = {
    name: 'c',
    envFrom: [
      { configMapRef: { name: 'cfg' }, prefix: 'CFG_' },
      { secretRef: { name: 'creds' } },
      { configMapRef: { name: 'nope', optional: true } },
    ],
    env: [
      { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'LEVEL' } } },
      { name: 'PW', valueFrom: { secretKeyRef: { name: 'creds', key: 'PASSWORD' } } },
      { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'absent', optional: true } } },
      { name: 'OPT2', valueFrom: { secretKeyRef: { name: 'gone', key: 'x', optional: true } } },
      { name: 'REF', value: '$(CFG_MODE)/$(PASSWORD)' },
    ],
  };
  const p = pod(c);
  const env = await makeEnvironmentVariables(p, c, [], node, objects);
  assert.deepEqual(
    env.map((e) => `${e.key}=${e.value}`),
    ['CFG_LEVEL=debug', 'CFG_MODE=fast', 'PASSWORD=s3cr3t', 'LEVEL=debug', 'PW=s3cr3t', 'REF=fast/s3cr3t'],
  );

  const missingKey = {
    name: 'c',
    env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'absent' } } }],
  };
  await assert.rejects(makeEnvironmentVariables(pod(missingKey), missingKey, [], node, objects), {
    message: "couldn't find key absent in ConfigMap prod/cfg",
  });
  const missingSecretKey = {
    name: 'c',
    env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'absent' } } }],
  };
  await assert.rejects(makeEnvironmentVariables(pod(missingSecretKey), missingSecretKey, [], node, objects), {
    message: "couldn't find key absent in Secret prod/creds",
  });
  const missingObj = { name: 'c', envFrom: [{ secretRef: { name: 'gone' } }] };
  await assert.rejects(makeEnvironmentVariables(pod(missingObj), missingObj, [], node, objects), {
    message: 'secret "gone" not found',
  });
});

test('downward API formats whole maps as sorted, quoted lines', () => {
  const p = pod({ name: 'c' });
  assert.equal(extractObjectFieldPath(p, 'metadata.labels'), 'app="web"\ntier="a\\"b"');
  assert.equal(extractObjectFieldPath(p, "metadata.annotations['note']"), 'x');
});

test('managed /etc/hosts matches the kubelet byte for byte', () => {
  const p = pod({ name: 'c' });
  p.spec!.hostAliases = [{ ip: '1.1.1.1', hostnames: ['foo.remote', 'bar.remote'] }];
  assert.equal(
    managedHostsFile(p, ['10.42.0.5']),
    '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n10.42.0.5\tweb\n\n# Entries added by HostAliases.\n1.1.1.1\tfoo.remote\tbar.remote\n',
  );
  p.spec!.hostname = 'h';
  p.spec!.subdomain = 'svc';
  p.spec!.hostAliases = [];
  assert.match(managedHostsFile(p, ['10.42.0.5']), /\n10\.42\.0\.5\th\.svc\.prod\.svc\.cluster\.local\th\n$/);
  assert.match(managedHostsFile(p, ['10.42.0.5'], 'example.org'), /\n10\.42\.0\.5\th\.svc\.prod\.svc\.example\.org\th\n$/);
  // No cluster domain: no fully qualified name (upstream's GeneratePodHostNameAndDomain).
  assert.match(managedHostsFile(p, ['10.42.0.5'], ''), /\n10\.42\.0\.5\th\n$/);
  assert.equal(
    hostNetworkHostsFile(p, '127.0.0.1 localhost\n'),
    '# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n',
  );
});

test('env: service variables after the container\'s own, which win; $(VAR) sees them', async () => {
  const services = new Map([
    ['WEB_SERVICE_HOST', '10.43.0.7'],
    ['WEB_SERVICE_PORT', '80'],
    ['KUBERNETES_SERVICE_HOST', '10.43.0.1'],
  ]);
  const p = pod({
    name: 'c',
    env: [
      { name: 'URL', value: 'http://$(WEB_SERVICE_HOST):$(WEB_SERVICE_PORT)/' },
      { name: 'WEB_SERVICE_PORT', value: '8080' },
      { name: 'AFTER', value: '$(WEB_SERVICE_PORT)' },
    ],
  });
  const env = await makeEnvironmentVariables(p, p.spec!.containers[0]!, ['10.42.0.5'], node, new MapObjectSource(), services);
  assert.deepEqual(env, [
    // Expanded before WEB_SERVICE_PORT was defined by the container: the service's value.
    { key: 'URL', value: 'http://10.43.0.7:80/' },
    { key: 'WEB_SERVICE_PORT', value: '8080' },
    { key: 'AFTER', value: '8080' },
    { key: 'WEB_SERVICE_HOST', value: '10.43.0.7' },
    { key: 'KUBERNETES_SERVICE_HOST', value: '10.43.0.1' },
  ]);
});
