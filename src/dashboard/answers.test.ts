import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAnswerRoute } from './answers.ts';

test('the answer routes', () => {
  assert.deepEqual(parseAnswerRoute('why/namespaces/default/pods/web'), { what: 'why', kind: 'pod', namespace: 'default', name: 'web' });
  assert.deepEqual(parseAnswerRoute('why/namespaces/a/deployments/d'), { what: 'why', kind: 'deployment', namespace: 'a', name: 'd' });
  const kinds = { statefulsets: 'statefulset', daemonsets: 'daemonset', replicasets: 'replicaset', jobs: 'job', cronjobs: 'cronjob', services: 'service' };
  for (const [resource, kind] of Object.entries(kinds)) {
    assert.deepEqual(parseAnswerRoute(`why/namespaces/a/${resource}/x`), { what: 'why', kind, namespace: 'a', name: 'x' }, resource);
  }
  assert.deepEqual(parseAnswerRoute('why/nodes/n1'), { what: 'why', kind: 'node', name: 'n1' });
  assert.deepEqual(parseAnswerRoute('timeline/namespaces/default/pods/web'), { what: 'timeline', namespace: 'default', name: 'web' });
  for (const bad of ['why', 'why/pods/web', 'timeline/namespaces/default/deployments/d', 'why/namespaces//pods/x', 'why/nodes/n1/extra', 'logs/namespaces/a/pods/b', 'why/namespaces/a/ingresses/x', 'why/namespaces/a/constructor/x', 'timeline/namespaces/a/jobs/x']) {
    assert.equal(parseAnswerRoute(bad), undefined, bad);
  }
});
