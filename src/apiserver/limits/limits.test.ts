/** The limits one by one, without a server: in-flight pools, the per-user watch cap, depth, object size, long-running. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MaxInFlightLimiter } from './max-in-flight.ts';
import { WatchLimiter } from './watch-limit.ts';
import { exceedsDepth } from './json-depth.ts';
import { checkObjectSize, MAX_OBJECT_BYTES } from './object-size.ts';
import { isLongRunning } from './long-running.ts';
import { ApiError } from '../status.ts';

test('max in-flight: reads and writes have separate pools; a full pool refuses, system:masters is served anyway; release frees once', () => {
  const l = new MaxInFlightLimiter({ nonMutating: 2, mutating: 1 });
  const r1 = l.tryAcquire('get', []);
  const r2 = l.tryAcquire('list', []);
  assert.ok(r1 && r2);
  assert.equal(l.tryAcquire('get', ['system:authenticated']), undefined, 'reads are full');
  const w1 = l.tryAcquire('create', []);
  assert.ok(w1, 'writes have their own pool');
  assert.equal(l.tryAcquire('patch', []), undefined);
  assert.equal(l.tryAcquire('post', []), undefined, 'a non-resource POST is a write');
  assert.ok(l.tryAcquire('delete', ['system:masters']), 'system:masters is never refused');
  assert.deepEqual(l.inFlight, { nonMutating: 2, mutating: 1 }, 'a privileged request beyond the limit is not counted');
  r1();
  r1();
  assert.deepEqual(l.inFlight, { nonMutating: 1, mutating: 1 }, 'a second release does nothing');
  assert.ok(l.tryAcquire('get', []));
  const unlimited = new MaxInFlightLimiter({ nonMutating: 0, mutating: 0 });
  for (let i = 0; i < 1000; i++) assert.ok(unlimited.tryAcquire('update', []));
  assert.throws(() => new MaxInFlightLimiter({ mutating: -1 }));
});

test('watch cap: per user, each user its own share, slots come back when a watch ends; system:masters and 0 are uncapped', () => {
  const w = new WatchLimiter({ maxPerUser: 2 });
  const a1 = w.tryAcquire('alice', []);
  const a2 = w.tryAcquire('alice', []);
  assert.ok(a1 && a2);
  assert.equal(w.tryAcquire('alice', []), undefined);
  assert.ok(w.tryAcquire('bob', []), 'another user is not starved by alice');
  a1();
  a1();
  assert.equal(w.open('alice'), 1);
  assert.ok(w.tryAcquire('alice', []));
  assert.equal(w.tryAcquire('alice', []), undefined);
  for (let i = 0; i < 10; i++) assert.ok(w.tryAcquire('admin', ['system:masters']));
  assert.equal(w.open('admin'), 0);
  const none = new WatchLimiter({ maxPerUser: 0 });
  for (let i = 0; i < 10; i++) assert.ok(none.tryAcquire('alice', []));
});

test('depth: counts objects and arrays, walks without recursion (100,000 levels do not overflow the stack)', () => {
  const nest = (n: number) => JSON.parse('{"a":'.repeat(n) + '1' + '}'.repeat(n));
  assert.equal(exceedsDepth(nest(10), 10), false);
  assert.equal(exceedsDepth(nest(11), 10), true);
  assert.equal(exceedsDepth(JSON.parse('['.repeat(1000) + ']'.repeat(1000))), false);
  assert.equal(exceedsDepth(JSON.parse('['.repeat(1001) + ']'.repeat(1001))), true);
  assert.equal(exceedsDepth(JSON.parse('['.repeat(100_000) + ']'.repeat(100_000))), true);
  assert.equal(exceedsDepth('x'), false);
  assert.equal(exceedsDepth({ a: [1, { b: null }], c: 'd' }, 3), false);
});

test('object size: etcd\'s 1.5 MiB request limit counts the key and the value; beyond it 413 `etcdserver: request is too large`', () => {
  checkObjectSize('/registry/configmaps/default/x', new Uint8Array(MAX_OBJECT_BYTES - 1024));
  assert.throws(() => checkObjectSize('/registry/configmaps/default/x', new Uint8Array(MAX_OBJECT_BYTES)), (err) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 413);
    assert.equal(err.reason, 'RequestEntityTooLarge');
    assert.equal(err.message, 'etcdserver: request is too large');
    return true;
  });
});

test('long-running: watch and proxy verbs, attach/exec/proxy/log/portforward subresources (upstream\'s check)', () => {
  assert.equal(isLongRunning({ verb: 'watch', subresource: '' }), true);
  assert.equal(isLongRunning({ verb: 'get', subresource: 'log' }), true);
  assert.equal(isLongRunning({ verb: 'connect', subresource: 'exec' }), true);
  assert.equal(isLongRunning({ verb: 'get', subresource: 'proxy/healthz' }), true);
  assert.equal(isLongRunning({ verb: 'get', subresource: 'portforward' }), true);
  assert.equal(isLongRunning({ verb: 'list', subresource: '' }), false);
  assert.equal(isLongRunning({ verb: 'update', subresource: 'status' }), false);
  assert.equal(isLongRunning(undefined), false);
});
