import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, ObjectMeta, PodSpec } from '../../../api/index.ts';
import { CHECKS, type CheckResult } from './checks.ts';

/** Runs the implementation of check `id` for policy minor version `minor` (default: the newest). */
function run(id: string, spec: Partial<PodSpec>, meta: ObjectMeta = {}, minor = 1000): CheckResult {
  const check = CHECKS.find((c) => c.id === id)!;
  const version = check.versions.findLast((v) => v.minimumMinor <= minor)!;
  return version.check(meta, { containers: [], ...spec } as PodSpec);
}

const c = (name: string, extra: Partial<Container> = {}): Container => ({ name, image: 'busybox', ...extra });
const denied = (r: CheckResult, reason: string, detail: string) => assert.deepEqual(r, { allowed: false, forbiddenReason: reason, forbiddenDetail: detail });
const allowed = (r: CheckResult) => assert.deepEqual(r, { allowed: true });

test('privileged: containers and init containers with privileged=true, false allowed', () => {
  allowed(run('privileged', { containers: [c('a', { securityContext: { privileged: false } }), c('b')] }));
  denied(run('privileged', { containers: [c('a', { securityContext: { privileged: true } })] }), 'privileged', 'container "a" must not set securityContext.privileged=true');
  denied(
    run('privileged', { initContainers: [c('i', { securityContext: { privileged: true } })], containers: [c('a', { securityContext: { privileged: true } })] }),
    'privileged', 'containers "i", "a" must not set securityContext.privileged=true',
  );
});

test('hostNamespaces: hostNetwork, hostPID, hostIPC in that order', () => {
  allowed(run('hostNamespaces', { hostNetwork: false }));
  denied(run('hostNamespaces', { hostNetwork: true }), 'host namespaces', 'hostNetwork=true');
  denied(run('hostNamespaces', { hostIPC: true, hostPID: true, hostNetwork: true }), 'host namespaces', 'hostNetwork=true, hostPID=true, hostIPC=true');
});

test('hostPathVolumes and hostPorts', () => {
  allowed(run('hostPathVolumes', { volumes: [{ name: 'e', emptyDir: {} }] }));
  denied(run('hostPathVolumes', { volumes: [{ name: 'a', hostPath: { path: '/' } }, { name: 'b', hostPath: { path: '/x' } }] }), 'hostPath volumes', 'volumes "a", "b"');
  allowed(run('hostPorts', { containers: [c('a', { ports: [{ containerPort: 80 }, { containerPort: 81, hostPort: 0 }] })] }));
  denied(run('hostPorts', { containers: [c('a', { ports: [{ containerPort: 80, hostPort: 80 }] })] }), 'hostPort', 'container "a" uses hostPort 80');
  denied(
    run('hostPorts', { containers: [c('a', { ports: [{ containerPort: 80, hostPort: 8080 }] }), c('b', { ports: [{ containerPort: 9, hostPort: 443 }] })] }),
    'hostPort', 'containers "a", "b" use hostPorts 443, 8080',
  );
});

test('capabilities: baseline default set; restricted drop ALL and only NET_BIND_SERVICE', () => {
  allowed(run('capabilities_baseline', { containers: [c('a', { securityContext: { capabilities: { add: ['CHOWN', 'NET_BIND_SERVICE'] } } })] }));
  denied(
    run('capabilities_baseline', { containers: [c('a', { securityContext: { capabilities: { add: ['SYS_ADMIN', 'NET_RAW', 'CHOWN'] } } })] }),
    'non-default capabilities', 'container "a" must not include "NET_RAW", "SYS_ADMIN" in securityContext.capabilities.add',
  );
  allowed(run('capabilities_restricted', { containers: [c('a', { securityContext: { capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } } })] }));
  denied(run('capabilities_restricted', { containers: [c('a'), c('b', { securityContext: { capabilities: { drop: ['ALL'] } } })] }),
    'unrestricted capabilities', 'container "a" must set securityContext.capabilities.drop=["ALL"]');
  denied(
    run('capabilities_restricted', { containers: [c('a', { securityContext: { capabilities: { drop: ['NET_RAW'], add: ['CHOWN'] } } })] }),
    'unrestricted capabilities', 'container "a" must set securityContext.capabilities.drop=["ALL"]; container "a" must not include "CHOWN" in securityContext.capabilities.add',
  );
  // Windows pods pass from 1.25 on, not before.
  allowed(run('capabilities_restricted', { os: { name: 'windows' }, containers: [c('a')] }));
  assert.equal(run('capabilities_restricted', { os: { name: 'windows' }, containers: [c('a')] }, {}, 24).allowed, false);
});

