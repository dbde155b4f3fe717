/**
 * The real kubectl (1.32) against `kubeling server --no-agent`: the everyday pod workflow on the seeds'
 * manifests (pods stay Pending without a node). apply twice (the second is a strategic merge PATCH that must
 * keep the other container), get in every output form kubectl users reach for, get -w, describe with events,
 * delete in its forms, wait --for=delete, and invalid manifests refused with Kubernetes' messages while
 * nothing is stored.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startServer, waitForOutput, type ServerHandle } from './helpers/server.ts';

const EXAMPLES = resolve(import.meta.dirname, '../../examples');
describe('kubectl against kubeling server', () => {
  let s: ServerHandle;
  const file = (name: string, text: string) => {
    const p = join(s.dataDir, name);
    writeFileSync(p, text);
    return p;
  };
  const ok = async (args: string[]) => {
    const r = await s.kubectl(args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed:\n${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    s = await startServer({ storage: 'sqlite', noAgent: true });
  });
  after(async () => {
    await s?.stop();
  });

  test('apply creates the seed pod, a second apply with a change patches it and keeps both containers', async () => {
    const manifest = join(EXAMPLES, 'two-containers.yaml');
    assert.match(await ok(['apply', '-f', manifest]), /^pod\/two-containers created$/m);
    const changed = file('two-containers-v2.yaml', readFileSync(manifest, 'utf8').replace(
      /(- name: debian-container\n\s+image: )busybox:1\.35/, '$1busybox:1.36'));
    assert.notEqual(changed, manifest);
    assert.match(await ok(['apply', '-f', changed]), /^pod\/two-containers configured$/m);
    const pod = JSON.parse(await ok(['get', 'pod', 'two-containers', '-o', 'json']));
    assert.deepEqual(pod.spec.containers.map((c: { name: string; image: string }) => `${c.name}=${c.image}`),
      ['nginx-container=busybox:1.35', 'debian-container=busybox:1.36']);
    assert.equal(pod.status.phase, 'Pending');
    // Defaults and admission as the real apiserver applies them.
    assert.equal(pod.spec.serviceAccountName, 'default');
    assert.equal(pod.spec.restartPolicy, 'Never');
    assert.equal(pod.spec.containers[0].imagePullPolicy, 'IfNotPresent');
    assert.equal(pod.spec.containers[0].ports[0].protocol, 'TCP');
    assert.ok(pod.spec.volumes.some((v: { name: string }) => /^kube-api-access-[a-z0-9]{5}$/.test(v.name)));
    assert.ok(pod.spec.tolerations.some((t: { key: string; tolerationSeconds: number }) => t.key === 'node.kubernetes.io/not-ready' && t.tolerationSeconds === 300));
    assert.match(pod.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], /busybox:1\.36/);
  });

  test('get prints the server-side table: plain, -o wide, -o yaml, -o json, -A', async () => {
    const plain = await ok(['get', 'pods']);
    assert.match(plain, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
    assert.match(plain, /^two-containers\s+0\/2\s+Pending\s+0\s+\d+s$/m);
    const wide = await ok(['get', 'pods', '-o', 'wide']);
    assert.match(wide, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES\n/);
    assert.match(wide, /^two-containers\s+0\/2\s+Pending\s+0\s+\S+\s+<none>\s+<none>\s+<none>\s+<none>$/m);
    const yaml = await ok(['get', 'pod', 'two-containers', '-o', 'yaml']);
    assert.match(yaml, /^kind: Pod$/m);
    assert.match(yaml, /^ {2}name: two-containers$/m);
    assert.match(yaml, /^ {2}resourceVersion: "\d+"$/m);
    const list = JSON.parse(await ok(['get', 'pods', '-o', 'json']));
    assert.equal(list.kind, 'List');
    assert.equal(list.items.length, 1);
    const all = await ok(['get', 'pods', '-A', '--show-labels']);
    assert.match(all, /^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+LABELS\n/);
    assert.match(all, /^default\s+two-containers\s+0\/2\s+Pending\s+0\s+\S+\s+<none>$/m);
    const namespaces = await ok(['get', 'namespaces']);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.match(namespaces, new RegExp(`^${ns}\\s+Active\\s+`, 'm'));
    const sa = await ok(['get', 'serviceaccounts', '-n', 'kube-system', '-o', 'name']);
    assert.match(sa, /^serviceaccount\/default$/m);
  });

  test('get -w prints new pods as they are created', async () => {
    const watch = s.spawnKubectl(['get', 'pods', '-w']);
    try {
      await waitForOutput(watch.stdout!, /two-containers/);
      await ok(['apply', '-f', file('watched.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: watched\nspec:\n  containers:\n  - name: c\n    image: busybox:1.35\n')]);
      const seen = await waitForOutput(watch.stdout!, /^watched\s+0\/1\s+Pending\s+0\s+\S+$/m);
      // One header only: watch events are one-row tables that kubectl prints without a header.
      assert.equal(seen.match(/^NAME\s+READY/gm)?.length, 1);
    } finally {
      watch.kill();
      await ok(['delete', 'pod', 'watched', '--ignore-not-found']);
    }
  });

  test('describe shows the pod and its events', async () => {
    const uid = (await ok(['get', 'pod', 'two-containers', '-o', 'jsonpath={.metadata.uid}'])).trim();
    const event = file('event.yaml', `apiVersion: v1
kind: Event
metadata:
  name: two-containers.17a0
involvedObject:
  apiVersion: v1
  kind: Pod
  namespace: default
  name: two-containers
  uid: ${uid}
reason: FailedScheduling
message: "0/0 nodes are available: no nodes available to schedule pods."
type: Warning
source:
  component: default-scheduler
firstTimestamp: "${new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z')}"
lastTimestamp: "${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}"
count: 2
`);
    await ok(['apply', '-f', event]);
    const out = await ok(['describe', 'pod', 'two-containers']);
    assert.match(out, /^Name:\s+two-containers$/m);
    assert.match(out, /^Status:\s+Pending$/m);
    assert.match(out, /^QoS Class:\s+BestEffort$/m);
    assert.match(out, /^\s+nginx-container:$/m);
    assert.match(out, /^\s+debian-container:$/m);
    assert.match(out, /^Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n/m);
    assert.match(out, /Warning\s+FailedScheduling\s+\S+ \(x2 over \S+\)\s+default-scheduler\s+0\/0 nodes are available/);
  });

  test('invalid manifests are refused with Kubernetes messages and nothing is stored', async () => {
    const badName = await s.kubectl(['apply', '-f', file('bad-name.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: Bad_Name\nspec:\n  containers:\n  - name: c\n    image: busybox:1.35\n')]);
    assert.notEqual(badName.code, 0);
    assert.match(badName.stderr, /The Pod "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of/);
    const noImage = await s.kubectl(['apply', '-f', file('no-image.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: no-image\nspec:\n  containers:\n  - name: c\n  - name: c\n    image: busybox:1.35\n')]);
    assert.notEqual(noImage.code, 0);
    assert.match(noImage.stderr, /The Pod "no-image" is invalid: \n\* spec\.containers\[0\]\.image: Required value\n\* spec\.containers\[1\]\.name: Duplicate value: "c"/);
    const typo = await s.kubectl(['apply', '-f', file('typo.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: typo\nspec:\n  containers:\n  - name: c\n    imagee: busybox:1.35\n')]);
    assert.notEqual(typo.code, 0);
    assert.match(typo.stderr, /Error from server \(BadRequest\): error when creating ".*typo\.yaml": Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec\.containers\[0\]\.imagee"/);
    const missingNs = await s.kubectl(['apply', '-n', 'nope', '-f', file('in-missing-ns.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: lost\nspec:\n  containers:\n  - name: c\n    image: busybox:1.35\n')]);
    assert.notEqual(missingNs.code, 0);
    assert.match(missingNs.stderr, /namespaces "nope" not found/);
    // An immutable field changed on a live pod.
    const immutable = await s.kubectl(['apply', '-f', file('immutable.yaml', readFileSync(join(EXAMPLES, 'two-containers.yaml'), 'utf8').replace('restartPolicy: Never', 'restartPolicy: Always'))]);
    assert.notEqual(immutable.code, 0);
    assert.match(immutable.stderr, /The Pod "two-containers" is invalid: spec: Forbidden: pod updates may not change fields other than/);
    const names = await ok(['get', 'pods', '-o', 'name']);
    assert.equal(names.trim(), 'pod/two-containers');
    const got = await s.kubectl(['get', 'pod', 'typo']);
    assert.match(got.stderr, /Error from server \(NotFound\): pods "typo" not found/);
  });

  test('a pod with scheduling gates shows STATUS SchedulingGated and the PodScheduled condition reason and message', async () => {
    const gated = file('gated.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: gated\nspec:\n  schedulingGates:\n  - name: example.com/wait\n  containers:\n  - name: c\n    image: busybox:1.35\n');
    assert.match(await ok(['apply', '-f', gated]), /^pod\/gated created$/m);
    assert.match(await ok(['get', 'pod', 'gated']), /^gated\s+0\/1\s+SchedulingGated\s+0\s+/m);
    assert.equal(await ok(['get', 'pod', 'gated', '-o', 'jsonpath={.status.conditions[0].reason}: {.status.conditions[0].message}']),
      'SchedulingGated: Scheduling is blocked due to non-empty scheduling gates');
    await ok(['delete', 'pod', 'gated']);
  });

  test('delete by name, several at once, --all; wait --for=delete', async () => {
    const pod = (n: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${n}\n  labels:\n    app: del\nspec:\n  containers:\n  - name: c\n    image: busybox:1.35\n`;
    await ok(['apply', '-f', file('del.yaml', ['a', 'b', 'c', 'd'].map(pod).join('---\n'))]);
    const waiting = s.kubectl(['wait', '--for=delete', 'pod/a', '--timeout=30s']);
    assert.match(await ok(['delete', 'pod', 'a']), /^pod "a" deleted$/m);
    const waited = await waiting;
    assert.equal(waited.code, 0, waited.stderr);
    const several = await ok(['delete', 'pod', 'b', 'c']);
    assert.match(several, /^pod "b" deleted\npod "c" deleted$/m);
    assert.match(await ok(['delete', 'pods', '--all']), /^pod "d" deleted$/m);
    const left = await s.kubectl(['get', 'pods']);
    assert.match(left.stderr, /No resources found in default namespace\./);
    const missing = await s.kubectl(['delete', 'pod', 'a']);
    assert.match(missing.stderr, /Error from server \(NotFound\): pods "a" not found/);
  });

  test('a namespace created with apply gets a default service account and is emptied when deleted', async () => {
    await ok(['apply', '-f', file('ns.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: scratch\n')]);
    await ok(['apply', '-n', 'scratch', '-f', file('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: "1"\n')]);
    assert.match(await ok(['get', 'sa', '-n', 'scratch', '-o', 'name']), /^serviceaccount\/default$/m);
    assert.match(await ok(['delete', 'namespace', 'scratch']), /^namespace "scratch" deleted$/m);
    const ns = await s.kubectl(['get', 'namespace', 'scratch']);
    assert.match(ns.stderr, /namespaces "scratch" not found/);
    const cms = await s.kubectl(['get', 'configmaps', '-n', 'scratch', '-o', 'name']);
    assert.equal(cms.stdout.trim(), '');
    const refused = await s.kubectl(['delete', 'namespace', 'kube-system']);
    assert.match(refused.stderr, /Error from server \(Forbidden\): namespaces "kube-system" is forbidden: this namespace may not be deleted/);
  });

  test('kubectl create namespace/configmap/secret/deployment (protobuf bodies) work', async () => {
    assert.match(await ok(['create', 'namespace', 'proto']), /^namespace\/proto created$/m);
    assert.match(await ok(['create', 'configmap', 'cfg', '-n', 'proto', '--from-literal=mode=fast']), /^configmap\/cfg created$/m);
    assert.match(await ok(['create', 'secret', 'generic', 'pw', '-n', 'proto', '--from-literal=password=hunter2']), /^secret\/pw created$/m);
    assert.match(await ok(['create', 'deployment', 'web', '-n', 'proto', '--image=busybox:1.35', '--replicas=0']), /^deployment\.apps\/web created$/m);
    const cfg = JSON.parse(await ok(['get', 'configmap', 'cfg', '-n', 'proto', '-o', 'json']));
    assert.deepEqual(cfg.data, { mode: 'fast' });
    const pw = JSON.parse(await ok(['get', 'secret', 'pw', '-n', 'proto', '-o', 'json']));
    assert.equal(Buffer.from(pw.data.password, 'base64').toString(), 'hunter2');
    assert.equal(pw.type, 'Opaque');
    const deploy = JSON.parse(await ok(['get', 'deployment', 'web', '-n', 'proto', '-o', 'json']));
    assert.equal(deploy.spec.replicas, 0, 'an explicit 0 survives protobuf decoding');
    assert.equal(deploy.spec.template.spec.containers[0].image, 'busybox:1.35');
    assert.equal(deploy.spec.template.spec.containers[0].stdin, undefined, 'empty non-pointer fields are omitted as in JSON');
  });

  test('every example applies (server-side too) and stays Pending without a node', async () => {
    await ok(['create', 'namespace', 'examples']);
    for (const name of ['javaweb-2.yaml', 'liveness-exec.yaml', 'projected-volume.yaml']) {
      const out = await ok(['apply', '--server-side', '-n', 'examples', '-f', join(EXAMPLES, name)]);
      assert.match(out, /serverside-applied/);
      // A second server-side apply of the same file changes nothing.
      assert.match(await ok(['apply', '--server-side', '-n', 'examples', '-f', join(EXAMPLES, name)]), /serverside-applied/);
    }
    const pods = await ok(['get', 'pods', '-n', 'examples']);
    assert.match(pods, /^javaweb-2\s+0\/1\s+Pending\s+0\s+/m);
    assert.match(pods, /^liveness-exec\s+0\/1\s+Pending\s+0\s+/m);
    assert.match(pods, /^test-projected-volume\s+0\/1\s+Pending\s+0\s+/m);
    const secret = JSON.parse(await ok(['get', 'secret', 'user', '-n', 'examples', '-o', 'json']));
    assert.equal(Buffer.from(secret.data['username.txt'], 'base64').toString(), 'admin', 'stringData is stored as data');
    const probe = JSON.parse(await ok(['get', 'pod', 'liveness-exec', '-n', 'examples', '-o', 'json'])).spec.containers[0].livenessProbe;
    assert.deepEqual({ t: probe.timeoutSeconds, s: probe.successThreshold, f: probe.failureThreshold }, { t: 1, s: 1, f: 3 });
  });
});

