import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { admitAppArmor, hostAppArmorEnabled, requiresAppArmor } from './apparmor.ts';

function pod(extra: { annotations?: Record<string, string>; podType?: string; containerType?: string }): IPod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: {
      ...(extra.podType ? { securityContext: { appArmorProfile: { type: extra.podType } } } : {}),
      containers: [
        { name: 'c', ...(extra.containerType ? { securityContext: { appArmorProfile: { type: extra.containerType } } } : {}) },
      ],
    },
  } as IPod;
}

test('which pods need AppArmor', () => {
  assert.equal(requiresAppArmor(pod({})), false);
  assert.equal(requiresAppArmor(pod({ podType: 'RuntimeDefault' })), true);
  assert.equal(requiresAppArmor(pod({ podType: 'RuntimeDefault', containerType: 'Unconfined' })), false);
  assert.equal(requiresAppArmor(pod({ containerType: 'Localhost' })), true);
  assert.equal(requiresAppArmor(pod({ annotations: { 'container.apparmor.security.beta.kubernetes.io/c': 'runtime/default' } })), true);
  assert.equal(requiresAppArmor(pod({ annotations: { 'container.apparmor.security.beta.kubernetes.io/c': 'unconfined' } })), false);
});

test('a pod needing AppArmor is rejected with reason AppArmor on a host without it', () => {
  assert.deepEqual(admitAppArmor(pod({ podType: 'RuntimeDefault' }), false), {
    admit: false,
    reason: 'AppArmor',
    message: 'Cannot enforce AppArmor: AppArmor is not enabled on the host',
  });
  assert.deepEqual(admitAppArmor(pod({ podType: 'Unconfined' }), false), { admit: true });
  // kubeling applies no profiles: refused rather than run unconfined.
  assert.equal(admitAppArmor(pod({ podType: 'RuntimeDefault' }), true).admit, false);
});

test('host detection reads the apparmor module parameter', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'apparmor-'));
  try {
    const f = path.join(dir, 'enabled');
    assert.equal(hostAppArmorEnabled(f), false);
    fs.writeFileSync(f, 'Y\n');
    assert.equal(hostAppArmorEnabled(f), true);
    fs.writeFileSync(f, 'N\n');
    assert.equal(hostAppArmorEnabled(f), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
