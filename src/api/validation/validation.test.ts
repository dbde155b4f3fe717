import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateObject, validateObjectUpdate, validateStatusUpdate, validatePodEphemeralContainersUpdate } from './index.ts';
import { applyDefaults } from '../defaults.ts';
import { invalidMessage, fieldErrorText } from '../field-error.ts';
import type { Pod, PodSpec } from '../types.ts';

const SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

function pod(spec: Partial<PodSpec>, meta: Pod['metadata'] = { name: 'p', namespace: 'default' }): Pod {
  return applyDefaults('pods', { apiVersion: 'v1', kind: 'Pod', metadata: meta, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }], ...spec } } as Pod);
}

function texts(errs: { field: string; message: string }[]): string[] {
  return errs.map((e) => `${e.field}: ${e.message}`);
}

test('a well-formed defaulted pod is valid', () => {
  assert.deepEqual(validateObject('pods', pod({
    initContainers: [{ name: 'init', image: 'busybox:1.35' }, { name: 'side', image: 'busybox:1.35', restartPolicy: 'Always', readinessProbe: { exec: { command: ['true'] } } }],
    containers: [{
      name: 'web', image: 'nginx:1.27', ports: [{ name: 'http', containerPort: 80 }],
      env: [{ name: 'A', value: 'b' }, { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
      volumeMounts: [{ name: 'data', mountPath: '/data' }],
      livenessProbe: { httpGet: { port: 'http' } },
      resources: { requests: { cpu: '100m' }, limits: { cpu: '1', memory: '64Mi' } },
    }],
    volumes: [{ name: 'data', emptyDir: {} }],
    tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }],
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } },
    hostAliases: [{ ip: '10.0.0.1', hostnames: ['foo.local'] }],
  })), []);
});

