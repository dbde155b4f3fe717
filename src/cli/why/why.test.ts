import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTarget } from './why.ts';

test("parseTarget: kubectl's names, plural, short and group-qualified, with a slash or a space", () => {
  const cases: [string[], string][] = [
    [['sts/web'], 'statefulset'], [['statefulsets.apps', 'web'], 'statefulset'], [['ds/web'], 'daemonset'], [['daemonset.apps/web'], 'daemonset'],
    [['rs/web'], 'replicaset'], [['replicasets/web'], 'replicaset'], [['job/web'], 'job'], [['jobs.batch/web'], 'job'],
    [['cj/web'], 'cronjob'], [['CronJob/web'], 'cronjob'], [['svc/web'], 'service'], [['services', 'web'], 'service'],
    [['deploy/web'], 'deployment'], [['po/web'], 'pod'], [['no/web'], 'node'],
  ];
  for (const [words, kind] of cases) assert.deepEqual(parseTarget(words), { kind, name: 'web' }, words.join(' '));
});

test('parseTarget: a kind it does not explain, or no name, is one line', () => {
  assert.equal(parseTarget(['ingress/x']), 'cannot explain "ingress" (want pod, deployment, statefulset, daemonset, replicaset, job, cronjob, service or node)');
  assert.equal(parseTarget(['svc.batch/x']), 'cannot explain "svc.batch" (want pod, deployment, statefulset, daemonset, replicaset, job, cronjob, service or node)');
  assert.equal(parseTarget(['sts']), 'which statefulset? (want statefulset/NAME)');
});
