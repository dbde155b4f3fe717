/**
 * The API server's /metrics with the real kubectl: `kubectl get --raw /metrics` as the admin shows the
 * request kubectl just made (`apiserver_request_total{verb="LIST",resource="pods"}`), the store latency and
 * the process metrics; a service account's token is refused (403) until bound to `system:monitoring`, as
 * upstream's RBAC decides for the non-resource URL. The scheduler's and controllers' metrics are there too
 * (they run in the server process), with `rest_client_requests_total` of their clients. The kubelet's own
 * /metrics (its pods, containers, PLEG relists, pod start SLI and its client's requests) is reached as upstream's
 * is, through `nodes/NODE/proxy/metrics`, which needs `get` on `nodes/proxy`.
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
    // The controllers' and scheduler's own requests to the API server, as client-go counts them.
    assert.match(r.stdout, /^rest_client_requests_total\{code="200",host="127\.0\.0\.1:\d+",method="GET"\} [1-9]\d*$/m);
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

describe('the kubelet /metrics', () => {
  let s: ServerHandle;

  before(async () => {
    s = await startServer({ storage: 'memory', runtime: 'fake' });
  });
  after(async () => {
    await s?.stop();
  });

  test('kubectl get --raw /api/v1/nodes/NODE/proxy/metrics shows running pods, containers, PLEG and pod start', async () => {
    const run = await s.kubectl(['run', 'sleeper', '--image=busybox:1.35', '--', 'sleep', '3600']);
    assert.equal(run.code, 0, run.stderr);
    const node = (await s.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout;
    const text = await until(async () => {
      const r = await s.kubectl(['get', '--raw', `/api/v1/nodes/${node}/proxy/metrics`]);
      // The running pod shows from the first PLEG relist after its sandbox started (up to a second after the start).
      const counted = /^kubelet_pod_start_sli_duration_seconds_count [1-9]/m.test(r.stdout) && /^kubelet_running_pods [1-9]/m.test(r.stdout) &&
        /^kubelet_running_containers\{container_state="running"\} [1-9]/m.test(r.stdout);
      return r.code === 0 && counted ? r.stdout : undefined;
    }, 'the kubelet counted the pod start and sees it running', 60_000);
    assert.match(text, /^# TYPE kubelet_running_pods gauge$/m);
    assert.match(text, /^kubelet_running_pods [1-9]\d*$/m);
    assert.match(text, /^kubelet_running_containers\{container_state="running"\} [1-9]\d*$/m);
    assert.match(text, /^kubelet_pleg_relist_duration_seconds_count [1-9]\d*$/m);
    assert.match(text, /^kubelet_pod_start_sli_duration_seconds_bucket\{le="3600"\} [1-9]\d*$/m);
    // The kubelet's own client (its node status, lease and pod status writes).
    assert.match(text, /^rest_client_requests_total\{code="200",host="127\.0\.0\.1:\d+",method="PATCH"\} [1-9]\d*$/m);
    // The API server's metrics are not the kubelet's.
    assert.doesNotMatch(text, /^apiserver_request_total/m);
  });

  test('reaching it needs get on nodes/proxy', async () => {
    assert.equal((await s.kubectl(['create', 'serviceaccount', 'scraper'])).code, 0);
    const token = (await s.kubectl(['create', 'token', 'scraper'])).stdout.trim();
    const node = (await s.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout;
    const refused = await s.kubectl(['--token', token, 'get', '--raw', `/api/v1/nodes/${node}/proxy/metrics`]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /cannot get resource "nodes\/proxy" in API group "" at the cluster scope/);
  });
});