test('pod create errors carry Kubernetes field paths and messages', () => {
  const cases: { name: string; pod: Pod; want: string[] }[] = [
    { name: 'bad name', pod: pod({}, { name: 'Bad_Name!', namespace: 'default' }), want: [`metadata.name: Invalid value: "Bad_Name!": ${SUBDOMAIN_MSG}`] },
    { name: 'no name', pod: pod({}, { namespace: 'default' }), want: ['metadata.name: Required value: name or generateName is required'] },
    { name: 'no containers', pod: pod({ containers: [] }), want: ['spec.containers: Required value'] },
    { name: 'no image', pod: pod({ containers: [{ name: 'c' }] }), want: ['spec.containers[0].image: Required value'] },
    { name: 'bad container name', pod: pod({ containers: [{ name: 'Web', image: 'x:1' }] }), want: [`spec.containers[0].name: Invalid value: "Web": ${LABEL_MSG}`] },
    {
      name: 'duplicate names across init and regular', pod: pod({ initContainers: [{ name: 'c', image: 'x:1' }] }),
      want: ['spec.initContainers[0].name: Duplicate value: "c"'],
    },
    {
      name: 'port range and duplicate port names',
      pod: pod({ containers: [{ name: 'c', image: 'x:1', ports: [{ containerPort: 70000, name: 'http' }, { containerPort: 81, name: 'http' }] }] }),
      want: ['spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive', 'spec.containers[0].ports[1].name: Duplicate value: "http"'],
    },
    {
      name: 'unsupported protocol', pod: pod({ containers: [{ name: 'c', image: 'x:1', ports: [{ containerPort: 80, protocol: 'HTTP' as 'TCP' }] }] }),
      want: ['spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'],
    },
    {
      name: 'mount of unknown volume', pod: pod({ containers: [{ name: 'c', image: 'x:1', volumeMounts: [{ name: 'nope', mountPath: '/x' }] }] }),
      want: ['spec.containers[0].volumeMounts[0].name: Not found: "nope"'],
    },
    {
      name: 'two volume sources and duplicate volumes',
      pod: pod({ volumes: [{ name: 'v', emptyDir: {}, hostPath: { path: '/tmp' } }, { name: 'w', emptyDir: {} }, { name: 'w', emptyDir: {} }] }),
      want: ['spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type', 'spec.volumes[2].name: Duplicate value: "w"'],
    },
    { name: 'restart policy', pod: pod({ restartPolicy: 'Sometimes' as 'Always' }), want: ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'] },
    {
      name: 'probe with two handlers and liveness successThreshold',
      pod: pod({ containers: [{ name: 'c', image: 'x:1', livenessProbe: { exec: { command: ['true'] }, tcpSocket: { port: 80 }, successThreshold: 2 } }] }),
      want: ['spec.containers[0].livenessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type', 'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1'],
    },
    {
      name: 'probe without handler', pod: pod({ containers: [{ name: 'c', image: 'x:1', readinessProbe: {} }] }),
      want: ['spec.containers[0].readinessProbe: Required value: must specify a handler type'],
    },
    {
      name: 'requests above limits',
      pod: pod({ containers: [{ name: 'c', image: 'x:1', resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } }] }),
      want: ['spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1'],
    },
    {
      name: 'unknown resource names',
      pod: pod({ containers: [{ name: 'c', image: 'x:1', resources: { limits: { gpu: '1', pods: '1' } } }] }),
      want: [
        'spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified',
        'spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource for containers',
        'spec.containers[0].resources.limits[pods]: Invalid value: "pods": must be a standard resource for containers',
        // defaulting copied the limits into requests, which are checked too
        'spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified',
        'spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource for containers',
        'spec.containers[0].resources.requests[pods]: Invalid value: "pods": must be a standard resource for containers',
      ],
    },
    {
      name: 'env name and value source',
      pod: pod({ containers: [{ name: 'c', image: 'x:1', env: [{ name: 'A=B' }, { name: 'X', value: 'y', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, { name: 'Y', valueFrom: { fieldRef: { fieldPath: 'spec.nope' } } }] }] }),
      want: [
        "spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='",
        'spec.containers[0].env[1].valueFrom: Invalid value: "": may not be specified when `value` is not empty',
        'spec.containers[0].env[2].valueFrom.fieldRef.fieldPath: Unsupported value: "spec.nope": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"',
      ],
    },
    {
      name: 'init container restartPolicy and probes',
      pod: pod({ initContainers: [{ name: 'i', image: 'x:1', restartPolicy: 'OnFailure' as 'Always', livenessProbe: { exec: { command: ['true'] } } }] }),
      want: ['spec.initContainers[0].restartPolicy: Unsupported value: "OnFailure": supported values: "Always"', 'spec.initContainers[0].livenessProbe: Forbidden: may not be set for init containers without restartPolicy=Always'],
    },
    {
      name: 'restartPolicy on a regular container', pod: pod({ containers: [{ name: 'c', image: 'x:1', restartPolicy: 'Always' }] }),
      want: ['spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers'],
    },
    { name: 'ephemeral containers on create', pod: pod({ ephemeralContainers: [{ name: 'e', image: 'x:1' }] }), want: ['spec.ephemeralContainers: Forbidden: cannot be set on create'] },
    {
      name: 'tolerations', pod: pod({ tolerations: [{ operator: 'Equal', value: 'x' }, { key: 'a', operator: 'Exists', value: 'v' }, { key: 'b', tolerationSeconds: 5, effect: 'NoSchedule' }] }),
      want: [
        'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
        'spec.tolerations[1].operator: Invalid value: {"key":"a","operator":"Exists","value":"v"}: value must be empty when `operator` is \'Exists\'',
        'spec.tolerations[2].effect: Invalid value: "NoSchedule": effect must be \'NoExecute\' when `tolerationSeconds` is set',
      ],
    },
    {
      name: 'node affinity operators',
      pod: pod({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'In' }], matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a', 'b'] }] }] } } } }),
      want: [
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].values: Required value: must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
      ],
    },
    { name: 'labels', pod: pod({}, { name: 'p', namespace: 'default', labels: { 'a/b/c': 'x' } }), want: ["metadata.labels: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"] },
    { name: 'hostAliases', pod: pod({ hostAliases: [{ ip: 'nope', hostnames: ['ok'] }] }), want: ['spec.hostAliases[0].ip: Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'] },
    {
      name: 'mirror pod without a node', pod: pod({}, { name: 'p', namespace: 'default', annotations: { 'kubernetes.io/config.mirror': 'abc' } }),
      want: ['metadata.annotations[kubernetes.io/config.mirror]: Invalid value: "abc": must set spec.nodeName if mirror pod annotation is set'],
    },
    { name: 'dnsPolicy None without config', pod: pod({ dnsPolicy: 'None' }), want: ['spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None'] },
  ];
  for (const c of cases) assert.deepEqual(texts(validateObject('pods', c.pod)), c.want, c.name);
});

