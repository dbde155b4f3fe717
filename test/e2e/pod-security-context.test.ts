/**
 * Security contexts, devices and sysctls on real containers, driven with the real kubectl: a non-root
 * container gets the pod's fsGroup among its groups and reads and writes its volumes through it; a privileged
 * container sees the host's devices and an unprivileged one does not; safe sysctls (and those the node's
 * `--allowed-unsafe-sysctls` lists) are set in the pod's namespaces while others reject the pod with
 * `SysctlForbidden`; runAsNonRoot with an image running as root fails with upstream's message; an AppArmor
 * profile on a node that cannot apply it rejects the pod.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { startServer, type ServerHandle } from './helpers/server.ts';
import { apply, deleteAllPods, importBusybox, podEvents, waitForPod } from './pod-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';

const why = missingRealContainers();
const skip = { skip: why };
let server: ServerHandle;

test.before(async () => {
  if (why) return;
  server = await startServer({ runtime: 'oci', storage: 'memory', args: ['--allowed-unsafe-sysctls', 'kernel.shm*'] });
  await importBusybox(server);
});
test.afterEach(async () => {
  if (server) await deleteAllPods(server);
});
test.after(async () => {
  await server?.stop();
});

const finished = (p: IPod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

async function logs(name: string, container?: string): Promise<string> {
  const r = await server.kubectl(['logs', name, ...(container ? ['-c', container] : [])]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

/** Runs a one-shot busybox pod to completion and returns its phase and output. */
async function runToEnd(name: string, script: string, extra: { pod?: string; container?: string } = {}) {
  await apply(
    server,
    `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  restartPolicy: Never
${extra.pod ?? ''}
  containers:
  - name: c
    image: busybox:1.35
    command: ["sh", "-c", ${JSON.stringify(script)}]
${extra.container ?? ''}`,
  );
  const pod = await waitForPod(server, name, finished, 'finished', 90_000);
  return { phase: pod.status?.phase, out: await logs(name) };
}

