/**
 * `kubeling why` on real containers (`kubeling server --runtime oci`): the node-side answers come from
 * what the kubelet really reports. A tag the loopback registry does not have gives the registry's reason;
 * a container that keeps exiting gives CrashLoopBackOff with its exit code, termination message and next
 * restart; a failing readiness probe gives the probe's output; a long init container holds the pod; a
 * missing configMap (in env, and as a volume) names the configMap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRegistry } from '../../scripts/registry.ts';
import type { ServerHandle } from './helpers/server.ts';
import { untilWith } from './helpers/until.ts';
import { kubelingWhy, type WhyResult } from './helpers/why.ts';
import { apply, ociServerForFile } from './pod-helpers.ts';
import { missingRealContainers, missingRegistry } from '../prerequisites.ts';

const why = missingRealContainers() ?? missingRegistry();
let server: ServerHandle;
let registry: Awaited<ReturnType<typeof startRegistry>> | undefined;
ociServerForFile(why, async (started) => {
  server = started;
  registry = await startRegistry();
});
test.after(async () => {
  await registry?.stop();
});
const skip = { skip: why };

const pod = (name: string, container: string, extra = '') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 1
${extra}  containers:
  - name: app
    image: busybox:1.35
${container}`;

async function whyUntil(args: string[], want: RegExp, timeoutMs = 90_000): Promise<WhyResult> {
  let last: WhyResult | undefined;
  try {
    return await untilWith(
      async () => {
        last = await kubelingWhy(server, args);
        return last.code === 0 && want.test(last.sentence) && last;
      },
      `kubeling why ${args.join(' ')} to match ${want}`,
      { timeoutMs, intervalMs: 500, retryErrors: false },
    );
  } catch (err) {
    assert.fail(`${(err as Error).message}; last answer: ${last?.stdout ?? ''}${last?.stderr ?? ''}`);
  }
}

test('an image the registry does not have: the registry\'s reason', skip, async () => {
  const image = `${registry!.host}/library/busybox:no-such-tag`;
  await apply(server, `apiVersion: v1
kind: Pod
metadata:
  name: nopull
spec:
  containers:
  - name: app
    image: ${image}
`);
  const got = await whyUntil(
    ['pod/nopull'],
    new RegExp(`^pod/nopull cannot start: the image "${image.replaceAll('.', '\\.')}" of container app cannot be pulled: .*(manifest unknown|not found).*\\.$`, 'i'),
  );
  assert.match(got.stdout, /event Warning Failed .*Failed to pull image/);
});

test('a container that keeps exiting: CrashLoopBackOff with exit code, termination message and next restart', skip, async () => {
  await apply(server, pod('crashy', '    command: ["sh", "-c", "echo missing setting > /dev/termination-log; exit 3"]\n'));
  const got = await whyUntil(
    ['pod/crashy'],
    /^pod\/crashy is in CrashLoopBackOff: container app exited with exit code 3 \(Error\) \S+ ago and has been restarted \d+ times?; its termination message is "missing setting"; next restart (in \S+|due now) \(at \S+Z, back-off \S+\)\.$/,
  );
  assert.match(got.stdout, /event Warning BackOff .*Back-off restarting failed container app/);
  const timeline = await kubelingWhy(server, ['--timeline', 'pod/crashy']);
  assert.match(timeline.stdout, /container app exited with code 3 \(run \d+\) \(took \S+\): Error: missing setting/);
});

test('a failing readiness probe: Running but not Ready, with the probe\'s output', skip, async () => {
  await apply(server, pod('unready', `    command: ["sh", "-c", "exec sleep 3600"]
    readinessProbe:
      exec:
        command: ["cat", "/tmp/ready"]
      periodSeconds: 1
`));
  await whyUntil(
    ['pod/unready'],
    /^pod\/unready is Running but not Ready: the readiness probe of container app fails: .*\/tmp\/ready.*No such file or directory.* \(last \S+ ago(, \d+ times)?\)\.$/,
  );
});

test('an init container still running holds the pod', skip, async () => {
  await apply(server, pod('initwait', '    command: ["sleep", "3600"]\n', `  initContainers:
  - name: wait-db
    image: busybox:1.35
    command: ["sleep", "3600"]
`));
  await whyUntil(['pod/initwait'], /^pod\/initwait is waiting for init container wait-db, running for \S+: the containers start after it exits with code 0\.$/);
});

test('a missing configMap: in env it names the configMap, as a volume it names the mount', skip, async () => {
  await apply(server, pod('noenv', `    command: ["sleep", "3600"]
    envFrom:
    - configMapRef:
        name: settings
`));
  await whyUntil(['pod/noenv'], /^pod\/noenv cannot start container app: configmap "settings" not found \(create it, or mark the reference optional\)\.$/);
  await apply(server, pod('novol', `    command: ["sleep", "3600"]
    volumeMounts:
    - name: cfg
      mountPath: /cfg
`, `  volumes:
  - name: cfg
    configMap:
      name: settings
`));
  await whyUntil(['pod/novol'], /^pod\/novol is waiting for its volumes: .*configmap "settings" not found\.$/);
});
