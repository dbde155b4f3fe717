/**
 * `kubeling why` against `kubeling server --runtime fake` (a real scheduler and kubelet, simulated
 * containers): the scheduler-side answers name the node and what would make the pod fit (an untolerated
 * taint, not enough cpu, a nodeSelector no node matches), a healthy pod is "Running and Ready", a node and
 * a Deployment get their own answers, `--timeline` lists a pod's steps, and bad input fails in one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type ServerHandle } from './helpers/server.ts';
import { untilWith } from './helpers/until.ts';
import { kubelingWhy, type WhyResult } from './helpers/why.ts';
import { apply, nodeName, ready, waitForPod } from './pod-helpers.ts';

let server: ServerHandle;
let node: string;

test.before(async () => {
  server = await startServer({ runtime: 'fake', storage: 'memory' });
  node = await nodeName(server);
});
test.after(async () => {
  await server?.stop();
});

const pod = (name: string, extra = '', resources = '') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
${extra}  containers:
  - name: app
    image: busybox:1.35
    command: ["sh", "-c", "sleep 3600"]
${resources}`;

/** Polls `kubeling why` until its sentence matches (the scheduler and kubelet report asynchronously). */
async function whyUntil(args: string[], want: RegExp): Promise<WhyResult> {
  let last: WhyResult | undefined;
  try {
    return await untilWith(
      async () => {
        last = await kubelingWhy(server, args);
        return last.code === 0 && want.test(last.sentence) && last;
      },
      `kubeling why ${args.join(' ')} to match ${want}`,
      { timeoutMs: 60_000, intervalMs: 500, retryErrors: false },
    );
  } catch (err) {
    assert.fail(`${(err as Error).message}; last answer: ${last?.stdout ?? ''}${last?.stderr ?? ''}`);
  }
}

test('a healthy pod is Running and Ready; its timeline lists the steps from creation to Ready', async () => {
  await apply(server, pod('fine'));
  await waitForPod(server, 'fine', ready, 'Ready');
  const got = await whyUntil(['pod/fine'], /^pod\/fine is Running and Ready\.$/);
  assert.match(got.stdout, /^Evidence:$/m);
  assert.match(got.stdout, /condition Ready=True/);
  const timeline = await kubelingWhy(server, ['--timeline', 'pod', 'fine']);
  assert.equal(timeline.code, 0, timeline.stderr);
  const steps = timeline.stdout.split('\n').slice(1).filter(Boolean).map((l) => l.trim().replace(/^\S+\s+\+\S+\s+/, ''));
  // The kubelet's record (ms times) merged with the API's creation, scheduling and Ready.
  assert.match(timeline.stdout, /^pod\/fine timeline \(kubelet record from node \S+, ms times\):$/m);
  const order = ['pod created', 'scheduled', 'pod seen by the kubelet', 'sandbox created', 'container app started', 'pod Ready'];
  const at = order.map((s) => steps.findIndex((l) => l.startsWith(s)));
  assert.ok(at.every((i) => i >= 0), timeline.stdout);
  assert.deepEqual([...at].sort((a, b) => a - b), at, timeline.stdout);
});

test('a taint the pod does not tolerate: the node, the taint and the fix', async () => {
  const taint = await server.kubectl(['taint', 'nodes', node, 'dedicated=gpu:NoSchedule']);
  assert.equal(taint.code, 0, taint.stderr);
  try {
    await apply(server, pod('untolerated'));
    await whyUntil(
      ['pod/untolerated'],
      new RegExp(`^pod/untolerated is Pending: no node can run it \\(0/1 nodes are available\\): node ${node} has the taint dedicated=gpu:NoSchedule, which the pod does not tolerate\\. To fit: add a toleration for dedicated=gpu:NoSchedule to the pod, or remove the taint \\(kubectl taint nodes ${node} dedicated=gpu:NoSchedule-\\)\\.$`),
    );
    const n = await kubelingWhy(server, [`node/${node}`]);
    assert.equal(n.sentence, `node/${node} is Ready, but only pods that tolerate dedicated=gpu:NoSchedule are scheduled there.`);
  } finally {
    await server.kubectl(['taint', 'nodes', node, 'dedicated=gpu:NoSchedule-']);
    await server.kubectl(['delete', 'pod', 'untolerated', '--wait=false']);
  }
});

test('more cpu than any node has: what is free, what is asked, what would fit', async () => {
  await apply(server, pod('greedy', '', '    resources:\n      requests:\n        cpu: "500"\n'));
  await whyUntil(
    ['pod/greedy'],
    new RegExp(`^pod/greedy is Pending: no node can run it \\(0/1 nodes are available\\): node ${node} has \\S+ cpu free of \\S+ allocatable, the pod requests 500\\. To fit: lower the pod's cpu request to at most \\S+ \\(no node this size can ever take it\\), or add a bigger node\\.$`),
  );
  await server.kubectl(['delete', 'pod', 'greedy', '--wait=false']);
});

test('a nodeSelector no node matches: the label that would make it fit', async () => {
  await apply(server, pod('picky', '  nodeSelector:\n    disktype: ssd\n'));
  const got = await whyUntil(
    ['pod/picky'],
    new RegExp(`^pod/picky is Pending: no node can run it \\(0/1 nodes are available\\): node ${node} lacks the labels of the pod's nodeSelector \\(disktype=ssd\\)\\. To fit: kubectl label node ${node} disktype=ssd\\.$`),
  );
  assert.match(got.stdout, /event Warning FailedScheduling .*0\/1 nodes are available: 1 node\(s\) didn't match Pod's node affinity\/selector/);
  await server.kubectl(['delete', 'pod', 'picky', '--wait=false']);
});

test('a cordoned node says so', async () => {
  assert.equal((await server.kubectl(['cordon', node])).code, 0);
  try {
    await whyUntil([`node/${node}`], new RegExp(`^node/${node} is cordoned: it is Ready and keeps its pods, but no new pods are scheduled there \\(kubectl uncordon ${node}\\)\\.$`));
  } finally {
    await server.kubectl(['uncordon', node]);
  }
});

test('a Deployment that cannot place its pods answers with one of them', async () => {
  const created = await server.kubectl(['create', 'deployment', 'big', '--image=busybox:1.35', '--replicas=1', '--', 'sleep', '3600']);
  assert.equal(created.code, 0, created.stderr);
  const patched = await server.kubectl(['patch', 'deployment', 'big', '--type=json', '-p', '[{"op":"add","path":"/spec/template/spec/nodeSelector","value":{"zone":"mars"}}]']);
  assert.equal(patched.code, 0, patched.stderr);
  await whyUntil(['deployment/big'], /^deployment\/big is rolling out: 1 of 1 replicas up to date, 1 available\. Not ready: pod\/big-\S+ is Pending: no node can run it \(0\/1 nodes are available\): node \S+ lacks the labels of the pod's nodeSelector \(zone=mars\)/);
  await server.kubectl(['delete', 'deployment', 'big', '--wait=false']);
});

test('bad input: one line and a non-zero exit', async () => {
  const missing = await kubelingWhy(server, ['pod/nope']);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'Error from server (NotFound): pods "nope" not found\n');
  const kind = await kubelingWhy(server, ['service/x']);
  assert.equal(kind.code, 2);
  assert.match(kind.stderr, /^kubeling why: cannot explain "service" \(want pod, deployment or node\) \(usage: .*\)\n$/);
  const timeline = await kubelingWhy(server, ['--timeline', `node/${node}`]);
  assert.equal(timeline.code, 2);
  assert.equal(timeline.stderr, 'kubeling why: --timeline is for pods (want pod/NAME)\n');
});