test('appArmorProfile: fields RuntimeDefault/Localhost, annotations runtime/default and localhost/*', () => {
  allowed(run('appArmorProfile', { securityContext: { appArmorProfile: { type: 'RuntimeDefault' } }, containers: [c('a', { securityContext: { appArmorProfile: { type: 'Localhost', localhostProfile: 'p' } } })] },
    { annotations: { 'container.apparmor.security.beta.kubernetes.io/a': 'localhost/p', 'container.apparmor.security.beta.kubernetes.io/b': 'runtime/default' } }));
  denied(run('appArmorProfile', { securityContext: { appArmorProfile: { type: 'Unconfined' } } }), 'forbidden AppArmor profile', 'pod must not set AppArmor profile type to "Unconfined"');
  denied(run('appArmorProfile', { containers: [c('foo', { securityContext: { appArmorProfile: { type: 'Unconfined' } } })] }), 'forbidden AppArmor profile', 'container "foo" must not set AppArmor profile type to "Unconfined"');
  denied(
    run('appArmorProfile', { securityContext: { appArmorProfile: { type: 'Unconfined' } } }, { annotations: { 'container.apparmor.security.beta.kubernetes.io/a': 'unconfined' } }),
    'forbidden AppArmor profiles', 'pod and annotation must not set AppArmor profile type to "Unconfined", "container.apparmor.security.beta.kubernetes.io/a="unconfined""',
  );
});

test('seLinuxOptions: allowed types by version, no user or role', () => {
  allowed(run('seLinuxOptions', { securityContext: { seLinuxOptions: { type: 'container_t', level: 's0:c1' } } }));
  allowed(run('seLinuxOptions', { containers: [c('a', { securityContext: { seLinuxOptions: { type: 'container_engine_t' } } })] }));
  denied(run('seLinuxOptions', { containers: [c('a', { securityContext: { seLinuxOptions: { type: 'container_engine_t' } } })] }, {}, 30),
    'seLinuxOptions', 'container "a" set forbidden securityContext.seLinuxOptions: type "container_engine_t"');
  denied(
    run('seLinuxOptions', { securityContext: { seLinuxOptions: { type: 'bar', user: 'u' } }, containers: [c('a', { securityContext: { seLinuxOptions: { type: 'foo', role: 'r' } } })] }),
    'seLinuxOptions', 'pod and container "a" set forbidden securityContext.seLinuxOptions: types "bar", "foo"; user may not be set; role may not be set',
  );
});

test('procMount: only Default', () => {
  allowed(run('procMount', { containers: [c('a', { securityContext: { procMount: 'Default' } })] }));
  denied(run('procMount', { containers: [c('a', { securityContext: { procMount: 'Unmasked' } })] }), 'procMount', 'container "a" must not set securityContext.procMount to "Unmasked"');
});

