import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { INode } from 'kubernetes-models/v1/Node';
import { admitPod } from './predicates.ts';

const node: INode = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'n1', labels: { disktype: 'ssd', 'kubernetes.io/hostname': 'n1', rank: '5' } },
  spec: {
    taints: [
      { key: 'dedicated', value: 'db', effect: 'NoExecute' },
      { key: 'soft', effect: 'NoSchedule' },
    ],
  },
  status: { allocatable: { cpu: '2', memory: '1Gi', pods: '3' } },
};

function pod(name: string, spec: Partial<NonNullable<IPod['spec']>> = {}, requests?: Record<string, string>): IPod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeName: 'n1',
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoExecute' }],
      containers: [{ name: 'c', ...(requests ? { resources: { requests } } : {}) }],
      ...spec,
    },
  };
}

test('admission: resources with the kubelet reasons and messages', () => {
  assert.deepEqual(admitPod(pod('a', {}, { cpu: '500m' }), node, []), { admit: true });
  assert.deepEqual(admitPod(pod('a', {}, { cpu: '1500m' }), node, [pod('b', {}, { cpu: '1' })]), {
    admit: false,
    reason: 'OutOfcpu',
    message: "Node didn't have enough resource: cpu, requested: 1500, used: 1000, capacity: 2000",
  });
  assert.deepEqual(admitPod(pod('a', {}, { memory: '2Gi' }), node, []), {
    admit: false,
    reason: 'OutOfmemory',
    message: `Node didn't have enough resource: memory, requested: ${2 * 2 ** 30}, used: 0, capacity: ${2 ** 30}`,
  });
  assert.deepEqual(admitPod(pod('a'), node, [pod('b'), pod('c'), pod('d')]), {
    admit: false,
    reason: 'OutOfpods',
    message: "Node didn't have enough resource: pods, requested: 1, used: 3, capacity: 3",
  });
  // Init containers count at their maximum, not summed; sidecars add up.
  const init = pod('i', { initContainers: [{ name: 'i1', resources: { requests: { cpu: '2' } } }] }, { cpu: '1' });
  assert.equal(admitPod(init, node, []).admit, true);
  const sidecar = pod(
    's',
    { initContainers: [{ name: 's1', restartPolicy: 'Always', resources: { requests: { cpu: '1500m' } } }] },
    { cpu: '1' },
  );
  assert.equal((admitPod(sidecar, node, []) as { reason: string }).reason, 'OutOfcpu');
});

test('admission: node selector, affinity, host ports, NoExecute taints', () => {
  assert.deepEqual(admitPod(pod('a', { nodeSelector: { disktype: 'hdd' } }), node, []), {
    admit: false,
    reason: 'NodeAffinity',
    message: "Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector",
  });
  const affinity = (op: 'In' | 'Gt' | 'Lt' | 'DoesNotExist', values?: string[]) => ({
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'rank', operator: op, values }] }],
      },
    },
  });
  assert.equal(admitPod(pod('a', { affinity: affinity('Gt', ['4']) }), node, []).admit, true);
  assert.equal(admitPod(pod('a', { affinity: affinity('Lt', ['4']) }), node, []).admit, false);
  assert.equal(admitPod(pod('a', { affinity: affinity('In', ['5', '6']) }), node, []).admit, true);
  assert.equal(admitPod(pod('a', { affinity: affinity('DoesNotExist') }), node, []).admit, false);

  const withPort = (name: string, hostPort: number, hostIP?: string) =>
    pod(name, { containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort, protocol: 'TCP', hostIP }] }] });
  assert.deepEqual(admitPod(withPort('a', 8080), node, [withPort('b', 8080, '127.0.0.1')]), {
    admit: false,
    reason: 'NodePorts',
    message: "Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports",
  });
  assert.equal(admitPod(withPort('a', 8081), node, [withPort('b', 8080)]).admit, true);

  assert.deepEqual(admitPod(pod('a', { tolerations: [] }), node, []), {
    admit: false,
    reason: 'TaintToleration',
    message: 'Predicate TaintToleration failed: node(s) had untolerated taint {dedicated: db}',
  });
  assert.equal(admitPod(pod('a', { tolerations: [{ operator: 'Exists' }] }), node, []).admit, true);
  const staticPod = pod('a', { tolerations: [] });
  staticPod.metadata!.annotations = { 'kubernetes.io/config.source': 'file' };
  assert.equal(admitPod(staticPod, node, []).admit, true, 'static pods skip the taint check');
});

test('admission: a pod for another OS is refused before any predicate, a linux one passes', () => {
  assert.deepEqual(admitPod(pod('w', { os: { name: 'windows' }, tolerations: [] }), node, []), {
    admit: false,
    reason: 'PodOSNotSupported',
    message: "Failed to admit pod as the OS field doesn't match node OS",
  });
  assert.equal(admitPod(pod('l', { os: { name: 'linux' } }), node, []).admit, true);
});
