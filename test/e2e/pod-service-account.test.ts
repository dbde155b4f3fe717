/**
 * Projected service account tokens on real containers: the kube-api-access volume holds a bound token of the
 * pod's own service account that the kubelet got from the TokenRequest API (audience the API server's, 3607 s
 * as the admission plugin asks, bound to the pod), and the API server accepts it from inside the container.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerHandle } from './helpers/server.ts';
import {
  apply,
  deleteAndCheckClean,
  ociServerForFile,
  running,
  waitForPod,
} from './pod-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';

const why = missingRealContainers();
let server: ServerHandle;

ociServerForFile(why, (started) => {
  server = started;
});

test('a pod reads the API with its bound service account token (busybox wget --header)', { skip: why }, async () => {
  assert.equal((await server.kubectl(['create', 'serviceaccount', 'builder'])).code, 0);
  // With RBAC a service account may do nothing beyond discovery: grant it read access, as a user would.
  assert.equal((await server.kubectl(['create', 'rolebinding', 'builder-view', '--clusterrole=view', '--serviceaccount=default:builder'])).code, 0);
  // Host network: the API server listens on the node's loopback in these tests.
  await apply(
    server,
    `apiVersion: v1
kind: Pod
metadata:
  name: sa-reader
spec:
  serviceAccountName: builder
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox:1.35
    command: ["sleep", "3600"]
`,
  );
  const pod = await waitForPod(server, 'sa-reader', running, 'Running');
  const sh = async (script: string) => {
    const r = await server.kubectl(['exec', 'sa-reader', '--', 'sh', '-c', script]);
    return { ...r, stdout: r.stdout.trim() };
  };
  const token = (await sh('cat /var/run/secrets/kubernetes.io/serviceaccount/token')).stdout;
  assert.notEqual(token, server.token, 'not the admin token');
  assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'a JWT');
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
  assert.equal(claims.sub, 'system:serviceaccount:default:builder');
  assert.deepEqual(claims.aud, ['https://kubernetes.default.svc.cluster.local']);
  assert.equal(claims.exp - claims.iat, 3607);
  assert.deepEqual(claims['kubernetes.io'].pod, { name: 'sa-reader', uid: pod.metadata!.uid });
  assert.equal(claims['kubernetes.io'].serviceaccount.name, 'builder');

  // Straight to the API server's HTTPS port, no relay: busybox 1.35's own TLS client (TLS 1.2, no
  // signature_algorithms extension) handshakes with the server's RSA 2048 certificate (kubeadm's default)
  // since the server also signs with SHA-1 for such clients, as Go's TLS does. busybox verifies no certificate.
  const get = (auth: string, path = '/api/v1/namespaces/default/pods') =>
    sh(
      `wget -q -O - --header "Authorization: Bearer ${auth}" ` +
        `https://127.0.0.1:${server.port}${path} 2>&1; echo " exit=$?"`,
    );
  const ok = await get('$(cat /var/run/secrets/kubernetes.io/serviceaccount/token)');
  assert.match(ok.stdout, /"kind":"PodList"/, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /"name":"sa-reader"/);
  assert.match(ok.stdout, / exit=0$/);
  // The pod's token gets only what its role grants: view in default reads no secrets and nothing elsewhere.
  const own = '$(cat /var/run/secrets/kubernetes.io/serviceaccount/token)';
  for (const path of ['/api/v1/namespaces/default/secrets', '/api/v1/namespaces/kube-system/pods']) {
    const refused = await get(own, path);
    assert.match(refused.stdout, /403 Forbidden/, refused.stdout);
  }
  // The server does check: a made-up bearer token is refused.
  const bad = await get('not-a-token');
  assert.match(bad.stdout, /401 Unauthorized/, bad.stdout);
  await deleteAndCheckClean(server, 'sa-reader');
  await server.kubectl(['delete', 'serviceaccount', 'builder']);
  await server.kubectl(['delete', 'rolebinding', 'builder-view']);
});
