import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podSecurityConfigFromAdmissionFile } from './config.ts';
import { levelVersionString } from './levels.ts';

const noFiles = (path: string): string => {
  throw new Error(`unexpected read of ${path}`);
};

test('an AdmissionConfiguration with PodSecurity inline: defaults completed, exemptions kept', () => {
  const config = podSecurityConfigFromAdmissionFile(`
apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: EventRateLimit
  path: elsewhere.yaml
- name: PodSecurity
  configuration:
    apiVersion: pod-security.admission.config.k8s.io/v1
    kind: PodSecurityConfiguration
    defaults:
      enforce: baseline
      warn: restricted
      warn-version: v1.31
    exemptions:
      usernames: [system:serviceaccount:kube-system:replicaset-controller]
      runtimeClasses: [kata]
      namespaces: [kube-system]
`, noFiles)!;
  assert.equal(levelVersionString(config.defaults.enforce), 'baseline:latest');
  assert.equal(levelVersionString(config.defaults.audit), 'privileged:latest');
  assert.equal(levelVersionString(config.defaults.warn), 'restricted:v1.31');
  assert.deepEqual(config.exemptions, { usernames: ['system:serviceaccount:kube-system:replicaset-controller'], runtimeClasses: ['kata'], namespaces: ['kube-system'] });
});

test('a plugin path is read through the caller; other plugins alone give no PodSecurity config', () => {
  const config = podSecurityConfigFromAdmissionFile('{"apiVersion":"apiserver.config.k8s.io/v1","kind":"AdmissionConfiguration","plugins":[{"name":"PodSecurity","path":"ps.yaml"}]}', (path) => {
    assert.equal(path, 'ps.yaml');
    return 'apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults:\n  audit: restricted\n';
  })!;
  assert.equal(levelVersionString(config.defaults.audit), 'restricted:latest');
  assert.equal(podSecurityConfigFromAdmissionFile('apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins: []\n', noFiles), undefined);
});

test('bad configurations are refused with every problem named', () => {
  assert.throws(
    () => podSecurityConfigFromAdmissionFile(`
apiVersion: pod-security.admission.config.k8s.io/v1
kind: PodSecurityConfiguration
defaults:
  enforce: strict
  audit-version: v2
exemptions:
  namespaces: [Bad_Name]
  usernames: [""]
`, noFiles),
    {
      message: 'invalid PodSecurity configuration: defaults.enforce: Invalid value: "strict": must be one of privileged, baseline, restricted, ' +
        'defaults.audit-version: Invalid value: "v2": must be "latest" or "v1.x", ' +
        'exemptions.usernames[0]: Invalid value: "": username must not be empty, ' +
        'exemptions.namespaces[0]: Invalid value: "Bad_Name": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\'',
    },
  );
  assert.throws(() => podSecurityConfigFromAdmissionFile('kind: Something\n', noFiles), /expected kind AdmissionConfiguration/);
});
