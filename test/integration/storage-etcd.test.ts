/**
 * The Store conformance suite against a real etcd (Debian's etcd-server), started here on free loopback ports
 * in a temp dir and stopped by PID afterwards. Each store gets its own key namespace on the one server.
 */
import { after, before, test } from 'node:test';
import { Deferred } from '../../src/machinery/index.ts';
import { EtcdStore } from '../../src/storage/etcd/index.ts';
import { runStoreConformance } from '../../src/storage/store.conformance.ts';
import { startEtcd, type EtcdHandle } from '../fixtures/etcd.ts';
import { missingEtcd } from '../prerequisites.ts';

const why = missingEtcd();
if (why) {
  test('etcd store conformance', (t) => t.skip(why));
} else {
  const endpoint = new Deferred<string>();
  let etcd: EtcdHandle | undefined;
  let n = 0;

  // A failed start fails every test with its reason (node:test would only cancel them).
  before(() =>
    startEtcd().then(
      (started) => {
        etcd = started;
        endpoint.resolve(started.url);
      },
      (err) => endpoint.reject(err),
    ),
  );

  after(() => etcd?.stop());

  runStoreConformance(
    'etcd',
    async () => new EtcdStore({ endpoints: [await endpoint.promise], prefix: `/kubeling-test-${process.pid}-${n++}` }),
  );
}
