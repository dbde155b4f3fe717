import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RESOURCES, type KubeObject, type Pod, type PodSpec } from '../../../api/index.ts';
import type { AdmissionAttributes, AdmissionLookup, Operation } from '../chain.ts';
import { ApiError } from '../../status.ts';
import { DEFAULT_POD_SECURITY_CONFIG, type PodSecurityConfig } from './config.ts';
import { PodSecurity } from './plugin.ts';

const resource = (group: string, plural: string) => RESOURCES.find((r) => r.group === group && r.plural === plural)!;

function lookup(namespaces: Record<string, Record<string, string>>, pods: Pod[] = []): AdmissionLookup {
  return {
    get: async (res, _ns, name) => (res === 'namespaces' && namespaces[name] ? { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: namespaces[name] } } : undefined),
    list: async (res, ns) => (res === 'pods' ? pods.filter((p) => p.metadata?.namespace === ns) as unknown as KubeObject[] : []),
  };
}

const privilegedSpec = (): PodSpec => ({ containers: [{ name: 'c', image: 'busybox', securityContext: { privileged: true } }] });
const restrictedSpec = (): PodSpec => ({
  securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
  containers: [{ name: 'c', image: 'busybox', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
});
const pod = (name: string, spec: PodSpec, namespace = 'ns'): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, spec });

function attrs(operation: Operation, group: string, plural: string, object: unknown, extra: Partial<AdmissionAttributes> = {}): AdmissionAttributes {
  const o = object as KubeObject;
  return {
    operation, resource: resource(group, plural), subresource: '', namespace: plural === 'namespaces' ? '' : (o.metadata?.namespace ?? 'ns'),
    name: o.metadata?.name ?? '', object: o, oldObject: undefined, dryRun: false, user: 'alice', warnings: [], auditAnnotations: {}, ...extra,
  };
}

const RESTRICTED_PRIVILEGED = 'violates PodSecurity "restricted:latest": privileged (container "c" must not set securityContext.privileged=true), ' +
  'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), ' +
  'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), ' +
  'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), ' +
  'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")';

test('enforce: a violating pod is refused with 403 and upstream\'s message; a compliant pod passes', async () => {
  const plugin = new PodSecurity(lookup({ ns: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/audit': 'restricted' } }));
  const bad = attrs('CREATE', '', 'pods', pod('x', privilegedSpec()));
  await assert.rejects(plugin.validate(bad), (err: ApiError) => {
    assert.equal(err.code, 403);
    assert.equal(err.reason, 'Forbidden');
    assert.equal(err.message, `pods "x" is forbidden: ${RESTRICTED_PRIVILEGED}`);
    return true;
  });
  assert.deepEqual(bad.warnings, []);
  assert.equal(bad.auditAnnotations!['pod-security.kubernetes.io/enforce-policy'], 'restricted:latest');
  assert.equal(bad.auditAnnotations!['pod-security.kubernetes.io/audit-violations'], `would ${RESTRICTED_PRIVILEGED.replace("violates", "violate")}`);
  const good = attrs('CREATE', '', 'pods', pod('y', restrictedSpec()));
  await plugin.validate(good);
  assert.deepEqual(good.warnings, []);
  assert.deepEqual(good.auditAnnotations, { 'pod-security.kubernetes.io/enforce-policy': 'restricted:latest' });
});

test('warn and audit never refuse; an unlabelled namespace is privileged and left alone', async () => {
  const plugin = new PodSecurity(lookup({ ns: { 'pod-security.kubernetes.io/warn': 'baseline', 'pod-security.kubernetes.io/audit': 'baseline', 'pod-security.kubernetes.io/audit-version': 'v1.30' }, open: {} }));
  const a = attrs('CREATE', '', 'pods', pod('x', { ...privilegedSpec(), hostNetwork: true }));
  await plugin.validate(a);
  assert.deepEqual(a.warnings, ['would violate PodSecurity "baseline:latest": host namespaces (hostNetwork=true), privileged (container "c" must not set securityContext.privileged=true)']);
  assert.equal(a.auditAnnotations!['pod-security.kubernetes.io/audit-violations'],
    'would violate PodSecurity "baseline:v1.30": host namespaces (hostNetwork=true), privileged (container "c" must not set securityContext.privileged=true)');
  const open = attrs('CREATE', '', 'pods', pod('x', privilegedSpec(), 'open'));
  await plugin.validate(open);
  assert.deepEqual(open.warnings, []);
  assert.deepEqual(open.auditAnnotations, {});
});

test('workloads: their pod template gets warn and audit, never enforce', async () => {
  const plugin = new PodSecurity(lookup({ ns: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'baseline' } }));
  const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'ns' }, spec: { selector: {}, template: { spec: { hostNetwork: true, containers: [{ name: 'c', image: 'busybox' }] } } } };
  const a = attrs('CREATE', 'apps', 'deployments', deployment);
  await plugin.validate(a);
  assert.deepEqual(a.warnings, ['would violate PodSecurity "baseline:latest": host namespaces (hostNetwork=true)']);
  const cronjob = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'cj', namespace: 'ns' }, spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: privilegedSpec() } } } } };
  const b = attrs('CREATE', 'batch', 'cronjobs', cronjob);
  await plugin.validate(b);
  assert.deepEqual(b.warnings, ['would violate PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)']);
  // The scale and status subresources are not checked.
  const scale = attrs('UPDATE', 'apps', 'deployments', deployment, { subresource: 'status', oldObject: deployment as unknown as KubeObject });
  await plugin.validate(scale);
  assert.deepEqual(scale.warnings, []);
});

