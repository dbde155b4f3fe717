/**
 * `kubectl auth whoami` (SelfSubjectReview) and `kubectl auth can-i` (SelfSubjectAccessReview,
 * SelfSubjectRulesReview for --list) against kubeling server with the admin kubeconfig it writes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type ServerHandle } from './helpers/server.ts';

describe('kubectl auth against kubeling server', () => {
  let s: ServerHandle;

  before(async () => {
    s = await startServer({ storage: 'memory', noAgent: true });
  });
  after(async () => {
    await s?.stop();
  });

  test('whoami names the admin user and its groups', async () => {
    const r = await s.kubectl(['auth', 'whoami']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ATTRIBUTE\s+VALUE$/m);
    assert.match(r.stdout, /^Username\s+system:admin$/m);
    assert.match(r.stdout, /^Groups\s+\[system:masters system:authenticated\]$/m);
    const json = await s.kubectl(['auth', 'whoami', '-o', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const review = JSON.parse(json.stdout) as { kind: string; apiVersion: string; status: { userInfo: { username: string } } };
    assert.equal(review.kind, 'SelfSubjectReview');
    assert.equal(review.apiVersion, 'authentication.k8s.io/v1');
    assert.equal(review.status.userInfo.username, 'system:admin');
  });

  test('can-i says yes for the admin, and --list shows the wildcard rules', async () => {
    for (const args of [['create', 'pods'], ['delete', 'nodes'], ['get', '/healthz'], ['list', 'deployments.apps', '-n', 'kube-system']]) {
      const r = await s.kubectl(['auth', 'can-i', ...args]);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout.trim(), 'yes');
    }
    const list = await s.kubectl(['auth', 'can-i', '--list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]$/m);
    assert.match(list.stdout, /^\s+\[\*\]\s+\[\]\s+\[\*\]$/m);
  });
});
