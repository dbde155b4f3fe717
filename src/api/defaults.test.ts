import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from './defaults.ts';
import { DecodeError } from './schema/unknown-fields.ts';
import type { Pod, Deployment, Namespace, Node, Secret } from './types.ts';

function pod(spec: Partial<Pod['spec']> & object, extra: Partial<Pod> = {}): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [], ...spec }, ...extra } as Pod;
}

test('pod spec defaults match SetDefaults_PodSpec/Pod (priority is left to the Priority admission plugin)', () => {
  const p = applyDefaults('pods', pod({ containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] }));
  const s = p.spec!;
  assert.equal(s.restartPolicy, 'Always');
  assert.equal(s.terminationGracePeriodSeconds, 30);
  assert.equal(s.dnsPolicy, 'ClusterFirst');
  assert.equal(s.schedulerName, 'default-scheduler');
  assert.deepEqual(s.securityContext, {});
  assert.equal(s.enableServiceLinks, true);
  assert.equal(s.priority, undefined);
  assert.equal(s.preemptionPolicy, undefined);
  assert.equal(s.tolerations, undefined);
  assert.equal(s.serviceAccountName, undefined);
  const sa = applyDefaults('pods', pod({ serviceAccountName: 'builder', containers: [{ name: 'c', image: 'x:1' }], overhead: { cpu: '0.25' }, volumes: [{ name: 'm', emptyDir: { medium: 'Memory', sizeLimit: '1024Mi' } }] }));
  assert.equal(sa.spec!.serviceAccount, 'builder');
  assert.deepEqual(sa.spec!.overhead, { cpu: '250m' });
  assert.equal(sa.spec!.volumes![0]!.emptyDir!.sizeLimit, '1Gi');
  const c = s.containers[0]!;
  assert.deepEqual(c, {
    name: 'web', image: 'nginx:1.27', imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 80, protocol: 'TCP' }],
    resources: {}, terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File',
  });
});

test('imagePullPolicy follows the tag', () => {
  const cases: [string, string][] = [
    ['nginx', 'Always'], ['nginx:latest', 'Always'], ['nginx:1.27', 'IfNotPresent'],
    ['localhost:5000/app', 'Always'], ['localhost:5000/app:v2', 'IfNotPresent'],
    [`nginx@sha256:${'a'.repeat(64)}`, 'IfNotPresent'], [`nginx:latest@sha256:${'a'.repeat(64)}`, 'Always'], ['', 'IfNotPresent'],
  ];
  for (const [image, want] of cases) {
    const p = applyDefaults('pods', pod({ containers: [{ name: 'c', image }] }));
    assert.equal(p.spec!.containers[0]!.imagePullPolicy, want, image);
  }
  const explicit = applyDefaults('pods', pod({ containers: [{ name: 'c', image: 'nginx', imagePullPolicy: 'Never' }] }));
  assert.equal(explicit.spec!.containers[0]!.imagePullPolicy, 'Never');
});