test('fsGroup: a runAsUser 1000 container has group 2000, reads a 0440 configMap and writes an emptyDir through it', skip, async () => {
  await apply(server, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: secret-ish\ndata:\n  key: only-for-the-group\n');
  const { phase, out } = await runToEnd(
    'fsgroup',
    'id; cat /cm/key; echo; echo hi > /data/f && stat -c "file-gid=%g" /data/f; stat -c "dir=%a:%g" /data',
    {
      pod: `  securityContext:
    runAsUser: 1000
    fsGroup: 2000
  volumes:
  - name: data
    emptyDir: {}
  - name: cm
    configMap:
      name: secret-ish
      defaultMode: 0440`,
      container: `    volumeMounts:
    - {name: data, mountPath: /data}
    - {name: cm, mountPath: /cm}`,
    },
  );
  assert.equal(phase, 'Succeeded', out);
  assert.match(out, /uid=1000 gid=0\(root\) groups=.*2000/);
  assert.match(out, /only-for-the-group/);
  assert.match(out, /file-gid=2000/);
  assert.match(out, /dir=2777:2000/);
  await server.kubectl(['delete', 'configmap', 'secret-ish']);
});

test('supplementalGroups and Strict: only the pod\'s groups are added', skip, async () => {
  const { out } = await runToEnd('groups', 'id -G', {
    pod: `  securityContext:
    runAsUser: 1000
    runAsGroup: 1000
    fsGroup: 2000
    supplementalGroups: [3000, 4000]
    supplementalGroupsPolicy: Strict`,
  });
  assert.deepEqual(out.trim().split(/\s+/).map(Number).sort(), [1000, 2000, 3000, 4000]);
});

test('privileged: a container sees a host device, an unprivileged one does not', skip, async () => {
  const device = ['/dev/kmsg', '/dev/loop-control', '/dev/fuse'].find((d) => fs.existsSync(d));
  assert.ok(device, 'the host has /dev/kmsg, /dev/loop-control or /dev/fuse');
  const script = `if [ -c ${device} ] || [ -b ${device} ]; then echo SEEN; else echo MISSING; fi`;
  const priv = await runToEnd('priv', script, { container: '    securityContext:\n      privileged: true' });
  assert.equal(priv.out.trim(), 'SEEN');
  const plain = await runToEnd('unpriv', script);
  assert.equal(plain.out.trim(), 'MISSING');
});

test('sysctls: a safe one and an allowed unsafe one are set in the pod; another rejects the pod with SysctlForbidden', skip, async () => {
  const { phase, out } = await runToEnd('sysctl-ok', 'cat /proc/sys/net/ipv4/ip_local_port_range /proc/sys/kernel/shmmni', {
    pod: `  securityContext:
    sysctls:
    - {name: net.ipv4.ip_local_port_range, value: "40000 50000"}
    - {name: kernel.shmmni, value: "1234"}`,
  });
  assert.equal(phase, 'Succeeded', out);
  assert.deepEqual(out.trim().split(/\s+/), ['40000', '50000', '1234']);

  await apply(
    server,
    `apiVersion: v1
kind: Pod
metadata:
  name: sysctl-forbidden
spec:
  securityContext:
    sysctls:
    - {name: kernel.msgmax, value: "65536"}
  containers:
  - name: c
    image: busybox:1.35
    command: ["sleep", "3600"]
`,
  );
  const pod = await waitForPod(server, 'sysctl-forbidden', (p) => p.status?.phase === 'Failed', 'Failed');
  assert.equal(pod.status?.reason, 'SysctlForbidden');
  assert.equal(pod.status?.message, 'Pod was rejected: forbidden sysctl: "kernel.msgmax" not allowlisted');
  const table = await server.kubectl(['get', 'pod', 'sysctl-forbidden']);
  assert.match(table.stdout, /sysctl-forbidden\s+0\/1\s+SysctlForbidden/);
  assert.ok((await podEvents(server, 'sysctl-forbidden')).includes('SysctlForbidden: forbidden sysctl: "kernel.msgmax" not allowlisted'));
});

test('runAsNonRoot with an image that runs as root: CreateContainerConfigError with upstream message', skip, async () => {
  await apply(
    server,
    `apiVersion: v1
kind: Pod
metadata:
  name: nonroot
spec:
  securityContext:
    runAsNonRoot: true
  containers:
  - name: c
    image: busybox:1.35
    command: ["sleep", "3600"]
`,
  );
  const pod = await waitForPod(
    server,
    'nonroot',
    (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError',
    'CreateContainerConfigError',
  );
  const uid = pod.metadata?.uid;
  assert.equal(
    pod.status?.containerStatuses?.[0]?.state?.waiting?.message,
    `container has runAsNonRoot and image will run as root (pod: "nonroot_default(${uid})", container: c)`,
  );
});

test('AppArmor RuntimeDefault on a node that cannot apply it: rejected with reason AppArmor', skip, async () => {
  await apply(
    server,
    `apiVersion: v1
kind: Pod
metadata:
  name: apparmor
spec:
  securityContext:
    appArmorProfile: {type: RuntimeDefault}
  containers:
  - name: c
    image: busybox:1.35
    command: ["sleep", "3600"]
`,
  );
  const pod = await waitForPod(server, 'apparmor', (p) => p.status?.phase === 'Failed', 'Failed');
  assert.equal(pod.status?.reason, 'AppArmor');
  const hostHasIt = fs.existsSync('/sys/module/apparmor/parameters/enabled') &&
    fs.readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').startsWith('Y');
  assert.equal(
    pod.status?.message,
    `Pod was rejected: Cannot enforce AppArmor: ${hostHasIt ? 'kubeling does not apply AppArmor profiles' : 'AppArmor is not enabled on the host'}`,
  );
});

test('seccomp Localhost: a profile from DIR/kubelet/seccomp applies; a missing one is CreateContainerError', skip, async () => {
  const root = `${server.dataDir}/kubelet/seccomp`;
  fs.mkdirSync(`${root}/profiles`, { recursive: true });
  fs.writeFileSync(
    `${root}/profiles/no-mkdir.json`,
    JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }),
  );
  const { out } = await runToEnd('seccomp-local', 'mkdir /tmp/x 2>&1; echo rc=$?', {
    container: '    securityContext:\n      seccompProfile: {type: Localhost, localhostProfile: profiles/no-mkdir.json}',
  });
  assert.match(out, /Operation not permitted/);
  assert.match(out, /rc=1/);

  await apply(
    server,
    `apiVersion: v1
kind: Pod
metadata:
  name: seccomp-missing
spec:
  securityContext:
    seccompProfile: {type: Localhost, localhostProfile: missing.json}
  containers:
  - name: c
    image: busybox:1.35
    command: ["sleep", "3600"]
`,
  );
  const pod = await waitForPod(
    server,
    'seccomp-missing',
    (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerError',
    'CreateContainerError',
  );
  assert.match(
    pod.status?.containerStatuses?.[0]?.state?.waiting?.message ?? '',
    new RegExp(`cannot load seccomp profile "${root}/missing.json": open ${root}/missing.json: no such file or directory`),
  );
});
