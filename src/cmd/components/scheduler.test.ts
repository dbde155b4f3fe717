/**
 * The scheduler component in a worker thread of its own (--scheduler-thread): it binds as its own identity,
 * its metrics and its client's request counts reach the process's registry, and the thread ends when the
 * component's signal aborts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { startTestServer } from '../../apiserver/testing.ts';
import { TokenAuthenticator, type Attributes, type Authorizer } from '../../apiserver/index.ts';
import { createLogger } from '../../machinery/index.ts';
import { poll } from '../../machinery/testing/poll.ts';
import { componentClients, ComponentCredentials } from '../component-identities.ts';
import { parseServerFlags } from '../flags.ts';
import { restClientMetrics } from '../rest-client-metrics.ts';
import { schedulerComponent } from './scheduler.ts';

test('--scheduler-thread: the scheduler binds from its thread, reports into the registry, and stops with the signal', async () => {
  const seen: Attributes[] = [];
  const recorder: Authorizer = { authorize: (a) => (seen.push(a), { decision: 'Allow', reason: '' }) };
  const authenticator = new TokenAuthenticator();
  const s = await startTestServer({ config: { authenticator, authorizer: recorder } });
  authenticator.add('admin-token-for-tests', { name: 'admin', groups: ['system:masters'] });
  const metrics = new Registry();
  const credentials = new ComponentCredentials({ authenticator, server: s.url, caPem: s.caPem, requestObserver: restClientMetrics(metrics) });
  const stop = new AbortController();
  const running = schedulerComponent.run({
    ...componentClients(credentials, 'scheduler', 'n1'),
    kubeconfigPath: '', server: s.url, caPem: s.caPem, nodeToken: 'x', kubeletToken: s.kubeletToken, dataDir: s.dataDir,
    options: parseServerFlags(['--scheduler-thread']), metrics, logger: createLogger('scheduler'), signal: stop.signal,
  });
  try {
    const node = { metadata: { name: 'n1' }, status: { conditions: [{ type: 'Ready', status: 'True' }], allocatable: { cpu: '4', memory: '8Gi', pods: '110' } } };
    assert.equal((await s.request('POST', '/api/v1/nodes', node)).status, 201);
    const pod = { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] } };
    assert.equal((await s.request('POST', '/api/v1/namespaces/default/pods', pod)).status, 201);
    await poll(async () => ((await s.request('GET', '/api/v1/namespaces/default/pods/p')).body as { spec?: { nodeName?: string } }).spec?.nodeName === 'n1', 'the pod bound', { timeoutMs: 60_000 });
    const bindings = seen.filter((a) => a.verb === 'create' && a.resource === 'pods' && a.subresource === 'binding');
    assert.deepEqual(bindings.map((a) => a.user.name), ['system:kube-scheduler']);
    // The counts come over from the thread once per turn of its loop.
    await poll(async () => /^scheduler_schedule_attempts_total\{result="scheduled",profile="default-scheduler"\} 1$/m.test(await metrics.metrics()), 'the attempt counted');
    const text = await metrics.metrics();
    assert.match(text, /^scheduler_pod_scheduling_sli_duration_seconds_count\{attempts="1"\} 1$/m);
    assert.match(text, /^rest_client_requests_total\{code="201",host="127\.0\.0\.1:\d+",method="POST"\} [1-9]\d*$/m);
  } finally {
    stop.abort();
    await running;
    await s.stop();
  }
});
