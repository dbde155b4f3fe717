/**
 * Image pulls through the kubelet on real containers (`kubeling server --runtime oci`, the real kubectl): the
 * busybox test image is pushed to a registry on loopback (Debian's docker-registry, scripts/registry.ts) and a
 * pod names it as `127.0.0.1:PORT/...` with `imagePullPolicy: Always`: the node pulls it and the pod runs, with
 * the Pulling/Pulled events. A missing tag shows ErrImagePull, then ImagePullBackOff, then another pull
 * (back-off, then retry) as the container's waiting reason, seen through a watch (order, never timing), with
 * the Failed/BackOff events in Kubernetes' words; once the tag is pushed the retry pulls it and the pod runs.
 * A registry that demands credentials (a token-auth proxy in front of it) is pulled from through the pod's
 * `imagePullSecrets`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { pushImage, startBusyboxRegistry, startRegistryProxy, type RegistryProxy } from '../../scripts/registry.ts';
import { ensureBusyboxArchive } from '../fixtures/busybox.ts';
import { waitForOutput, type ServerHandle } from './helpers/server.ts';
import { until } from './helpers/until.ts';
import {
  apply,
  deleteAndCheckClean,
  ociServerForFile,
  podEvents,
  running,
  waitForPod,
} from './pod-helpers.ts';
import { missingRealContainers, missingRegistry } from '../prerequisites.ts';

const why = missingRealContainers() ?? missingRegistry();
let server: ServerHandle;
let registry: Awaited<ReturnType<typeof startBusyboxRegistry>> | undefined;
ociServerForFile(why, async (started) => {
  server = started;
  registry = await startBusyboxRegistry();
});
test.after(async () => {
  await registry?.stop();
});
const skip = { skip: why };

const podWith = (name: string, image: string, extra = '') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
${extra}  containers:
  - name: app
    image: ${image}
    imagePullPolicy: Always
    command: ["sh", "-c", "echo pulled and running; exec sleep 3600"]
`;

async function stopKubectl(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

test('a pod with imagePullPolicy Always pulls its image from a loopback registry through the kubelet', skip, async (t) => {
  // A recording proxy in front of the registry shows the node really fetched the manifest and the blobs.
  const proxy = await startRegistryProxy(registry!.host);
  t.after(() => proxy.stop());
  const image = `${proxy.host}/library/busybox:1.35`;
  await apply(server, podWith('pulled', image));
  const pod = await waitForPod(server, 'pulled', running, 'Running from the pulled image');
  assert.ok(proxy.requests.some((r) => r.method === 'GET' && r.path === '/v2/library/busybox/manifests/1.35'), JSON.stringify(proxy.requests));
  // The image (the same one the node imported as busybox:1.35) is reported by its digest; its name, as
  // containerd reports it, is the image's first tag.
  assert.ok(pod.status!.containerStatuses![0]!.imageID!.endsWith(`@${registry!.digest}`), pod.status!.containerStatuses![0]!.imageID);
  const events = await podEvents(server, 'pulled');
  const pulling = events.indexOf(`Pulling: Pulling image "${image}"`);
  const pulled = events.findIndex((e) =>
    new RegExp(`^Pulled: Successfully pulled image "${image.replaceAll('.', '\\.')}" in \\S+ \\(\\S+ including waiting\\)\\. Image size: \\d+ bytes\\.$`).test(e),
  );
  assert.ok(pulling >= 0 && pulled > pulling, `Pulling, then Pulled:\n${events.join('\n')}`);
  assert.ok(events.indexOf('Started: Started container app') > pulled, events.join('\n'));
  assert.equal((await until(async () => (await server.kubectl(['logs', 'pulled'])).stdout, 'logs')), 'pulled and running\n');
  await deleteAndCheckClean(server, 'pulled', ['--grace-period=1']);
});

test('a missing tag: ErrImagePull, then ImagePullBackOff, then a retry; pushing the tag lets the retry run the pod', skip, async (t) => {
  const image = `${registry!.host}/library/busybox:not-pushed-yet`;
  // The watch (started before the pod exists) sees every status the kubelet writes, so the order of the
  // waiting reasons is checked, not timing.
  const watch = server.spawnKubectl([
    'get', 'pods', '--field-selector', 'metadata.name=missing', '-w',
    '-o', 'jsonpath={.status.containerStatuses[0].state.waiting.reason}{"\\n"}',
  ]);
  t.after(() => stopKubectl(watch));
  await apply(server, podWith('missing', image));
  const seen = await waitForOutput(
    watch.stdout!,
    /(?:^|\n)ErrImagePull\n(?:ErrImagePull\n)*ImagePullBackOff\n(?:ImagePullBackOff\n)*ErrImagePull\n/,
    120_000,
  );
  const reasons = seen.split('\n').filter((r) => r !== '' && r !== 'ContainerCreating');
  assert.equal(reasons[0], 'ErrImagePull', `the first failure is ErrImagePull, not a back-off:\n${seen}`);
  const pod = await waitForPod(
    server,
    'missing',
    (p) => /^(ErrImagePull|ImagePullBackOff)$/.test(p.status?.containerStatuses?.[0]?.state?.waiting?.reason ?? ''),
    'a pull failure as the waiting reason',
  );
  assert.equal(pod.status!.phase, 'Pending');
  const waiting = pod.status!.containerStatuses![0]!.state!.waiting!;
  if (waiting.reason === 'ImagePullBackOff') assert.match(waiting.message!, new RegExp(`^Back-off pulling image "${image.replaceAll('.', '\\.')}": ErrImagePull: `));
  const events = await podEvents(server, 'missing');
  const failedPull = events.findIndex((e) => e.startsWith(`Failed: Failed to pull image "${image}": `));
  assert.ok(failedPull >= 0, events.join('\n'));
  assert.match(events[failedPull]!, /not found|manifest unknown/i);
  for (const e of ['Failed: Error: ErrImagePull', `BackOff: Back-off pulling image "${image}"`, 'Failed: Error: ImagePullBackOff'])
    assert.ok(events.includes(e), `event ${e} in:\n${events.join('\n')}`);

  // The tag appears: the next retry after the back-off pulls it and the container starts.
  await pushImage(registry!.host, 'library/busybox:not-pushed-yet', await ensureBusyboxArchive());
  await waitForPod(server, 'missing', running, 'Running once the tag exists', 120_000);
  await stopKubectl(watch);
  await deleteAndCheckClean(server, 'missing', ['--grace-period=1']);
});

test('imagePullSecrets: a registry that demands credentials is pulled from with the pod secret', skip, async (t) => {
  const proxy: RegistryProxy = await startRegistryProxy(registry!.host, {
    token: { username: 'puller', password: 'pull-s3cret', service: 'kubeling-e2e' },
  });
  t.after(() => proxy.stop());
  const image = `${proxy.host}/library/busybox:1.35`;
  const dockerconfig = (password: string) =>
    JSON.stringify({ auths: { [proxy.host]: { username: 'puller', password, auth: Buffer.from(`puller:${password}`).toString('base64') } } });
  await apply(
    server,
    `apiVersion: v1
kind: Secret
metadata:
  name: regcred
type: kubernetes.io/dockerconfigjson
stringData:
  .dockerconfigjson: '${dockerconfig('pull-s3cret')}'
---
apiVersion: v1
kind: Secret
metadata:
  name: wrongcred
type: kubernetes.io/dockerconfigjson
stringData:
  .dockerconfigjson: '${dockerconfig('wrong')}'
`,
  );
  // Without a secret: refused (anonymous token requests get 401).
  await apply(server, podWith('anonymous', image));
  await waitForPod(
    server,
    'anonymous',
    (p) => /^(ErrImagePull|ImagePullBackOff)$/.test(p.status?.containerStatuses?.[0]?.state?.waiting?.reason ?? ''),
    'an anonymous pull refused',
  );
  // With the wrong password: refused too.
  await apply(server, podWith('wrong', image, '  imagePullSecrets:\n  - name: wrongcred\n'));
  await waitForPod(
    server,
    'wrong',
    (p) => /^(ErrImagePull|ImagePullBackOff)$/.test(p.status?.containerStatuses?.[0]?.state?.waiting?.reason ?? ''),
    'a pull with the wrong password refused',
  );
  // With the right one: the kubelet's token request carries the secret user, and the pod runs.
  await apply(server, podWith('private', image, '  imagePullSecrets:\n  - name: wrongcred\n  - name: regcred\n'));
  await waitForPod(server, 'private', running, 'Running from the private registry');
  assert.ok(proxy.tokenRequests.some((r) => r.user === 'puller' && r.scope === 'repository:library/busybox:pull'));
  assert.ok(proxy.requests.some((r) => r.path.startsWith('/v2/library/busybox/manifests/')));
  for (const name of ['anonymous', 'wrong', 'private']) await deleteAndCheckClean(server, name, ['--grace-period=1']);
});
