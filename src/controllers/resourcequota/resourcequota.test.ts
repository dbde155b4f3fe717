import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, ResourceQuota } from '../../api/index.ts';
import type { Client } from '../../client/index.ts';
import type { FakeApiServer } from '../../client/testing/fake-apiserver.ts';
import { fakeApiServerForFile } from '../../client/testing/fake-api-for-file.ts';
import { until } from '../../client/testing/until.ts';
import { runDuring } from '../testing/run-during.ts';
import { ResourceQuotaController } from './resourcequota.ts';

let server: FakeApiServer;
let client: Client;
fakeApiServerForFile((api) => ({ server, client } = api));

const pod = (name: string, phase = 'Running', cpu = '100m'): Pod => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'rq', uid: `uid-${name}` },
  spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu } } }] }, status: { phase: phase as 'Running' },
});
const used = (name: string) => (server.list('resourcequotas').find((q) => q.metadata.name === name) as ResourceQuota | undefined)?.status;

test('the controller fills status.hard/used, gives usage back for gone and terminal pods, and counts count/<resource> by listing', async () => {
  server.put('resourcequotas', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q', namespace: 'rq' }, spec: { hard: { pods: '5', 'requests.cpu': '1', 'count/configmaps': '4' } } });
  server.put('pods', pod('a'));
  server.put('pods', pod('b', 'Running', '250m'));
  server.put('pods', pod('done', 'Succeeded'));
  server.put('pods', { ...pod('elsewhere'), metadata: { name: 'elsewhere', namespace: 'other', uid: 'x' } });
  server.put('configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'rq' } });
  await runDuring(new ResourceQuotaController({ client }), async () => {
    await until(() => used('q')?.used?.pods === '2', 'first count');
    assert.deepEqual(used('q'), {
      hard: { 'count/configmaps': '4', pods: '5', 'requests.cpu': '1' },
      used: { 'count/configmaps': '1', pods: '2', 'requests.cpu': '350m' },
    });
    server.remove('pods', 'rq', 'a');
    await until(() => used('q')?.used?.pods === '1', 'a deleted pod is given back');
    assert.equal(used('q')?.used?.['requests.cpu'], '250m');
    server.put('pods', pod('b', 'Failed', '250m'));
    await until(() => used('q')?.used?.pods === '0', 'a terminal pod is given back');
    assert.equal(used('q')?.used?.['requests.cpu'], '0');
  });
});
