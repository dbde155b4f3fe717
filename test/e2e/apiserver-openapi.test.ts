/**
 * The real kubectl against the server's OpenAPI v3 component schemas: `kubectl explain` walks them
 * (pod.spec.containers, with the field types), and a second `kubectl apply` of a changed manifest computes its
 * strategic merge patch from their patch extensions (containers merged by name) without a warning on stderr.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type ServerHandle } from './helpers/server.ts';

describe('OpenAPI schemas with the real kubectl', () => {
  let s: ServerHandle;

  before(async () => {
    s = await startServer({ storage: 'memory', noAgent: true });
  });
  after(async () => {
    await s?.stop();
  });

  test('kubectl explain pod.spec.containers shows the field and its subfields', async () => {
    const r = await s.kubectl(['explain', 'pod.spec.containers']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^KIND:\s+Pod$/m);
    assert.match(r.stdout, /^VERSION:\s+v1$/m);
    assert.match(r.stdout, /^FIELD: containers <\[\]Container>$/m);
    assert.match(r.stdout, /^\s+image\s+<string>$/m);
    assert.match(r.stdout, /^\s+ports\s+<\[\]ContainerPort>$/m);
    assert.match(r.stdout, /^\s+livenessProbe\s+<Probe>$/m);
    const deployment = await s.kubectl(['explain', 'deployment.spec.template.spec.containers.resources']);
    assert.equal(deployment.code, 0, deployment.stderr);
    assert.match(deployment.stdout, /^GROUP:\s+apps$/m);
    assert.match(deployment.stdout, /^\s+limits\s+<map\[string\]Quantity>$/m);
  });

  test('a second apply merges containers by name and prints no warning', async () => {
    const v1 = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: twice\n  labels:\n    a: "1"\nspec:\n  containers:\n' +
      '  - name: one\n    image: busybox:1.35\n    env:\n    - name: X\n      value: "1"\n  - name: two\n    image: busybox:1.35\n';
    const path = join(s.dataDir, 'twice.yaml');
    writeFileSync(path, v1);
    const first = await s.kubectl(['apply', '-f', path]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stderr, '');
    // Change a label and one container's image (a pod's mutable field); the other container must stay as it is.
    writeFileSync(path, v1.replace('a: "1"', 'a: "2"').replace('image: busybox:1.35\n    env', 'image: busybox:1.36\n    env'));
    const second = await s.kubectl(['apply', '-f', path, '-v=6']);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /^pod\/twice configured$/m);
    assert.doesNotMatch(second.stderr, /warning/i);
    assert.match(second.stderr, /PATCH https:\/\/\S+\/api\/v1\/namespaces\/default\/pods\/twice\?fieldManager=kubectl-client-side-apply&fieldValidation=Strict 200/);
    const pod = JSON.parse((await s.kubectl(['get', 'pod', 'twice', '-o', 'json'])).stdout) as {
      metadata: { labels: Record<string, string> };
      spec: { containers: { name: string; image: string; env?: { name: string; value: string }[] }[] };
    };
    assert.equal(pod.metadata.labels.a, '2');
    assert.deepEqual(pod.spec.containers.map((c) => c.name), ['one', 'two']);
    assert.deepEqual(pod.spec.containers.map((c) => c.image), ['busybox:1.36', 'busybox:1.35']);
    assert.deepEqual(pod.spec.containers[0]!.env, [{ name: 'X', value: '1' }]);
  });
});