test('seccompProfile: baseline refuses Unconfined; restricted requires RuntimeDefault or Localhost; old versions read annotations', () => {
  allowed(run('seccompProfile_baseline', { containers: [c('a')] }));
  denied(run('seccompProfile_baseline', { securityContext: { seccompProfile: { type: 'Unconfined' } }, containers: [c('a', { securityContext: { seccompProfile: { type: 'Unconfined' } } })] }),
    'seccompProfile', 'pod and container "a" must not set securityContext.seccompProfile.type to "Unconfined"');
  denied(run('seccompProfile_baseline', { containers: [c('a')] }, { annotations: { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' } }, 18),
    'seccompProfile', 'forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined"');
  allowed(run('seccompProfile_restricted', { securityContext: { seccompProfile: { type: 'RuntimeDefault' } }, containers: [c('a')] }));
  allowed(run('seccompProfile_restricted', { containers: [c('a', { securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'x' } } })] }));
  denied(run('seccompProfile_restricted', { containers: [c('a'), c('b')] }),
    'seccompProfile', 'pod or containers "a", "b" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"');
  denied(run('seccompProfile_restricted', { securityContext: { seccompProfile: { type: 'RuntimeDefault' } }, containers: [c('a', { securityContext: { seccompProfile: { type: 'Unconfined' } } })] }),
    'seccompProfile', 'container "a" must not set securityContext.seccompProfile.type to "Unconfined"');
});

test('sysctls: the safe set grows with the version', () => {
  allowed(run('sysctls', { securityContext: { sysctls: [{ name: 'net.ipv4.tcp_rmem', value: '4096 87380 16777216' }, { name: 'kernel.shm_rmid_forced', value: '1' }] } }));
  denied(run('sysctls', { securityContext: { sysctls: [{ name: 'net.ipv4.tcp_rmem', value: '1' }] } }, {}, 31), 'forbidden sysctls', 'net.ipv4.tcp_rmem');
  denied(run('sysctls', { securityContext: { sysctls: [{ name: 'b', value: '1' }, { name: 'a', value: '1' }] } }), 'forbidden sysctls', 'a, b');
});

test('windowsHostProcess', () => {
  allowed(run('windowsHostProcess', { securityContext: { windowsOptions: { hostProcess: false } } }));
  denied(run('windowsHostProcess', { securityContext: { windowsOptions: { hostProcess: true } }, containers: [c('a', { securityContext: { windowsOptions: { hostProcess: true } } })] }),
    'hostProcess', 'pod and container "a" must not set securityContext.windowsOptions.hostProcess=true');
});

test('allowPrivilegeEscalation: must be false on every container', () => {
  allowed(run('allowPrivilegeEscalation', { containers: [c('a', { securityContext: { allowPrivilegeEscalation: false } })] }));
  denied(run('allowPrivilegeEscalation', { containers: [c('a'), c('b', { securityContext: { allowPrivilegeEscalation: true } })] }),
    'allowPrivilegeEscalation != false', 'containers "a", "b" must set securityContext.allowPrivilegeEscalation=false');
});

test('restrictedVolumes: only the listed volume types', () => {
  allowed(run('restrictedVolumes', { volumes: [{ name: 'a', emptyDir: {} }, { name: 'b', configMap: { name: 'x' } }, { name: 'c', persistentVolumeClaim: { claimName: 'x' } }, { name: 'd', projected: { sources: [] } }] }));
  denied(run('restrictedVolumes', { volumes: [{ name: 'h', hostPath: { path: '/' } }] }), 'restricted volume types', 'volume "h" uses restricted volume type "hostPath"');
  denied(run('restrictedVolumes', { volumes: [{ name: 'h', hostPath: { path: '/' } }, { name: 'n', nfs: { server: 's', path: '/' } }, { name: 'g', gitRepo: { repository: 'r' } }] }),
    'restricted volume types', 'volumes "h", "n", "g" use restricted volume types "gitRepo", "hostPath", "nfs"');
});

test('runAsNonRoot and runAsUser', () => {
  allowed(run('runAsNonRoot', { securityContext: { runAsNonRoot: true }, containers: [c('a')] }));
  denied(run('runAsNonRoot', { containers: [c('a'), c('b', { securityContext: { runAsNonRoot: true } })] }), 'runAsNonRoot != true', 'pod or container "a" must set securityContext.runAsNonRoot=true');
  denied(run('runAsNonRoot', { securityContext: { runAsNonRoot: false }, containers: [c('a', { securityContext: { runAsNonRoot: false } })] }),
    'runAsNonRoot != true', 'pod and container "a" must not set securityContext.runAsNonRoot=false');
  allowed(run('runAsUser', { securityContext: { runAsUser: 1000 }, containers: [c('a')] }));
  denied(run('runAsUser', { securityContext: { runAsUser: 0 }, containers: [c('a', { securityContext: { runAsUser: 0 } })] }), 'runAsUser=0', 'pod and container "a" must not set runAsUser=0');
});

test('ephemeral containers are checked after init containers and containers', () => {
  denied(run('privileged', {
    containers: [c('a', { securityContext: { privileged: true } })],
    ephemeralContainers: [{ name: 'debug', image: 'busybox', securityContext: { privileged: true } }],
  }), 'privileged', 'containers "a", "debug" must not set securityContext.privileged=true');
});
