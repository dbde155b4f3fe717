import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../storage/index.ts';
import { AllocationError } from './allocator.ts';
import { ServiceAllocators } from './allocators.ts';
import { ipOffset, parsePortRange, parseServiceCidr, staticBand } from './range.ts';

const owner = (uid: string) => ({ namespace: 'default', name: uid, uid });

test('ranges: CIDR and port range parsing, network and broadcast outside, static bands', () => {
  const r = parseServiceCidr('10.43.0.0/16');
  assert.deepEqual(r, { cidr: '10.43.0.0/16', base: (10 << 24 | 43 << 16) >>> 0, size: 65536 });
  assert.equal(ipOffset(r, '10.43.0.0'), undefined);
  assert.equal(ipOffset(r, '10.43.255.255'), undefined);
  assert.equal(ipOffset(r, '10.43.0.1'), 1);
  assert.equal(ipOffset(r, '10.44.0.1'), undefined);
  assert.equal(ipOffset(r, '10.43.01.1'), undefined);
  assert.throws(() => parseServiceCidr('10.43.0.0/29'));
  assert.throws(() => parseServiceCidr('fd00::/108'));
  assert.equal(staticBand(65534, 16, 256), 256);
  assert.equal(staticBand(254, 16, 256), 16);
  assert.deepEqual(parsePortRange('30000-32767'), { base: 30000, size: 2768, text: '30000-32767' });
  assert.throws(() => parsePortRange('32767-30000'));
});

test('dynamic IPs skip the reserved .1 and .10 and take the static band only when the rest is full', async () => {
  const store = new MemoryStore();
  // A /27: offsets 1..30, static band 1..16; random() = 0 makes picks walk upward from each band's start.
  const a = new ServiceAllocators({ store, serviceCidr: '10.9.0.0/27', random: () => 0 });
  const got: string[] = [];
  for (let i = 0; i < 28; i++) got.push(await a.ips.allocateNext(owner(`s${i}`)));
  assert.deepEqual(got.slice(0, 14), Array.from({ length: 14 }, (_, i) => `10.9.0.${17 + i}`));
  assert.deepEqual(got.slice(14), ['10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5', '10.9.0.6', '10.9.0.7', '10.9.0.8', '10.9.0.9', '10.9.0.11', '10.9.0.12', '10.9.0.13', '10.9.0.14', '10.9.0.15', '10.9.0.16']);
  await assert.rejects(a.ips.allocateNext(owner('full')), (e) => e instanceof AllocationError && e.code === 'Full');
  // The reserved ones only by name.
  await a.ips.allocate(a.kubernetesIP, owner('kubernetes'));
  await a.ips.allocate(a.dnsIP, owner('kube-dns'));
  assert.equal(a.kubernetesIP, '10.9.0.1');
  assert.equal(a.dnsIP, '10.9.0.10');
  await store.close();
});

test('allocate by name: not in range, already allocated, idempotent for the same owner; release only by the owner', async () => {
  const store = new MemoryStore();
  const a = new ServiceAllocators({ store, nodePortRange: '30000-30010' });
  await assert.rejects(a.ports.allocate('29999', owner('x')), (e) => e instanceof AllocationError && e.code === 'NotInRange');
  await a.ports.allocate('30005', owner('x'));
  await a.ports.allocate('30005', owner('x'));
  await assert.rejects(a.ports.allocate('30005', owner('y')), (e) => e instanceof AllocationError && e.code === 'Allocated');
  assert.equal(await a.ports.release('30005', owner('y')), false);
  assert.equal(await a.ports.release('30005', owner('x')), true);
  await a.ports.allocate('30005', owner('y'));
  // Two allocators on one store (two API servers) never hand out the same port.
  const b = new ServiceAllocators({ store, nodePortRange: '30000-30010' });
  const picks = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).ports.allocateNext(owner(`p${i}`))));
  assert.equal(new Set([...picks, '30005']).size, 11);
  await assert.rejects(b.ports.allocateNext(owner('late')), (e) => e instanceof AllocationError && e.code === 'Full');
  await store.close();
});