test('updates: only changes the checks could see are checked again; status and exec never', async () => {
  const plugin = new PodSecurity(lookup({ ns: { 'pod-security.kubernetes.io/enforce': 'restricted' } }));
  const old = pod('x', privilegedSpec());
  const relabelled = structuredClone(old);
  relabelled.metadata!.labels = { a: 'b' };
  await plugin.validate(attrs('UPDATE', '', 'pods', relabelled, { oldObject: old as unknown as KubeObject }));
  await plugin.validate(attrs('UPDATE', '', 'pods', relabelled, { oldObject: old as unknown as KubeObject, subresource: 'status' }));
  const newImage = structuredClone(old);
  newImage.spec!.containers[0]!.image = 'busybox:2';
  await assert.rejects(plugin.validate(attrs('UPDATE', '', 'pods', newImage, { oldObject: old as unknown as KubeObject })), { code: 403 });
  // A compliant pod gets a privileged debug container: the ephemeralcontainers subresource is checked.
  const compliant = pod('y', restrictedSpec());
  const debugged = structuredClone(compliant);
  debugged.spec!.ephemeralContainers = [{ name: 'debug', image: 'busybox', securityContext: { privileged: true } }];
  await assert.rejects(plugin.validate(attrs('UPDATE', '', 'pods', debugged, { oldObject: compliant as unknown as KubeObject, subresource: 'ephemeralcontainers' })), (err: ApiError) => {
    assert.match(err.message, /^pods "y" is forbidden: violates PodSecurity "restricted:latest": privileged \(container "debug" must not set securityContext.privileged=true\), allowPrivilegeEscalation != false \(container "debug" must set/);
    return true;
  });
});

test('namespaces: bad labels refused with 422 on create and when changed; an unchanged bad label is let be', async () => {
  const plugin = new PodSecurity(lookup({}));
  const ns = (labels: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x', labels } });
  await assert.rejects(plugin.validate(attrs('CREATE', '', 'namespaces', ns({ 'pod-security.kubernetes.io/enforce': 'strict' }))), (err: ApiError) => {
    assert.equal(err.code, 422);
    assert.equal(err.message, 'Namespace "x" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted');
    return true;
  });
  const bad = ns({ 'pod-security.kubernetes.io/warn-version': '1.2' });
  await assert.rejects(plugin.validate(attrs('UPDATE', '', 'namespaces', bad, { oldObject: ns({}) as unknown as KubeObject })), { code: 422 });
  const stillBad = ns({ 'pod-security.kubernetes.io/warn-version': '1.2', other: 'label' });
  await plugin.validate(attrs('UPDATE', '', 'namespaces', stillBad, { oldObject: bad as unknown as KubeObject }));
});

test('namespaces: a stricter enforce level warns about existing pods, one line per set of reasons', async () => {
  const pods = [
    pod('web-b', { ...privilegedSpec(), hostNetwork: true }), pod('web-a', { ...privilegedSpec(), hostNetwork: true }), pod('web-c', { ...privilegedSpec(), hostNetwork: true }),
    pod('host', { hostPID: true, containers: [{ name: 'c', image: 'busybox' }] }), pod('fine', { containers: [{ name: 'c', image: 'busybox' }] }),
    pod('elsewhere', privilegedSpec(), 'other'),
  ];
  const plugin = new PodSecurity(lookup({}, pods));
  const ns = (labels: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns', labels } });
  const a = attrs('UPDATE', '', 'namespaces', ns({ 'pod-security.kubernetes.io/enforce': 'baseline' }), { oldObject: ns({}) as unknown as KubeObject, dryRun: true });
  await plugin.validate(a);
  assert.deepEqual(a.warnings, [
    'existing pods in namespace "ns" violate the new PodSecurity enforce level "baseline:latest"',
    'host: host namespaces',
    'web-a (and 2 other pods): host namespaces, privileged',
  ]);
  // Relaxing (same version), unchanged and privileged enforce levels check nothing.
  for (const [next, prev] of [['privileged', 'baseline'], ['baseline', 'baseline'], ['baseline', 'restricted']]) {
    const b = attrs('UPDATE', '', 'namespaces', ns({ 'pod-security.kubernetes.io/enforce': next! }), { oldObject: ns({ 'pod-security.kubernetes.io/enforce': prev! }) as unknown as KubeObject });
    await plugin.validate(b);
    assert.deepEqual(b.warnings, [], `${prev} -> ${next}`);
  }
});

test('exemptions and defaults from the configuration', async () => {
  const config: PodSecurityConfig = {
    defaults: { ...DEFAULT_POD_SECURITY_CONFIG.defaults, enforce: { level: 'baseline', version: { latest: true, minor: 0 } } },
    exemptions: { usernames: ['system:node:n1'], runtimeClasses: ['kata'], namespaces: ['trusted'] },
  };
  const plugin = new PodSecurity(lookup({ ns: {}, trusted: {} }), config);
  await assert.rejects(plugin.validate(attrs('CREATE', '', 'pods', pod('x', privilegedSpec()))), /violates PodSecurity "baseline:latest": privileged/);
  const byNamespace = attrs('CREATE', '', 'pods', pod('x', privilegedSpec(), 'trusted'));
  await plugin.validate(byNamespace);
  assert.deepEqual(byNamespace.auditAnnotations, { 'pod-security.kubernetes.io/exempt': 'namespace' });
  const byUser = attrs('CREATE', '', 'pods', pod('x', privilegedSpec()), { user: 'system:node:n1' });
  await plugin.validate(byUser);
  assert.deepEqual(byUser.auditAnnotations, { 'pod-security.kubernetes.io/exempt': 'user' });
  const byRuntimeClass = attrs('CREATE', '', 'pods', pod('x', { ...privilegedSpec(), runtimeClassName: 'kata' }));
  await plugin.validate(byRuntimeClass);
  assert.deepEqual(byRuntimeClass.auditAnnotations, { 'pod-security.kubernetes.io/exempt': 'runtimeClass' });
});

test('a namespace with a bad label: enforce falls back to restricted:latest and the audit annotation says why', async () => {
  const plugin = new PodSecurity(lookup({ ns: { 'pod-security.kubernetes.io/enforce': 'strict' } }));
  const a = attrs('CREATE', '', 'pods', pod('x', privilegedSpec()));
  await assert.rejects(plugin.validate(a), { message: `pods "x" is forbidden: ${RESTRICTED_PRIVILEGED}` });
  assert.equal(a.auditAnnotations!['pod-security.kubernetes.io/error'],
    'Failed to parse policy: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted');
});

test('exempt namespaces: labels asking for more than the defaults are ignored, with upstream\'s warning', async () => {
  const config: PodSecurityConfig = { ...DEFAULT_POD_SECURITY_CONFIG, exemptions: { usernames: [], runtimeClasses: [], namespaces: ['trusted'] } };
  const plugin = new PodSecurity(lookup({}), config);
  const ns = (labels: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'trusted', labels } });
  const created = attrs('CREATE', '', 'namespaces', ns({ 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'baseline', 'pod-security.kubernetes.io/warn-version': 'v1.30' }));
  await plugin.validate(created);
  assert.deepEqual(created.warnings, ['namespace "trusted" is exempt from Pod Security, and the policy (enforce=restricted:latest, warn=baseline:v1.30) will be ignored']);
  const updated = attrs('UPDATE', '', 'namespaces', ns({ 'pod-security.kubernetes.io/enforce': 'baseline' }), { oldObject: ns({}) as unknown as KubeObject });
  await plugin.validate(updated);
  assert.deepEqual(updated.warnings, ['namespace "trusted" is exempt from Pod Security, and the policy (enforce=baseline:latest) will be ignored']);
  const privileged = attrs('CREATE', '', 'namespaces', ns({ 'pod-security.kubernetes.io/enforce': 'privileged' }));
  await plugin.validate(privileged);
  assert.deepEqual(privileged.warnings, []);
});

test('the existing-pods check skips pods of exempt runtimeClasses; a workload in a missing namespace is annotated', async () => {
  const config: PodSecurityConfig = { ...DEFAULT_POD_SECURITY_CONFIG, exemptions: { usernames: [], runtimeClasses: ['kata'], namespaces: [] } };
  const plugin = new PodSecurity(lookup({ ns: {} }, [pod('vm', { ...privilegedSpec(), runtimeClassName: 'kata' })]), config);
  const ns = (labels: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns', labels } });
  const a = attrs('UPDATE', '', 'namespaces', ns({ 'pod-security.kubernetes.io/enforce': 'restricted' }), { oldObject: ns({}) as unknown as KubeObject });
  await plugin.validate(a);
  assert.deepEqual(a.warnings, []);
  const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j', namespace: 'gone' }, spec: { template: { spec: privilegedSpec() } } };
  const b = attrs('CREATE', 'batch', 'jobs', job);
  await plugin.validate(b);
  assert.deepEqual(b.auditAnnotations, { 'pod-security.kubernetes.io/error': 'failed to lookup namespace "gone": namespaces "gone" not found' });
});