test('invalidMessage builds the 422 text', () => {
  const errs = validateObject('pods', pod({ containers: [{ name: 'c' }] }, { name: 'nginx', namespace: 'default' }));
  assert.equal(invalidMessage('Pod', 'nginx', errs), 'Pod "nginx" is invalid: spec.containers[0].image: Required value');
  const two = validateObject('pods', pod({ containers: [{ name: 'c' }, { name: 'd' }] }, { name: 'nginx', namespace: 'default' }));
  assert.equal(invalidMessage('Pod', 'nginx', two), 'Pod "nginx" is invalid: [spec.containers[0].image: Required value, spec.containers[1].image: Required value]');
  assert.equal(fieldErrorText(two[0]!), 'spec.containers[0].image: Required value');
});

test('pod updates: image, activeDeadlineSeconds and tolerations may change; other fields may not', () => {
  const old = pod({ containers: [{ name: 'web', image: 'nginx:1.27' }, { name: 'side', image: 'busybox:1.35' }], tolerations: [{ key: 'a', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }] });
  old.metadata!.resourceVersion = '5';
  const ok = structuredClone(old);
  ok.spec!.containers[0]!.image = 'nginx:1.28';
  ok.spec!.activeDeadlineSeconds = 100;
  ok.spec!.tolerations![0]!.tolerationSeconds = 5;
  ok.spec!.tolerations!.push({ key: 'b', operator: 'Exists' });
  ok.metadata!.labels = { x: 'y' };
  assert.deepEqual(validateObjectUpdate('pods', ok, old), []);

  const bad = structuredClone(old);
  bad.spec!.containers[0]!.ports = [{ containerPort: 80, protocol: 'TCP' }];
  const errs = validateObjectUpdate('pods', bad, old);
  assert.equal(errs.length, 1);
  assert.equal(errs[0]!.field, 'spec');
  assert.ok(errs[0]!.message.startsWith('Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n'), errs[0]!.message);
  const diff = errs[0]!.message.split('\n').slice(1);
  assert.equal(diff[0], '  core.PodSpec{');
  assert.ok(diff[1]!.startsWith('- \tContainers: [{"name":"web"'));
  assert.ok(diff[2]!.startsWith('+ \tContainers: [{"name":"web"') && diff[2]!.includes('"ports":[{"containerPort":80,"protocol":"TCP"}]'));
  assert.match(diff[3]!, /^  \t\.\.\. \/\/ \d+ identical fields$/);
  assert.equal(diff.at(-1), '  }');

  const removed = structuredClone(old);
  removed.spec!.containers.pop();
  assert.deepEqual(texts(validateObjectUpdate('pods', removed, old)), ['spec.containers: Forbidden: pod updates may not add or remove containers']);

  const tol = structuredClone(old);
  tol.spec!.tolerations = [];
  assert.deepEqual(texts(validateObjectUpdate('pods', tol, old)), ['spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds']);

  const ads = structuredClone(ok);
  ads.spec!.activeDeadlineSeconds = 200;
  assert.deepEqual(texts(validateObjectUpdate('pods', ads, ok)), ['spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value']);

  const mirror = structuredClone(old);
  mirror.metadata!.annotations = { 'kubernetes.io/config.mirror': 'x' };
  mirror.spec!.nodeName = 'n1';
  const bare = structuredClone(old);
  bare.spec!.nodeName = 'n1';
  assert.ok(texts(validateObjectUpdate('pods', mirror, bare)).includes('metadata.annotations[kubernetes.io/config.mirror]: Forbidden: may not add mirror pod annotation'));

  const renamed = structuredClone(old);
  renamed.metadata!.name = 'other';
  assert.deepEqual(texts(validateObjectUpdate('pods', renamed, old)), ['metadata.name: Invalid value: "other": field is immutable']);
});

