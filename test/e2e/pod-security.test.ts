/**
 * Pod Security admission driven by the real kubectl 1.32: a namespace labelled `enforce=restricted` refuses a
 * privileged pod with upstream's exact message and takes a compliant one; `warn=baseline` makes `kubectl apply`
 * of a hostNetwork Deployment print upstream's warning (and still creates it); labelling a namespace that holds
 * violating pods with a stricter enforce level prints the existing-pods warnings (also with --dry-run=server,
 * which stores nothing); a bad label is refused; and `--admission-control-config-file` sets the defaults of
 * unlabelled namespaces and exempts namespaces. No node is needed: admission happens in the API server.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { KUBELING_BIN, startServer, type ServerHandle } from './helpers/server.ts';
import { until } from './helpers/until.ts';

const privilegedPod = (name: string, ns: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}}
spec:
  containers:
  - {name: c, image: busybox, securityContext: {privileged: true}}
`;

const restrictedPod = (name: string, ns: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}}
spec:
  securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: c
    image: busybox
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
`;

const RESTRICTED_PRIVILEGED = 'violates PodSecurity "restricted:latest": privileged (container "c" must not set securityContext.privileged=true), ' +
  'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), ' +
  'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), ' +
  'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), ' +
  'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")';

describe('Pod Security admission', () => {
  let s: ServerHandle;
  let configDir: string;

  before(async () => {
    configDir = mkdtempSync(join(tmpdir(), 'kubeling-psa-'));
    const config = join(configDir, 'admission.yaml');
    writeFileSync(join(configDir, 'pod-security.yaml'), `
apiVersion: pod-security.admission.config.k8s.io/v1
kind: PodSecurityConfiguration
defaults: {enforce: baseline}
exemptions: {namespaces: [trusted]}
`);
    writeFileSync(config, `
apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  path: pod-security.yaml
`);
    s = await startServer({ storage: 'memory', noAgent: true, args: ['--admission-control-config-file', config] });
  });
  after(async () => {
    await s?.stop();
    rmSync(configDir, { recursive: true, force: true });
  });

  const ok = async (args: string[], input?: string) => {
    const r = await s.kubectl(args, input === undefined ? undefined : { input });
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r;
  };

  test('enforce=restricted refuses a privileged pod with upstream\'s message and creates a compliant one', async () => {
    await ok(['create', 'namespace', 'locked']);
    await ok(['label', 'namespace', 'locked', 'pod-security.kubernetes.io/enforce=restricted']);
    const refused = await s.kubectl(['apply', '-f', '-'], { input: privilegedPod('priv', 'locked') });
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr.trim(), `Error from server (Forbidden): error when creating "STDIN": pods "priv" is forbidden: ${RESTRICTED_PRIVILEGED}`);
    const created = await ok(['apply', '-f', '-'], restrictedPod('fine', 'locked'));
    assert.equal(created.stdout.trim(), 'pod/fine created');
    assert.equal(created.stderr, '');
    const get = await s.kubectl(['get', 'pod', 'priv', '-n', 'locked']);
    assert.equal(get.code, 1);
    assert.match(get.stderr, /pods "priv" not found/);
  });

  test('warn=baseline: applying a hostNetwork Deployment prints the warning and creates it', async () => {
    await ok(['create', 'namespace', 'warned']);
    await ok(['label', 'namespace', 'warned', 'pod-security.kubernetes.io/enforce=privileged', 'pod-security.kubernetes.io/warn=baseline']);
    const r = await ok(['apply', '-f', '-'], `
apiVersion: apps/v1
kind: Deployment
metadata: {name: hostnet, namespace: warned}
spec:
  selector: {matchLabels: {app: hostnet}}
  template:
    metadata: {labels: {app: hostnet}}
    spec:
      hostNetwork: true
      containers:
      - {name: web, image: busybox}
`);
    assert.equal(r.stderr.trim(), 'Warning: would violate PodSecurity "baseline:latest": host namespaces (hostNetwork=true)');
    assert.equal(r.stdout.trim(), 'deployment.apps/hostnet created');
  });

  test('a Deployment is created in an enforcing namespace, but its ReplicaSet\'s pods are refused (FailedCreate)', async () => {
    await ok(['create', 'namespace', 'locked-apps']);
    await ok(['label', 'namespace', 'locked-apps', 'pod-security.kubernetes.io/enforce=baseline']);
    const r = await ok(['create', 'deployment', 'web', '--image=busybox', '-n', 'locked-apps', '--', 'sleep', '3600']);
    assert.equal(r.stderr, '');
    // The ReplicaSet controller's pods use generateName, which the message names, as upstream's does.
    // Warn follows the enforce label: the patch is told what its pods will be refused for.
    const patched = await ok(['patch', 'deployment', 'web', '-n', 'locked-apps', '--type=json', '-p', '[{"op":"add","path":"/spec/template/spec/hostPID","value":true}]']);
    assert.equal(patched.stderr.trim(), 'Warning: would violate PodSecurity "baseline:latest": host namespaces (hostPID=true)');
    const message = await until(async () => {
      const events = await s.kubectl(['get', 'events', '-n', 'locked-apps', '--field-selector', 'reason=FailedCreate', '-o', 'jsonpath={.items[*].message}']);
      return events.code === 0 && events.stdout.includes('PodSecurity') ? events.stdout : undefined;
    }, 'a FailedCreate event naming PodSecurity');
    assert.match(message, /Error creating: pods "web-[a-z0-9]+-" is forbidden: violates PodSecurity "baseline:latest": host namespaces \(hostPID=true\)/);
  });

  test('labelling a namespace with violating pods prints the existing-pods warnings; dry-run stores nothing', async () => {
    await ok(['create', 'namespace', 'legacy']);
    await ok(['label', 'namespace', 'legacy', 'pod-security.kubernetes.io/enforce=privileged']);
    await ok(['apply', '-f', '-'], privilegedPod('old-a', 'legacy'));
    await ok(['apply', '-f', '-'], privilegedPod('old-b', 'legacy'));
    await ok(['apply', '-f', '-'], restrictedPod('fine', 'legacy'));
    const expected = [
      'Warning: existing pods in namespace "legacy" violate the new PodSecurity enforce level "restricted:latest"',
      'Warning: old-a (and 1 other pod): privileged, allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile',
    ];
    const dry = await ok(['label', '--dry-run=server', '--overwrite', 'ns', 'legacy', 'pod-security.kubernetes.io/enforce=restricted']);
    assert.deepEqual(dry.stderr.trim().split('\n'), expected);
    assert.equal(dry.stdout.trim(), 'namespace/legacy labeled (server dry run)');
    const label = await ok(['get', 'ns', 'legacy', '-o', 'jsonpath={.metadata.labels.pod-security\\.kubernetes\\.io/enforce}']);
    assert.equal(label.stdout, 'privileged');
    const real = await ok(['label', '--overwrite', 'ns', 'legacy', 'pod-security.kubernetes.io/enforce=restricted']);
    assert.deepEqual(real.stderr.trim().split('\n'), expected);
    assert.equal(real.stdout.trim(), 'namespace/legacy labeled');
  });

  test('a bad PodSecurity label is refused', async () => {
    await ok(['create', 'namespace', 'typo']);
    const r = await s.kubectl(['label', 'ns', 'typo', 'pod-security.kubernetes.io/enforce=strict']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /"typo" is invalid: metadata\.labels\[pod-security\.kubernetes\.io\/enforce\]: Invalid value: "strict": must be one of privileged, baseline, restricted/);
  });

  test('the configuration file: unlabelled namespaces enforce baseline, the exempt namespace nothing', async () => {
    await ok(['create', 'namespace', 'plain']);
    const refused = await s.kubectl(['apply', '-f', '-'], { input: privilegedPod('priv', 'plain') });
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr.trim(),
      'Error from server (Forbidden): error when creating "STDIN": pods "priv" is forbidden: violates PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)');
    await ok(['create', 'namespace', 'trusted']);
    await ok(['label', 'namespace', 'trusted', 'pod-security.kubernetes.io/enforce=restricted']);
    const exempt = await ok(['apply', '-f', '-'], privilegedPod('priv', 'trusted'));
    assert.equal(exempt.stdout.trim(), 'pod/priv created');
  });
});

test('a bad PodSecurity configuration stops the server before it starts, with one line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-psa-bad-'));
  try {
    writeFileSync(join(dir, 'bad.yaml'), 'apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults: {enforce: strict}\n');
    const r = spawnSync(process.execPath, [KUBELING_BIN, 'server', '--data-dir', join(dir, 'data'), '--storage', 'memory', '--no-agent', '--admission-control-config-file', join(dir, 'bad.yaml')], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 2);
    assert.equal(r.stderr, 'kubeling server: --admission-control-config-file: invalid PodSecurity configuration: defaults.enforce: Invalid value: "strict": must be one of privileged, baseline, restricted\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
