import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../api/index.ts';
import { generatePodSandboxConfig, podKernelHostname } from './container-config.ts';

const pod = (name: string, spec: Partial<NonNullable<Pod['spec']>> = {}): Pod =>
  ({ metadata: { name, namespace: 'team', uid: 'u1' }, spec: { containers: [{ name: 'c' }], ...spec } }) as Pod;

test('the sandbox hostname: spec.hostname, else the pod name cut to 63; the FQDN only with setHostnameAsFQDN and a subdomain', () => {
  assert.equal(podKernelHostname(pod('web-0'), 'cluster.local'), 'web-0');
  assert.equal(podKernelHostname(pod('web-0', { hostname: 'db' }), 'cluster.local'), 'db');
  assert.equal(podKernelHostname(pod('x'.repeat(70)), 'cluster.local'), 'x'.repeat(63));
  assert.equal(podKernelHostname(pod('web-0', { subdomain: 'web' }), 'cluster.local'), 'web-0');
  assert.equal(podKernelHostname(pod('web-0', { setHostnameAsFQDN: true }), 'cluster.local'), 'web-0');
  assert.equal(
    podKernelHostname(pod('web-0', { subdomain: 'web', setHostnameAsFQDN: true }), 'cluster.local'),
    'web-0.web.team.svc.cluster.local',
  );
  assert.equal(
    generatePodSandboxConfig(pod('p', { hostname: 'h', subdomain: 's', setHostnameAsFQDN: true }), 0, { logRoot: '/l', clusterDomain: 'example.org' }).hostname,
    'h.s.team.svc.example.org',
  );
});

test('an FQDN over 64 characters is refused with upstream message', () => {
  const long = pod('p', { hostname: 'h'.repeat(40), subdomain: 'sub', setHostnameAsFQDN: true });
  assert.throws(
    () => podKernelHostname(long, 'cluster.local'),
    new Error(
      `failed to construct FQDN from pod hostname and cluster domain, FQDN ${'h'.repeat(40)}.sub.team.svc.cluster.local is too long (64 characters is the max, 67 characters requested)`,
    ),
  );
});
