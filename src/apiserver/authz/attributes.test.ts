import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../testing.ts';
import type { Attributes, Authorizer } from './authorizer.ts';

test('a proxy path is authorized as the proxy subresource, the rest of the path left out (as upstream RequestInfo)', async () => {
  const seen: Attributes[] = [];
  const deny: Authorizer = { authorize: (a) => (seen.push(a), a.user.groups.includes('system:masters') ? { decision: 'Allow', reason: '' } : { decision: 'NoOpinion', reason: '' }) };
  const s = await startTestServer({ config: { authorizer: deny } });
  try {
    await s.request('GET', '/api/v1/nodes/n1/proxy/stats/summary');
    await s.request('GET', '/api/v1/namespaces/default/services/web:80/proxy/healthz');
    const proxied = seen.filter((a) => a.resource === 'nodes' || a.resource === 'services').map((a) => [a.resource, a.subresource, a.name]);
    assert.deepEqual(proxied, [['nodes', 'proxy', 'n1'], ['services', 'proxy', 'web:80']]);
  } finally {
    await s.stop();
  }
});
