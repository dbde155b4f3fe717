/**
 * The API server's /metrics with the real kubectl: `kubectl get --raw /metrics` as the admin shows the
 * request kubectl just made (`apiserver_request_total{verb="LIST",resource="pods"}`), the store latency and
 * the process metrics; a service account's token is refused (403) until bound to `system:monitoring`, as
 * upstream's RBAC decides for the non-resource URL. The scheduler's and controllers' metrics are there too
 * (they run in the server process).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type ServerHandle } from './helpers/server.ts';
import { until } from './helpers/until.ts';

describe('/metrics', () => {
  let s: ServerHandle;

  before(async () => {
    s = await startServer({ storage: 'memory', noAgent: true });
  });
  after(async () => {
    await s?.stop();
  });

  test('kubectl get --raw /metrics shows the LIST of pods kubectl made, store latency and process metrics', async () => {
    const pods = await s.kubectl(['get', 'pods']);
    assert.equal(pods.code, 0, pods.stderr);
    const r = await s.kubectl(['get', '--raw', '/metrics']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^# TYPE apiserver_request_total counter$/m);
    assert.match(r.stdout, /^apiserver_request_total\{verb="LIST",dry_run="",group="",version="v1",resource="pods",subresource="",scope="namespace",component="apiserver",code="200"\} [1-9]\d*$/m);
    assert.match(r.stdout, /^# TYPE apiserver_request_duration_seconds histogram$/m);
    assert.match(r.stdout, /^apiserver_request_duration_seconds_bucket\{le="60",verb="LIST",.*resource="pods".*\} [1-9]\d*$/m);
    assert.match(r.stdout, /^etcd_request_duration_seconds_count\{operation="create",type="namespaces"\} [1-9]\d*$/m);
    assert.match(r.stdout, /^apiserver_storage_objects\{resource="namespaces"\} [4-9]$/m);
    assert.match(r.stdout, /^process_resident_memory_bytes \d+$/m);
  });

  test('the scheduler and the controllers report into the same /metrics', async () => {
    // No node (--no-agent): the scheduler's attempt is unschedulable; the ReplicaSet controller's queue takes the key.
    const rs = await s.kubectl(['create', 'deployment', 'web', '--image=busybox:1.35']);
    assert.equal(rs.code, 0, rs.stderr);
    const text = await until(async () => {
      const r = await s.kubectl(['get', '--raw', '/metrics']);
      return /^scheduler_schedule_attempts_total\{result="unschedulable",profile="default-scheduler"\} [1-9]/m.test(r.stdout) ? r.stdout : undefined;
    }, 'an unschedulable attempt counted');
    assert.match(text, /^workqueue_adds_total\{name="deployment"\} [1-9]\d*$/m);
    assert.match(text, /^workqueue_adds_total\{name="replicaset"\} [1-9]\d*$/m);
    assert.match(text, /^workqueue_depth\{name="replicaset"\} \d+$/m);
    assert.match(text, /^workqueue_queue_duration_seconds_count\{name="replicaset"\} [1-9]\d*$/m);
  });

  test('a service account reads /metrics only once bound to system:monitoring', async () => {
    assert.equal((await s.kubectl(['create', 'serviceaccount', 'prometheus'])).code, 0);
    const t = await s.kubectl(['create', 'token', 'prometheus']);
    assert.equal(t.code, 0, t.stderr);
    const token = t.stdout.trim();
    const refused = await s.kubectl(['--token', token, 'get', '--raw', '/metrics']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Error from server \(Forbidden\): forbidden: User "system:serviceaccount:default:prometheus" cannot get path "\/metrics"/);
    const bind = await s.kubectl(['create', 'clusterrolebinding', 'prometheus-monitoring', '--clusterrole=system:monitoring', '--serviceaccount=default:prometheus']);
    assert.equal(bind.code, 0, bind.stderr);
    // The authorizer reads the bindings from its watch cache: the grant arrives shortly after the create.
    const allowed = await until(async () => {
      const r = await s.kubectl(['--token', token, 'get', '--raw', '/metrics']);
      return r.code === 0 ? r : undefined;
    }, 'the bound service account reads /metrics');
    assert.match(allowed.stdout, /^apiserver_request_total\{verb="GET",dry_run="",group="",version="",resource="",subresource="",scope="",component="apiserver",code="403"\} [1-9]\d*$/m);
  });
});