test('probe, handler, env and resource defaults', () => {
  const p = applyDefaults('pods', pod({
    containers: [{
      name: 'c', image: 'x:1',
      livenessProbe: { httpGet: { port: 8080 } },
      readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 5 },
      startupProbe: { grpc: { port: 9000 } },
      lifecycle: { preStop: { httpGet: { port: 80, path: '/stop' } } },
      env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory' } } }],
      resources: { limits: { cpu: '0.5', memory: '1024Mi' }, requests: { memory: '100Mi' } },
    }],
    initContainers: [{ name: 'i', image: 'x:1', resources: { limits: { cpu: '1' } } }],
    ephemeralContainers: [{ name: 'dbg', image: 'busybox' }],
  }));
  const c = p.spec!.containers[0]!;
  assert.deepEqual(c.livenessProbe, { httpGet: { port: 8080, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  assert.equal(c.readinessProbe!.periodSeconds, 5);
  assert.equal(c.startupProbe!.grpc!.service, '');
  assert.deepEqual(c.lifecycle!.preStop!.httpGet, { port: 80, path: '/stop', scheme: 'HTTP' });
  assert.equal(c.env![0]!.valueFrom!.fieldRef!.apiVersion, 'v1');
  assert.equal(c.env![1]!.valueFrom!.resourceFieldRef!.divisor, '0');
  assert.deepEqual(c.resources, { limits: { cpu: '500m', memory: '1Gi' }, requests: { memory: '100Mi', cpu: '500m' } });
  assert.deepEqual(p.spec!.initContainers![0]!.resources, { limits: { cpu: '1' }, requests: { cpu: '1' } });
  const e = p.spec!.ephemeralContainers![0]!;
  assert.equal(e.imagePullPolicy, 'Always');
  assert.equal(e.terminationMessagePolicy, 'File');
});

test('volume defaults', () => {
  const p = applyDefaults('pods', pod({
    containers: [{ name: 'c', image: 'x:1' }],
    volumes: [
      { name: 'a' }, { name: 'b', hostPath: { path: '/tmp' } }, { name: 'c', configMap: { name: 'cm' } },
      { name: 'd', secret: { secretName: 's', defaultMode: 0o400 } },
      { name: 'e', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
      { name: 'f', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
    ],
  }));
  const v = p.spec!.volumes!;
  assert.deepEqual(v[0], { name: 'a', emptyDir: {} });
  assert.deepEqual(v[1], { name: 'b', hostPath: { path: '/tmp', type: '' } });
  assert.equal(v[2]!.configMap!.defaultMode, 420);
  assert.equal(v[3]!.secret!.defaultMode, 256);
  assert.equal(v[4]!.downwardAPI!.defaultMode, 420);
  assert.equal(v[4]!.downwardAPI!.items![0]!.fieldRef!.apiVersion, 'v1');
  assert.equal(v[5]!.projected!.defaultMode, 420);
  assert.equal(v[5]!.projected!.sources![0]!.serviceAccountToken!.expirationSeconds, 3600);
});

test('hostNetwork copies containerPort into hostPort', () => {
  const p = applyDefaults('pods', pod({ hostNetwork: true, priorityClassName: 'system-node-critical', containers: [{ name: 'c', image: 'x:1', ports: [{ containerPort: 53, protocol: 'UDP' }] }] }));
  assert.deepEqual(p.spec!.containers[0]!.ports, [{ containerPort: 53, hostPort: 53, protocol: 'UDP' }]);
});

test('pod IPs stay consistent, podIP authoritative', () => {
  const st = (status: Pod['status']) => applyDefaults('pods', pod({ containers: [{ name: 'c', image: 'x:1' }] }, { status })).status;
  assert.deepEqual(st({ podIP: '10.0.0.1' }), { podIP: '10.0.0.1', podIPs: [{ ip: '10.0.0.1' }] });
  assert.deepEqual(st({ podIPs: [{ ip: '10.0.0.2' }, { ip: 'fd00::2' }] }), { podIP: '10.0.0.2', podIPs: [{ ip: '10.0.0.2' }, { ip: 'fd00::2' }] });
  assert.deepEqual(st({ podIP: '10.0.0.3', podIPs: [{ ip: '10.0.0.2' }] }), { podIP: '10.0.0.3', podIPs: [{ ip: '10.0.0.3' }] });
  assert.deepEqual(st({ hostIP: '192.168.1.2' }), { hostIP: '192.168.1.2', hostIPs: [{ ip: '192.168.1.2' }] });
});

test('defaulting is idempotent', () => {
  const once = applyDefaults('pods', pod({ containers: [{ name: 'c', image: 'nginx', livenessProbe: { exec: { command: ['true'] } } }], volumes: [{ name: 'v' }] }));
  const twice = applyDefaults('pods', structuredClone(once));
  assert.deepEqual(twice, once);
});

test('other kinds', () => {
  const ns = applyDefaults('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dev' } } as Namespace);
  assert.deepEqual(ns.metadata!.labels, { 'kubernetes.io/metadata.name': 'dev' });
  assert.deepEqual(ns.spec, { finalizers: ['kubernetes'] });
  assert.deepEqual(ns.status, { phase: 'Active' });
  const s = applyDefaults('secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } } as Secret);
  assert.equal(s.type, 'Opaque');
  const sd = applyDefaults('secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: 'eA==', b: 'eQ==' }, stringData: { b: 'hello' } } as Secret);
  assert.deepEqual(sd.data, { a: 'eA==', b: 'aGVsbG8=' });
  assert.equal('stringData' in sd, false);
  const n = applyDefaults('nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, status: { capacity: { cpu: '2', memory: '4096Mi', pods: '110' } } } as Node);
  assert.deepEqual(n.status!.allocatable, { cpu: '2', memory: '4Gi', pods: '110' });
  assert.deepEqual(n.spec, {});
  const d = applyDefaults('deployments', {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' },
    spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
  } as Deployment);
  assert.equal(d.spec!.replicas, 1);
  assert.deepEqual(d.spec!.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  assert.equal(d.spec!.revisionHistoryLimit, 10);
  assert.equal(d.spec!.progressDeadlineSeconds, 600);
  assert.equal(d.spec!.template.spec!.restartPolicy, 'Always');
  assert.equal(d.spec!.template.spec!.containers[0]!.imagePullPolicy, 'Always');
  // SetDefaults_Pod (enableServiceLinks, priority) applies to Pods only, not templates.
  assert.equal(d.spec!.template.spec!.enableServiceLinks, undefined);
});

test('applyDefaults refuses what Go would not decode', () => {
  const bad = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: { name: 'c' } } };
  assert.throws(() => applyDefaults('pods', bad), (e: unknown) => e instanceof DecodeError &&
    e.message === 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type []v1.Container');
  const badDeploy = { metadata: { name: 'd' }, spec: { replicas: 'two' } };
  assert.throws(() => applyDefaults('deployments', badDeploy), { message: 'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32' });
});
