import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Image } from '../../runtime/runtime.ts';
import type { Container, Pod } from './api.ts';
import { ContainerConfigError, containerSecurityContext, generatePodSandboxConfig, podKernelHostname } from './container-config.ts';

function pod(securityContext: NonNullable<Pod['spec']>['securityContext'], c: Container = { name: 'c', image: 'i' }): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns', uid: 'u1' },
    spec: { containers: [c], ...(securityContext ? { securityContext } : {}) },
  } as Pod;
}
const image = (user: string): Image => ({ id: 'sha256:1', repoTags: [], repoDigests: [], size: 0, config: { user } }) as unknown as Image;

test('fsGroup joins the supplemental groups ahead of supplementalGroups; the policy passes through', () => {
  const p = pod({ fsGroup: 2000, supplementalGroups: [3000] });
  assert.deepEqual(containerSecurityContext(p, p.spec!.containers[0]!, undefined).supplementalGroups, [2000, 3000]);
  const strict = pod({ fsGroup: 2000, supplementalGroupsPolicy: 'Strict' } as never);
  const sc = containerSecurityContext(strict, strict.spec!.containers[0]!, undefined);
  assert.deepEqual(sc.supplementalGroups, [2000]);
  assert.equal(sc.supplementalGroupsPolicy, 'Strict');
  const none = pod(undefined);
  assert.equal(containerSecurityContext(none, none.spec!.containers[0]!, undefined).supplementalGroups, undefined);
});

test('runAsNonRoot against runAsUser and the image user, with upstream messages', () => {
  const check = (sc: object, user: string) => {
    const p = pod({ runAsNonRoot: true, ...sc });
    return () => containerSecurityContext(p, p.spec!.containers[0]!, image(user));
  };
  assert.throws(check({}, ''), (e: unknown) => e instanceof ContainerConfigError &&
    e.message === 'container has runAsNonRoot and image will run as root (pod: "p_ns(u1)", container: c)');
  assert.throws(check({}, '0:0'), /image will run as root/);
  assert.throws(check({}, 'root'), (e: unknown) => e instanceof ContainerConfigError &&
    e.message === 'container has runAsNonRoot and image has non-numeric user (root), cannot verify user is non-root (pod: "p_ns(u1)", container: c)');
  assert.throws(check({ runAsUser: 0 }, '1000'), /container's runAsUser breaks non-root policy \(pod: "p_ns\(u1\)", container: c\)/);
  assert.doesNotThrow(check({}, '1000:1000'));
  assert.doesNotThrow(check({ runAsUser: 1000 }, 'root'));
});

test('a Localhost seccomp profile is a file under the seccomp profile root', () => {
  const p = pod({ seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/audit.json' } });
  assert.deepEqual(containerSecurityContext(p, p.spec!.containers[0]!, undefined, '/data/kubelet/seccomp').seccomp, {
    type: 'Localhost',
    localhostRef: '/data/kubelet/seccomp/profiles/audit.json',
  });
});

const namedPod = (name: string, spec: Partial<NonNullable<Pod['spec']>> = {}): Pod =>
  ({ metadata: { name, namespace: 'team', uid: 'u1' }, spec: { containers: [{ name: 'c' }], ...spec } }) as Pod;

test('the sandbox hostname: spec.hostname, else the pod name cut to 63; the FQDN only with setHostnameAsFQDN and a subdomain', () => {
  assert.equal(podKernelHostname(namedPod('web-0'), 'cluster.local'), 'web-0');
  assert.equal(podKernelHostname(namedPod('web-0', { hostname: 'db' }), 'cluster.local'), 'db');
  assert.equal(podKernelHostname(namedPod('x'.repeat(70)), 'cluster.local'), 'x'.repeat(63));
  assert.equal(podKernelHostname(namedPod('web-0', { subdomain: 'web' }), 'cluster.local'), 'web-0');
  assert.equal(podKernelHostname(namedPod('web-0', { setHostnameAsFQDN: true }), 'cluster.local'), 'web-0');
  assert.equal(
    podKernelHostname(namedPod('web-0', { subdomain: 'web', setHostnameAsFQDN: true }), 'cluster.local'),
    'web-0.web.team.svc.cluster.local',
  );
  assert.equal(
    generatePodSandboxConfig(namedPod('p', { hostname: 'h', subdomain: 's', setHostnameAsFQDN: true }), 0, { logRoot: '/l', clusterDomain: 'example.org' }).hostname,
    'h.s.team.svc.example.org',
  );
});

test('an FQDN over 64 characters is refused with upstream message', () => {
  const long = namedPod('p', { hostname: 'h'.repeat(40), subdomain: 'sub', setHostnameAsFQDN: true });
  assert.throws(
    () => podKernelHostname(long, 'cluster.local'),
    new Error(
      `failed to construct FQDN from pod hostname and cluster domain, FQDN ${'h'.repeat(40)}.sub.team.svc.cluster.local is too long (64 characters is the max, 67 characters requested)`,
    ),
  );
});
