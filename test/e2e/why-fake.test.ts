/**
 * `kubeling why` against `kubeling server --runtime fake` (a real scheduler and kubelet, simulated
 * containers): the scheduler-side answers name the node and what would make the pod fit (an untolerated
 * taint, not enough cpu, a nodeSelector no node matches), a healthy pod is "Running and Ready", a node and
 * a Deployment get their own answers, `--timeline` lists a pod's steps, and bad input fails in one line.
 * The other workloads answer too: a Job that failed (its reason and last pod's exit), a CronJob through a Job
 * made from it, a StatefulSet stuck behind its first pod (OrderedReady) with a Pending claim, a DaemonSet
 * whose only node is tainted, and a Service that selects no pod, then an unready one.
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

const failingJob = `apiVersion: batch/v1
kind: Job
metadata:
  name: fails
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: busybox:1.35
        command: ["sh", "-c", "exit 3"]
`;

test('a Job that failed: its reason, its backoffLimit and its last pod exit', async () => {
  await apply(server, failingJob);
  const got = await whyUntil(
    ['job/fails'],
    /^job\/fails has failed \(BackoffLimitExceeded\): its pods failed 1 time, more than its backoffLimit of 0\. Its last pod: pod\/fails-\S+ has failed: container main exited with exit code 3 \(Error\)/,
  );
  assert.match(got.stdout, /condition Failed=True .*BackoffLimitExceeded/);
  await server.kubectl(['delete', 'job', 'fails', '--wait=false']);
});

test('a CronJob answers with its last Job, here one made from it by hand', async () => {
  const cron = await server.kubectl(['create', 'cronjob', 'nightly', '--image=busybox:1.35', '--schedule=0 0 1 1 *', '--', 'sh', '-c', 'exit 0']);
  assert.equal(cron.code, 0, cron.stderr);
  const fresh = await kubelingWhy(server, ['cj/nightly']);
  assert.match(fresh.sentence, /^cronjob\/nightly has not run a Job yet \(schedule "0 0 1 1 \*", next in \S+ \(\d{4}-01-01T00:00:00\.000Z\)\)\.$/);
  const job = await server.kubectl(['create', 'job', 'nightly-manual', '--from=cronjob/nightly']);
  assert.equal(job.code, 0, job.stderr);
  await whyUntil(['cronjob/nightly'], /^cronjob\/nightly has scheduled no Job itself yet, next in \S+ \(\S+\)\. Its last Job: job\/nightly-manual has completed in \S+: 1 of 1 pod succeeded\.$/);
  await server.kubectl(['delete', 'cronjob', 'nightly', '--wait=false']);
});

test('a StatefulSet stuck at web-1 because web-0 is not Ready, its claim Pending', async () => {
  await apply(server, `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  replicas: 2
  serviceName: web
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      nodeSelector: {zone: venus}
      containers:
      - name: app
        image: busybox:1.35
        command: ["sh", "-c", "sleep 3600"]
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      storageClassName: no-such-class
      accessModes: [ReadWriteOnce]
      resources:
        requests:
          storage: 1Mi
`);
  const got = await whyUntil(
    ['sts/web'],
    /^statefulset\/web is stuck at web-1: web-0 is not Ready, and with OrderedReady the next pod is created only once the one before it is Running and Ready\. Its claim data-web-0 is Pending\. Not ready: pod\/web-0 is Pending: /,
  );
  assert.match(got.stdout, /^ {2}pod web-1: not created$/m);
  await server.kubectl(['delete', 'statefulset', 'web', '--wait=false']);
  await server.kubectl(['delete', 'pvc', 'data-web-0', '--wait=false']);
});

test('a DaemonSet whose only node has a taint it does not tolerate runs nowhere', async () => {
  const taint = await server.kubectl(['taint', 'nodes', node, 'why-ds=yes:NoSchedule']);
  assert.equal(taint.code, 0, taint.stderr);
  try {
    await apply(server, `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
      - name: app
        image: busybox:1.35
        command: ["sh", "-c", "sleep 3600"]
`);
    await whyUntil(['ds/agent'], new RegExp(`^daemonset/agent runs on no node: node ${node} has the taint why-ds=yes:NoSchedule, which its pods do not tolerate\\.$`));
  } finally {
    await server.kubectl(['delete', 'daemonset', 'agent', '--wait=false']);
    await server.kubectl(['taint', 'nodes', node, 'why-ds=yes:NoSchedule-']);
  }
});

test('a Service whose selector matches no pod, then a pod that is not Ready', async () => {
  const svc = await server.kubectl(['create', 'service', 'clusterip', 'shop', '--tcp=80:8080']);
  assert.equal(svc.code, 0, svc.stderr);
  await whyUntil(['svc/shop'], /^service\/shop has no endpoints: its selector app=shop matches no pod in namespace default\.$/);
  await apply(server, pod('shop-1', '  nodeSelector:\n    zone: venus\n').replace('  name: shop-1\n', '  name: shop-1\n  labels: {app: shop}\n'));
  await whyUntil(['service/shop'], /^service\/shop has no ready endpoints: the 1 pod\(s\) its selector app=shop matches are not Ready \(shop-1\)\. Not ready: pod\/shop-1 is Pending: no node can run it/);
  await server.kubectl(['delete', 'service', 'shop', '--wait=false']);
  await server.kubectl(['delete', 'pod', 'shop-1', '--wait=false']);
});

test('bad input: one line and a non-zero exit', async () => {
  const missing = await kubelingWhy(server, ['pod/nope']);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'Error from server (NotFound): pods "nope" not found\n');
  const kind = await kubelingWhy(server, ['ingress/x']);
  assert.equal(kind.code, 2);
  assert.match(kind.stderr, /^kubeling why: cannot explain "ingress" \(want pod, deployment, statefulset, daemonset, replicaset, job, cronjob, service or node\) \(usage: .*\)\n$/);
  const svc = await kubelingWhy(server, ['svc/nope']);
  assert.equal(svc.stderr, 'Error from server (NotFound): services "nope" not found\n');
  const timeline = await kubelingWhy(server, ['--timeline', `node/${node}`]);
  assert.equal(timeline.code, 2);
  assert.equal(timeline.stderr, 'kubeling why: --timeline is for pods (want pod/NAME)\n');
});
