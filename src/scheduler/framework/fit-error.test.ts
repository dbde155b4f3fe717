import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePod } from '../testing/builders.ts';
import { fitErrorMessage, preemptionMessage, type Diagnosis, type Status } from './index.ts';

const statuses = (...s: Status[]) => new Map(s.map((x, i) => [`n${i}`, x]));

function message(d: Diagnosis, pod = makePod().obj()): string {
  return fitErrorMessage({ ...d, postFilterMsg: preemptionMessage(pod, d) });
}

test('one node rejected by node affinity: the message kubectl describe shows', () => {
  const d = { numAllNodes: 1, nodeStatuses: statuses({ code: 'UnschedulableAndUnresolvable', reasons: ["node(s) didn't match Pod's node affinity/selector"] }) };
  assert.equal(
    message(d),
    "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.",
  );
});

test('reasons are counted, sorted as strings, and preemption tells helpful from not', () => {
  const d = {
    numAllNodes: 3,
    nodeStatuses: statuses(
      { code: 'UnschedulableAndUnresolvable', reasons: ['node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }'] },
      { code: 'Unschedulable', reasons: ['Insufficient cpu'] },
      { code: 'Unschedulable', reasons: ['Insufficient cpu'] },
    ),
  };
  assert.equal(
    message(d),
    '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. ' +
      'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.',
  );
});

test('a node with two reasons counts in both; preemptionPolicy Never says so', () => {
  const d = { numAllNodes: 1, nodeStatuses: statuses({ code: 'Unschedulable', reasons: ['Insufficient cpu', 'Insufficient memory'] }) };
  assert.equal(
    message(d, makePod().preemptionPolicy('Never').obj()),
    '0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. preemption: not eligible due to preemptionPolicy=Never.',
  );
});
