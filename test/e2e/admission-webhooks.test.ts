/**
 * Admission webhooks driven by the real kubectl 1.32, against webhook servers the test runs over HTTPS with their
 * own CA (given as `caBundle`): a mutating webhook injects a sidecar container into new pods of labelled
 * namespaces; a validating webhook refuses a label with its own message; a webhook that never answers lets the
 * request through with `failurePolicy: Ignore` and refuses it with upstream's message with `Fail`; a
 * ValidatingAdmissionPolicy (CEL) refuses Deployments with more than 5 replicas with upstream's message; a
 * PodPreset (settings.k8s.io/v1alpha1, Kubernetes 1.19's) injects env into a matching pod and not into one annotated
 * to be excluded. No node is needed: admission happens in the API server.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type ServerHandle } from './helpers/server.ts';
import { patchResponse, startWebhookServer, type WebhookServer } from '../../src/apiserver/admission/webhook/testing.ts';

const webhookConfig = (kind: 'Mutating' | 'Validating', name: string, hook: WebhookServer, path: string, resources: string, extra = '') => `
apiVersion: admissionregistration.k8s.io/v1
kind: ${kind}WebhookConfiguration
metadata: {name: ${name}}
webhooks:
- name: ${name}.kubeling.test
  sideEffects: None
  admissionReviewVersions: [v1]
  clientConfig: {url: "${hook.url}${path}", caBundle: ${hook.caBundle}}
  rules: [{operations: [CREATE, UPDATE], apiGroups: [""], apiVersions: [v1], resources: [${resources}]}]
  namespaceSelector: {matchLabels: {webhooks: "on"}}
${extra}`;

describe('admission webhooks', () => {
  let s: ServerHandle;
  let hook: WebhookServer;

  before(async () => {
    hook = await startWebhookServer((req, path) => {
      if (path === '/sidecar') return patchResponse([{ op: 'add', path: '/spec/containers/-', value: { name: 'sidecar', image: 'busybox', command: ['sleep', '3600'] } }]);
      if (path === '/labels') {
        const labels = (req.object?.metadata?.labels ?? {}) as Record<string, string>;
        return 'forbidden' in labels ? { allowed: false, status: { message: 'the label "forbidden" is not allowed here' } } : { allowed: true };
      }
      return 'hang';
    });
    s = await startServer({ storage: 'memory', noAgent: true });
  });
  after(async () => {
    await s?.stop();
    await hook?.close();
  });

  const ok = async (args: string[], input?: string) => {
    const r = await s.kubectl(args, input === undefined ? undefined : { input });
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r;
  };

  test('a mutating webhook injects a sidecar into new pods', async () => {
    await ok(['create', 'namespace', 'injected']);
    await ok(['label', 'namespace', 'injected', 'webhooks=on']);
    await ok(['apply', '-f', '-'], webhookConfig('Mutating', 'sidecar-injector', hook, '/sidecar', 'pods'));
    const list = await ok(['get', 'mutatingwebhookconfigurations']);
    assert.match(list.stdout, /^NAME\s+WEBHOOKS\s+AGE\nsidecar-injector\s+1\s+/);
    await ok(['run', 'web', '-n', 'injected', '--image=busybox', '--', 'sleep', '3600']);
    const names = await ok(['get', 'pod', 'web', '-n', 'injected', '-o', 'jsonpath={.spec.containers[*].name}']);
    assert.equal(names.stdout, 'web sidecar');
    // A namespace the selector does not match is left alone.
    await ok(['create', 'namespace', 'plain']);
    await ok(['run', 'web', '-n', 'plain', '--image=busybox', '--', 'sleep', '3600']);
    assert.equal((await ok(['get', 'pod', 'web', '-n', 'plain', '-o', 'jsonpath={.spec.containers[*].name}'])).stdout, 'web');
  });

  test('a validating webhook refuses a label with its own message', async () => {
    await ok(['create', 'namespace', 'checked']);
    await ok(['label', 'namespace', 'checked', 'webhooks=on']);
    await ok(['apply', '-f', '-'], webhookConfig('Validating', 'label-policy', hook, '/labels', 'configmaps'));
    await ok(['create', 'configmap', 'fine', '-n', 'checked']);
    const refused = await s.kubectl(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad, namespace: checked, labels: {forbidden: "yes"}}\n' });
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr.trim(), 'Error from server: error when creating "STDIN": admission webhook "label-policy.kubeling.test" denied the request: the label "forbidden" is not allowed here');
    const labelled = await s.kubectl(['label', 'configmap', 'fine', '-n', 'checked', 'forbidden=yes']);
    assert.equal(labelled.code, 1);
    assert.match(labelled.stderr, /admission webhook "label-policy.kubeling.test" denied the request: the label "forbidden" is not allowed here/);
    assert.equal((await s.kubectl(['get', 'configmap', 'bad', '-n', 'checked'])).code, 1);
  });

  test('a webhook that times out: failurePolicy Ignore lets the request through, Fail refuses it with upstream\'s message', async () => {
    await ok(['create', 'namespace', 'slow']);
    await ok(['label', 'namespace', 'slow', 'webhooks=on']);
    await ok(['apply', '-f', '-'], webhookConfig('Validating', 'slow', hook, '/hang', 'secrets', '  timeoutSeconds: 1\n  failurePolicy: Ignore\n'));
    await ok(['create', 'secret', 'generic', 'passes', '-n', 'slow', '--from-literal=a=b']);
    await ok(['apply', '-f', '-'], webhookConfig('Validating', 'slow', hook, '/hang', 'secrets', '  timeoutSeconds: 1\n  failurePolicy: Fail\n'));
    const refused = await s.kubectl(['create', 'secret', 'generic', 'refused', '-n', 'slow', '--from-literal=a=b']);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr.trim(), `error: failed to create secret Internal error occurred: failed calling webhook "slow.kubeling.test": failed to call webhook: Post "${hook.url}/hang?timeout=1s": context deadline exceeded`);
    assert.equal((await s.kubectl(['get', 'secret', 'passes', '-n', 'slow'])).code, 0);
  });

  test('a ValidatingAdmissionPolicy refuses a Deployment with replicas > 5 with upstream\'s message', async () => {
    await ok(['apply', '-f', '-'], `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: max-replicas}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules: [{apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}]
  validations:
  - expression: object.spec.replicas <= 5
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: max-replicas-binding}
spec:
  policyName: max-replicas
  validationActions: [Deny]
`);
    const listed = await ok(['get', 'validatingadmissionpolicies']);
    assert.match(listed.stdout, /^NAME\s+VALIDATIONS\s+PARAMKIND\s+AGE\nmax-replicas\s+1\s+<unset>\s+/);
    const bindings = await ok(['get', 'validatingadmissionpolicybindings']);
    assert.match(bindings.stdout, /^NAME\s+POLICYNAME\s+PARAMREF\s+AGE\nmax-replicas-binding\s+max-replicas\s+<unset>\s+/);
    await ok(['create', 'deployment', 'small', '--image=busybox', '--replicas=5']);
    const refused = await s.kubectl(['create', 'deployment', 'big', '--image=busybox', '--replicas=6']);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr.trim(), 'error: failed to create deployment: deployments.apps "big" is forbidden: ' +
      "ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-binding' denied request: failed expression: object.spec.replicas <= 5");
    // An update is checked too (`kubectl scale` would not be: it writes deployments/scale, which the rule does not name).
    const scaled = await s.kubectl(['patch', 'deployment', 'small', '-p', '{"spec":{"replicas":7}}']);
    assert.equal(scaled.code, 1);
    assert.match(scaled.stderr, /ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-binding' denied request: failed expression: object.spec.replicas <= 5/);
  });

  test('a PodPreset injects env into a matching pod and not into an excluded one', async () => {
    await ok(['create', 'namespace', 'presets']);
    await ok(['apply', '-f', '-'], `
apiVersion: settings.k8s.io/v1alpha1
kind: PodPreset
metadata: {name: allow-database, namespace: presets}
spec:
  selector: {matchLabels: {role: frontend}}
  env: [{name: DB_PORT, value: "6379"}]
  volumeMounts: [{mountPath: /cache, name: cache-volume}]
  volumes: [{name: cache-volume, emptyDir: {}}]
`);
    const listed = await ok(['get', 'podpresets', '-n', 'presets']);
    assert.match(listed.stdout, /^NAME\s+CREATED AT\nallow-database\s+/);
    const rv = (await ok(['get', 'podpreset', 'allow-database', '-n', 'presets', '-o', 'jsonpath={.metadata.resourceVersion}'])).stdout;
    await ok(['run', 'website', '-n', 'presets', '--image=busybox', '--labels=role=frontend']);
    const env = await ok(['get', 'pod', 'website', '-n', 'presets', '-o', 'jsonpath={.spec.containers[0].env[*].name}={.spec.containers[0].env[*].value} {.spec.volumes[*].name}']);
    // The service-account token volume (ServiceAccount admission) comes first, then the preset's.
    assert.match(env.stdout, /^DB_PORT=6379 kube-api-access-[a-z0-9]+ cache-volume$/);
    const annotation = await ok(['get', 'pod', 'website', '-n', 'presets', '-o', 'jsonpath={.metadata.annotations.podpreset\\.admission\\.kubernetes\\.io/podpreset-allow-database}']);
    assert.equal(annotation.stdout, rv);
    await ok(['run', 'excluded', '-n', 'presets', '--image=busybox', '--labels=role=frontend', '--annotations=podpreset.admission.kubernetes.io/exclude=true']);
    assert.equal((await ok(['get', 'pod', 'excluded', '-n', 'presets', '-o', 'jsonpath={.spec.containers[0].env}'])).stdout, '');
    await ok(['run', 'backend', '-n', 'presets', '--image=busybox', '--labels=role=backend']);
    assert.equal((await ok(['get', 'pod', 'backend', '-n', 'presets', '-o', 'jsonpath={.spec.containers[0].env}'])).stdout, '');
  });
});

describe('PodPreset turned off', () => {
  let s: ServerHandle;
  before(async () => {
    s = await startServer({ storage: 'memory', noAgent: true, args: ['--disable-admission-plugins', 'PodPreset'] });
  });
  after(async () => {
    await s?.stop();
  });

  test('--disable-admission-plugins PodPreset: presets are stored but not applied', async () => {
    const r = await s.kubectl(['apply', '-f', '-'], { input: `
apiVersion: settings.k8s.io/v1alpha1
kind: PodPreset
metadata: {name: env, namespace: default}
spec:
  selector: {}
  env: [{name: INJECTED, value: "yes"}]
` });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await s.kubectl(['run', 'plain', '--image=busybox'])).code, 0);
    assert.equal((await s.kubectl(['get', 'pod', 'plain', '-o', 'jsonpath={.spec.containers[0].env}'])).stdout, '');
  });
});