test('ephemeral container and status updates', () => {
  const old = pod({ containers: [{ name: 'web', image: 'nginx:1.27' }], restartPolicy: 'Never' });
  old.metadata!.resourceVersion = '3';
  const withDebug = structuredClone(old);
  withDebug.spec!.ephemeralContainers = [applyDefaults('pods', { apiVersion: 'v1', kind: 'Pod', spec: { containers: [], ephemeralContainers: [{ name: 'debug', image: 'busybox:1.36', targetContainerName: 'web', stdin: true, tty: true }] } } as Pod).spec!.ephemeralContainers![0]!];
  assert.deepEqual(validatePodEphemeralContainersUpdate(withDebug, old), []);
  const changed = structuredClone(withDebug);
  changed.spec!.ephemeralContainers![0]!.image = 'busybox:1.37';
  const errs = validatePodEphemeralContainersUpdate(changed, withDebug);
  assert.equal(errs.length, 1);
  assert.match(errs[0]!.message, /^Forbidden: existing ephemeral containers "debug" may not be changed\n/);
  const withPorts = structuredClone(withDebug);
  withPorts.spec!.ephemeralContainers![0]!.ports = [{ containerPort: 80, protocol: 'TCP' }];
  assert.ok(texts(validatePodEphemeralContainersUpdate(withPorts, old)).includes('spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container'));

  const terminated = structuredClone(old);
  terminated.status = { containerStatuses: [{ name: 'web', image: 'nginx', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0 } } }] };
  const running = structuredClone(terminated);
  running.status!.containerStatuses![0]!.state = { running: {} };
  assert.deepEqual(texts(validateStatusUpdate('pods', running, terminated)), ['status.containerStatuses[0].state: Forbidden: may not be transitioned to non-terminated state']);
  const moved = structuredClone(old);
  moved.spec!.nodeName = 'n1';
  assert.deepEqual(texts(validateStatusUpdate('pods', moved, old)), ['status.nodeName: Forbidden: may not be changed directly']);
});

test('other kinds', () => {
  assert.deepEqual(texts(validateObject('namespaces', { metadata: { name: 'a.b' } })), ['metadata.name: Invalid value: "a.b": must not contain dots']);
  assert.deepEqual(texts(validateObject('configmaps', { metadata: { name: 'c', namespace: 'd' }, data: { 'bad key': 'x' } })),
    ["data[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"]);
  assert.deepEqual(texts(validateObject('secrets', { metadata: { name: 's', namespace: 'd' }, type: 'kubernetes.io/tls', data: {} })),
    ['data[tls.crt]: Required value', 'data[tls.key]: Required value']);
  assert.deepEqual(texts(validateObject('nodes', { metadata: { name: 'n', namespace: 'x' } })), ['metadata.namespace: Forbidden: not allowed on this type']);
  assert.deepEqual(texts(validateObject('nodes', { metadata: { name: 'n' }, spec: { taints: [{ key: 'a', effect: 'NoSchedule' }, { key: 'a', effect: 'NoSchedule' }] } })),
    ['metadata.taints[1]: Duplicate value: {"key":"a","effect":"NoSchedule"}: taints must be unique by key and effect pair']);
  assert.deepEqual(texts(validateObject('leases', { metadata: { name: 'l', namespace: 'kube-node-lease' }, spec: { leaseDurationSeconds: 0 } })),
    ['spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0']);
  assert.deepEqual(texts(validateObject('events', { metadata: { name: 'e', namespace: 'default' }, involvedObject: { namespace: 'other' } })),
    ['involvedObject.namespace: Invalid value: "other": does not match event.namespace']);
  assert.deepEqual(texts(validateObject('bindings', { target: { kind: 'Pod' } })), ['target.kind: Unsupported value: "Pod": supported values: "Node", "<empty>"', 'target.name: Required value']);
  const cm = { metadata: { name: 'c', namespace: 'd', resourceVersion: '1' }, immutable: true, data: { a: 'b' } };
  assert.deepEqual(texts(validateObjectUpdate('configmaps', { ...cm, data: { a: 'c' } }, cm)), ['data: Forbidden: field is immutable when `immutable` is set']);
  const deploy = applyDefaults('deployments', {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'default' },
    spec: { selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'b' } }, spec: { containers: [{ name: 'c', image: 'x:1' }] } } },
  });
  assert.deepEqual(texts(validateObject('deployments', deploy)), ['spec.template.metadata.labels: Invalid value: {"app":"b"}: `selector` does not match template `labels`']);
});
