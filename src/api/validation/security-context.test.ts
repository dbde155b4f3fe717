import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PodSpec } from '../types.ts';
import { validatePodSecurity } from './security-context.ts';

const spec = (extra: object, container: object = {}): PodSpec =>
  ({ containers: [{ name: 'c', image: 'i', ...container }], ...extra }) as PodSpec;
const lines = (s: PodSpec) => validatePodSecurity(s, 'spec').map((e) => `${e.field}: ${e.message}`);

test('a valid security context passes', () => {
  assert.deepEqual(lines(spec({
    securityContext: {
      sysctls: [{ name: 'kernel.msgmax', value: '1' }, { name: 'net/ipv4/tcp_syncookies', value: '1' }],
      fsGroup: 2000, fsGroupChangePolicy: 'OnRootMismatch', supplementalGroupsPolicy: 'Strict',
      seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/a.json' },
      appArmorProfile: { type: 'RuntimeDefault' },
    },
  }, { securityContext: { procMount: 'Default', seccompProfile: { type: 'Unconfined' } } })), []);
});

test('sysctls: name format, duplicates, host namespaces', () => {
  assert.deepEqual(lines(spec({
    hostNetwork: true,
    securityContext: { sysctls: [{ name: 'Kernel.X', value: '1' }, { name: 'net.core.somaxconn', value: '1' }, { name: 'net.core.somaxconn', value: '2' }] },
  })), [
    'spec.securityContext.sysctls[0].name: Invalid value: "Kernel.X": must have at most 253 characters and match regex ^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$',
    'spec.securityContext.sysctls[1].name: Invalid value: "net.core.somaxconn": may not be specified when \'hostNetwork\' is true',
    'spec.securityContext.sysctls[2].name: Duplicate value: "net.core.somaxconn"',
    'spec.securityContext.sysctls[2].name: Invalid value: "net.core.somaxconn": may not be specified when \'hostNetwork\' is true',
  ]);
  assert.deepEqual(lines(spec({ hostIPC: true, securityContext: { sysctls: [{ name: 'kernel.shmmax', value: '1' }] } })), [
    'spec.securityContext.sysctls[0].name: Invalid value: "kernel.shmmax": may not be specified when \'hostIPC\' is true',
  ]);
});

test('policies and profiles', () => {
  assert.deepEqual(lines(spec({ securityContext: { fsGroupChangePolicy: 'Sometimes', supplementalGroupsPolicy: 'Loose' } })), [
    'spec.securityContext.fsGroupChangePolicy: Unsupported value: "Sometimes": supported values: "Always", "OnRootMismatch"',
    'spec.securityContext.supplementalGroupsPolicy: Unsupported value: "Loose": supported values: "Merge", "Strict"',
  ]);
  assert.deepEqual(lines(spec({ securityContext: { seccompProfile: { type: 'Localhost' } } })), [
    'spec.securityContext.seccompProfile.localhostProfile: Required value: must be set when seccomp type is Localhost',
  ]);
  assert.deepEqual(lines(spec({}, { securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: '../x' } } })), [
    'spec.containers[0].securityContext.seccompProfile.localhostProfile: Invalid value: "../x": must not contain \'..\'',
  ]);
  assert.deepEqual(lines(spec({}, { securityContext: { appArmorProfile: { type: 'Bogus' } } })), [
    'spec.containers[0].securityContext.appArmorProfile.type: Unsupported value: "Bogus": supported values: "Localhost", "RuntimeDefault", "Unconfined"',
  ]);
  assert.equal(lines(spec({ securityContext: { appArmorProfile: { type: 'RuntimeDefault', localhostProfile: 'x' } } }))[0]?.includes('can only be set when AppArmor type is Localhost'), true);
});

test('procMount Unmasked needs hostUsers false, which kubeling refuses', () => {
  assert.deepEqual(lines(spec({}, { securityContext: { procMount: 'Unmasked' } })), [
    'spec.containers[0].securityContext.procMount: Invalid value: "Unmasked": `hostUsers` must be false to use `Unmasked`',
  ]);
  assert.deepEqual(lines(spec({ hostUsers: false }, { securityContext: { procMount: 'Unmasked' } })), [
    'spec.hostUsers: Forbidden: kubeling does not run pods in user namespaces',
  ]);
});
