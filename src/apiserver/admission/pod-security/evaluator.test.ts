import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PodSpec } from '../../../api/index.ts';
import { Evaluator, forbiddenDetail, forbiddenReason } from './evaluator.ts';
import { LATEST, v1, type Level } from './levels.ts';

const evaluator = new Evaluator();
const privilegedPod: PodSpec = { hostNetwork: true, containers: [{ name: 'c', image: 'busybox', securityContext: { privileged: true } }], volumes: [{ name: 'h', hostPath: { path: '/' } }] };

test('restricted:latest lists baseline reasons first, then restricted, in upstream order, overrides dropped', () => {
  const r = evaluator.evaluate({ level: 'restricted', version: LATEST }, {}, privilegedPod);
  assert.equal(forbiddenReason(r), 'host namespaces, privileged, allowPrivilegeEscalation != false, unrestricted capabilities, restricted volume types, runAsNonRoot != true, seccompProfile');
  assert.equal(
    forbiddenDetail(r),
    'host namespaces (hostNetwork=true), privileged (container "c" must not set securityContext.privileged=true), ' +
      'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), ' +
      'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), ' +
      'restricted volume types (volume "h" uses restricted volume type "hostPath"), ' +
      'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), ' +
      'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
  );
});

test('baseline runs no restricted checks; privileged runs none', () => {
  const r = evaluator.evaluate({ level: 'baseline', version: LATEST }, {}, privilegedPod);
  assert.equal(forbiddenReason(r), 'host namespaces, hostPath volumes, privileged');
  assert.deepEqual(evaluator.evaluate({ level: 'privileged', version: LATEST }, {}, privilegedPod), { allowed: true, reasons: [], details: [] });
});

test('versions: checks apply from their minimum version; future versions take the newest', () => {
  const plain: PodSpec = { containers: [{ name: 'c', image: 'busybox', securityContext: { runAsUser: 0 } }] };
  const reasons = (level: Level, minor: number) => forbiddenReason(evaluator.evaluate({ level, version: v1(minor) }, {}, plain));
  // capabilities_restricted from 1.22, runAsUser from 1.23, seccomp from 1.19, allowPrivilegeEscalation from 1.8.
  assert.equal(reasons('restricted', 7), 'runAsNonRoot != true');
  assert.equal(reasons('restricted', 21), 'allowPrivilegeEscalation != false, runAsNonRoot != true, seccompProfile');
  assert.equal(reasons('restricted', 23), 'allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, runAsUser=0, seccompProfile');
  assert.equal(reasons('restricted', 99), reasons('restricted', 32));
  const sysctl: PodSpec = { containers: [], securityContext: { sysctls: [{ name: 'net.ipv4.tcp_wmem', value: '1' }] } };
  assert.equal(evaluator.evaluate({ level: 'baseline', version: v1(31) }, {}, sysctl).allowed, false);
  assert.equal(evaluator.evaluate({ level: 'baseline', version: v1(32) }, {}, sysctl).allowed, true);
  assert.equal(evaluator.evaluate({ level: 'baseline', version: LATEST }, {}, sysctl).allowed, true);
});

test('a compliant restricted pod passes', () => {
  const spec: PodSpec = {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [{ name: 'c', image: 'busybox', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
    volumes: [{ name: 'e', emptyDir: {} }],
  };
  assert.equal(evaluator.evaluate({ level: 'restricted', version: LATEST }, {}, spec).allowed, true);
});
