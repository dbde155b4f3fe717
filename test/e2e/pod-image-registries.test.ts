/**
 * Registry credentials and mirrors on real containers (`kubeling server --runtime oci`, the real kubectl), against
 * two registries this file starts on loopback, each Debian's docker-registry with htpasswd (basic) auth and the
 * busybox test image pushed to it:
 *  - `private` (user puller): reached through pull secrets. A ServiceAccount given the secret with
 *    `kubectl create secret docker-registry` + `kubectl patch serviceaccount` lends it to a pod that names none
 *    (the ServiceAccount admission plugin copies it); a pod whose legacy `kubernetes.io/dockercfg` secret has the
 *    wrong password gets ErrImagePull with the registry's reason, then ImagePullBackOff.
 *  - `node` (user node): the server starts with `--private-registry registries.yaml` (k3s's format) holding
 *    its credentials and a mirror for the made-up `example.invalid:5000` pointing at it: a pod with no secret
 *    pulls from it by its own name, and a pod naming `example.invalid:5000/...` pulls through the mirror.
 *  - `tls`: a third docker-registry serving `node`'s storage over https with a certificate a test CA signs
 *    (the project's PKI helpers); registries.yaml names the CA (`configs.<host>.tls.ca_file`) for
 *    `127.0.0.1:PORT` only, so `tls.invalid:5000/...` (mirrored to https://127.0.0.1:PORT) pulls and
 *    `untrusted.invalid:5000/...` (mirrored to https://localhost:PORT, same server) fails with the x509 error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pushImage, startRegistry, type RunningRegistry } from '../../scripts/registry.ts';
import { ensureBusyboxArchive } from '../fixtures/busybox.ts';
import { ensurePki } from '../../src/apiserver/auth/certs.ts';
import { startServer, type ServerHandle } from './helpers/server.ts';
import { apply, deleteAllPods, deleteAndCheckClean, podEvents, running, waitForPod } from './pod-helpers.ts';
import { missingRealContainers, missingRegistry } from '../prerequisites.ts';
import type { IPod } from 'kubernetes-models/v1';

const why = missingRealContainers() ?? missingRegistry();
const skip = { skip: why };

// bcrypt hashes (cost 4) of the passwords below: distribution's htpasswd accepts bcrypt only.
const PRIVATE = { user: 'puller', password: 'pull-s3cret', hash: '$2b$04$czQkhfBeX0buWov.pZUAJ.hINp8EeRJCWmhresh43/iKUcEzDVLqy' };
const NODE = { user: 'node', password: 'node-s3cret', hash: '$2b$04$7ZK4pXEyLr6y0N5Bx4OdNuw7VPGlBHxmpBlEK1TYE6odYGpLjjmwG' };
const MIRRORED = 'example.invalid:5000';
const TLS_MIRRORED = 'tls.invalid:5000';
const UNTRUSTED = 'untrusted.invalid:5000';

let server: ServerHandle;
let privateRegistry: RunningRegistry | undefined;
let nodeRegistry: RunningRegistry | undefined;
let tlsRegistry: RunningRegistry | undefined;
let configDir: string | undefined;

const basic = (u: { user: string; password: string }) => `Basic ${Buffer.from(`${u.user}:${u.password}`).toString('base64')}`;

test.before(async () => {
  if (why) return;
  const archive = await ensureBusyboxArchive();
  privateRegistry = await startRegistry({ htpasswd: [`${PRIVATE.user}:${PRIVATE.hash}`] });
  nodeRegistry = await startRegistry({ htpasswd: [`${NODE.user}:${NODE.hash}`] });
  await pushImage(privateRegistry.host, 'library/busybox:1.35', archive, { headers: { authorization: basic(PRIVATE) } });
  await pushImage(nodeRegistry.host, 'library/busybox:1.35', archive, { headers: { authorization: basic(NODE) } });
  configDir = await mkdtemp(join(tmpdir(), 'kubeling-registries-'));
  // A CA and a serving certificate for 127.0.0.1 and localhost.
  await ensurePki(join(configDir, 'pki'));
  tlsRegistry = await startRegistry({
    tls: { certFile: join(configDir, 'pki', 'server.crt'), keyFile: join(configDir, 'pki', 'server.key') },
    storage: join(nodeRegistry.dir, 'data'),
  });
  const tlsPort = tlsRegistry.host.split(':')[1];
  const registriesYaml = join(configDir, 'registries.yaml');
  await writeFile(
    registriesYaml,
    `mirrors:
  "${MIRRORED}":
    endpoint:
      - "http://${nodeRegistry.host}"
  "${TLS_MIRRORED}":
    endpoint: ["https://${tlsRegistry.host}"]
  "${UNTRUSTED}":
    endpoint: ["https://localhost:${tlsPort}"]
configs:
  "${nodeRegistry.host}":
    auth:
      username: ${NODE.user}
      password: ${NODE.password}
  "${tlsRegistry.host}":
    tls:
      ca_file: ${join(configDir, 'pki', 'ca.crt')}
`,
  );
  server = await startServer({ runtime: 'oci', storage: 'memory', args: ['--private-registry', registriesYaml] });
});
test.afterEach(async () => {
  if (server) await deleteAllPods(server);
});
test.after(async () => {
  await server?.stop();
  await privateRegistry?.stop();
  await tlsRegistry?.stop();
  await nodeRegistry?.stop();
  if (configDir) await rm(configDir, { recursive: true, force: true });
});

const podWith = (name: string, image: string, extra = '') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
${extra}  containers:
  - name: app
    image: ${image}
    imagePullPolicy: Always
    command: ["sh", "-c", "exec sleep 3600"]
`;

const pullFailed = (p: IPod) => /^(ErrImagePull|ImagePullBackOff)$/.test(p.status?.containerStatuses?.[0]?.state?.waiting?.reason ?? '');

async function kubectlOk(args: string[]): Promise<string> {
  const r = await server.kubectl(args);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test("a pod without imagePullSecrets pulls with its ServiceAccount's (kubectl create secret docker-registry)", skip, async () => {
  const image = `${privateRegistry!.host}/library/busybox:1.35`;
  await kubectlOk(['create', 'secret', 'docker-registry', 'regcred', `--docker-server=${privateRegistry!.host}`, `--docker-username=${PRIVATE.user}`, `--docker-password=${PRIVATE.password}`]);
  await kubectlOk(['create', 'serviceaccount', 'puller']);
  await kubectlOk(['patch', 'serviceaccount', 'puller', '-p', '{"imagePullSecrets":[{"name":"regcred"}]}']);
  await apply(server, podWith('via-sa', image, '  serviceAccountName: puller\n'));
  assert.equal(await kubectlOk(['get', 'pod', 'via-sa', '-o', 'jsonpath={.spec.imagePullSecrets[*].name}']), 'regcred', 'admission copied the secret');
  await waitForPod(server, 'via-sa', running, 'Running from the private registry with the service account secret');
  // Without the service account's secret the same image is refused: the secret is what let it in.
  await apply(server, podWith('no-secret', image));
  await waitForPod(server, 'no-secret', pullFailed, 'an anonymous pull refused');
  for (const name of ['via-sa', 'no-secret']) await deleteAndCheckClean(server, name, ['--grace-period=1']);
});

test('wrong credentials (a kubernetes.io/dockercfg secret): ErrImagePull with the registry reason, then ImagePullBackOff', skip, async () => {
  const image = `${privateRegistry!.host}/library/busybox:1.35`;
  const dockercfg = JSON.stringify({ [`http://${privateRegistry!.host}`]: { username: PRIVATE.user, password: 'wrong', auth: Buffer.from(`${PRIVATE.user}:wrong`).toString('base64') } });
  await apply(
    server,
    `apiVersion: v1
kind: Secret
metadata:
  name: wrongcfg
type: kubernetes.io/dockercfg
stringData:
  .dockercfg: '${dockercfg}'
`,
  );
  await apply(server, podWith('wrong', image, '  imagePullSecrets:\n  - name: wrongcfg\n'));
  const reason = `failed to pull and unpack image "${image}": failed to resolve reference "${image}": pull access denied, repository does not exist or may require authorization: server message: unauthorized: authentication required`;
  const failed = await waitForPod(server, 'wrong', (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImagePull', 'ErrImagePull');
  assert.equal(failed.status!.containerStatuses![0]!.state!.waiting!.message, reason);
  const backOff = await waitForPod(server, 'wrong', (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff', 'ImagePullBackOff after the failure');
  assert.equal(backOff.status!.containerStatuses![0]!.state!.waiting!.message, `Back-off pulling image "${image}": ErrImagePull: ${reason}`);
  const events = await podEvents(server, 'wrong');
  assert.ok(events.includes(`Failed: Failed to pull image "${image}": ${reason}`), events.join('\n'));
  assert.equal(backOff.status!.phase, 'Pending');
  await deleteAndCheckClean(server, 'wrong', ['--grace-period=1']);
});

test("a node with registries.yaml credentials pulls from their registry with no pull secret", skip, async () => {
  await apply(server, podWith('node-creds', `${nodeRegistry!.host}/library/busybox:1.35`));
  await waitForPod(server, 'node-creds', running, 'Running with the node credentials');
  await deleteAndCheckClean(server, 'node-creds', ['--grace-period=1']);
});

test('a mirror in registries.yaml: a made-up registry name is pulled through its mirror', skip, async () => {
  const image = `${MIRRORED}/library/busybox:1.35`;
  await apply(server, podWith('mirrored', image));
  // `.invalid` never resolves (RFC 2606): running at all means the pull went through the mirror.
  await waitForPod(server, 'mirrored', running, 'Running through the mirror');
  const events = await podEvents(server, 'mirrored');
  assert.ok(events.some((e) => e.startsWith(`Pulled: Successfully pulled image "${image}"`)), events.join('\n'));
  await deleteAndCheckClean(server, 'mirrored', ['--grace-period=1']);
});

test('registries.yaml tls.ca_file: a registry with its own CA is pulled over https; without the CA, x509 ErrImagePull', skip, async () => {
  const image = `${TLS_MIRRORED}/library/busybox:1.35`;
  await apply(server, podWith('tls-ca', image));
  await waitForPod(server, 'tls-ca', running, 'Running from the https registry trusted through ca_file');
  const events = await podEvents(server, 'tls-ca');
  assert.ok(events.some((e) => e.startsWith(`Pulled: Successfully pulled image "${image}"`)), events.join('\n'));
  const untrusted = `${UNTRUSTED}/library/busybox:1.35`;
  await apply(server, podWith('tls-untrusted', untrusted));
  const failed = await waitForPod(server, 'tls-untrusted', (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImagePull', 'ErrImagePull');
  assert.equal(
    failed.status!.containerStatuses![0]!.state!.waiting!.message,
    `failed to pull and unpack image "${untrusted}": failed to resolve reference "${untrusted}": failed to do request: https://localhost:${tlsRegistry!.host.split(':')[1]}/v2/library/busybox/manifests/1.35: tls: failed to verify certificate: x509: certificate signed by unknown authority`,
  );
  for (const name of ['tls-ca', 'tls-untrusted']) await deleteAndCheckClean(server, name, ['--grace-period=1']);
});

test("the kubelet's own docker config (DIR/kubelet/config.json) lends its credentials to pods without secrets", skip, async (t) => {
  // Upstream's kubelet reads <root-dir>/config.json; this one reads it at each pull, so no restart is needed.
  const file = join(server.dataDir, 'kubelet', 'config.json');
  await writeFile(file, JSON.stringify({ auths: { [privateRegistry!.host]: { auth: Buffer.from(`${PRIVATE.user}:${PRIVATE.password}`).toString('base64') } } }));
  t.after(() => rm(file, { force: true }));
  await apply(server, podWith('kubelet-creds', `${privateRegistry!.host}/library/busybox:1.35`));
  await waitForPod(server, 'kubelet-creds', running, 'Running with the kubelet credentials');
  await deleteAndCheckClean(server, 'kubelet-creds', ['--grace-period=1']);
});
