import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { SAFE_SYSCTLS, SysctlAllowlist, SysctlAllowlistError, normalizeSysctlName, sysctlNamespace } from './sysctls.ts';

function pod(sysctls: Record<string, string>, spec: { hostNetwork?: boolean; hostIPC?: boolean } = {}): IPod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default' },
    spec: {
      containers: [{ name: 'c' }],
      securityContext: { sysctls: Object.entries(sysctls).map(([name, value]) => ({ name, value })) },
      ...spec,
    },
  };
}

test('safe sysctls are admitted with no flag', () => {
  const list = new SysctlAllowlist();
  for (const name of SAFE_SYSCTLS) assert.deepEqual(list.admit(pod({ [name]: '1' })), { admit: true }, name);
  assert.deepEqual(list.admit(pod({})), { admit: true });
});

test('an unsafe sysctl is SysctlForbidden with upstream message, unless --allowed-unsafe-sysctls names it', () => {
  assert.deepEqual(new SysctlAllowlist().admit(pod({ 'kernel.msgmax': '65536' })), {
    admit: false,
    reason: 'SysctlForbidden',
    message: 'forbidden sysctl: "kernel.msgmax" not allowlisted',
  });
  assert.deepEqual(new SysctlAllowlist(['kernel.msgmax']).admit(pod({ 'kernel.msgmax': '65536' })), { admit: true });
  assert.deepEqual(new SysctlAllowlist(['kernel.msg*']).admit(pod({ 'kernel.msgmnb': '65536' })), { admit: true });
  assert.equal(new SysctlAllowlist(['kernel.msg*']).admit(pod({ 'kernel.sem': '1 2 3 4' })).admit, false);
  assert.deepEqual(new SysctlAllowlist(['net.*']).admit(pod({ 'net.core.somaxconn': '1024' })), { admit: true });
});

test('a node-wide sysctl can never be set', () => {
  assert.equal(new SysctlAllowlist().admit(pod({ 'vm.swappiness': '1' })).admit, false);
  assert.throws(() => new SysctlAllowlist(['vm.swappiness']), (e: unknown) =>
    e instanceof SysctlAllowlistError && e.message === 'the sysctls "vm.swappiness" are not known to be namespaced');
  assert.throws(() => new SysctlAllowlist(['kernel.*']), SysctlAllowlistError);
  assert.throws(() => new SysctlAllowlist(['Net.Core']), /must have at most 253 characters and match regex/);
});

test('a net sysctl with hostNetwork, an IPC one with hostIPC, are forbidden', () => {
  const list = new SysctlAllowlist(['kernel.shm*']);
  assert.deepEqual(list.admit(pod({ 'net.ipv4.tcp_syncookies': '1' }, { hostNetwork: true })), {
    admit: false,
    reason: 'SysctlForbidden',
    message: 'forbidden sysctl: "net.ipv4.tcp_syncookies" not allowed with host Net enabled',
  });
  assert.equal(list.admit(pod({ 'kernel.shmmax': '1' }, { hostIPC: true })).admit, false);
  assert.equal(list.admit(pod({ 'kernel.shmmax': '1' }, { hostNetwork: true })).admit, true);
});

test('names: slashes as separators, namespaces', () => {
  assert.equal(normalizeSysctlName('net/ipv4/ip_local_port_range'), 'net.ipv4.ip_local_port_range');
  assert.equal(normalizeSysctlName('net/ipv4/conf/eth0.100/forwarding'), 'net.ipv4.conf.eth0/100.forwarding');
  assert.equal(new SysctlAllowlist().admit(pod({ 'net/ipv4/tcp_syncookies': '1' })).admit, true);
  assert.equal(sysctlNamespace('kernel.sem'), 'IPC');
  assert.equal(sysctlNamespace('fs.mqueue.msg_max'), 'IPC');
  assert.equal(sysctlNamespace('net.core.somaxconn'), 'Net');
  assert.equal(sysctlNamespace('kernel.pid_max'), undefined);
});
