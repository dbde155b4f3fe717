import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseServerFlags, UsageError } from './flags.ts';

test('server flags: defaults, both spellings, labels and taints', () => {
  const d = parseServerFlags([]);
  assert.equal(d.dataDir, './.kubeling');
  assert.equal(d.listenHost, '127.0.0.1');
  assert.equal(d.listenPort, 6443);
  assert.equal(d.storage, 'sqlite');
  assert.equal(d.runtime, 'oci');
  assert.equal(d.noAgent, false);
  const o = parseServerFlags(['--data-dir=/tmp/x', '--listen', '0.0.0.0:0', '--storage', 'memory', '--runtime=fake', '--no-agent',
    '--node-name', 'n1', '--node-labels', 'disktype=ssd,zone=a', '--register-with-taints', 'dedicated=gpu:NoSchedule', '--node-taint', 'x:NoExecute']);
  assert.deepEqual({ ...o, nodeName: o.nodeName }, {
    dataDir: '/tmp/x', listenHost: '0.0.0.0', listenPort: 0, storage: 'memory', runtime: 'fake', noAgent: true, nodeName: 'n1',
    nodeLabels: { disktype: 'ssd', zone: 'a' },
    nodeTaints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }, { key: 'x', effect: 'NoExecute' }],
    disabledComponents: [],
  });
  assert.deepEqual(parseServerFlags(['--disable-scheduler', '--disable-controller-manager=true']).disabledComponents, ['scheduler', 'controller-manager']);
  assert.deepEqual(parseServerFlags(['--disable-scheduler', '--disable-scheduler=false']).disabledComponents, []);
  assert.equal(parseServerFlags(['--listen', '[::1]:7443']).listenHost, '::1');
});

test('server flags: unknown flags and bad values are usage errors', () => {
  for (const argv of [['--nope'], ['--storage', 'mysql'], ['--runtime', 'docker'], ['--listen', 'localhost'], ['--listen', 'h:99999'],
    ['--node-labels', 'novalue'], ['--register-with-taints', 'k=v:Sometimes'], ['--data-dir'], ['extra'], ['--node-name', 'Bad_Name']]) {
    assert.throws(() => parseServerFlags(argv), UsageError, argv.join(' '));
  }
});

test('the binary prints one line and exits 2 on a usage error', () => {
  const bin = resolve(import.meta.dirname, 'kubeling.ts');
  const r = spawnSync(process.execPath, [bin, 'server', '--bogus'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'kubeling server: unknown flag --bogus\n');
  const u = spawnSync(process.execPath, [bin, 'frobnicate'], { encoding: 'utf8' });
  assert.equal(u.status, 2);
  assert.equal(u.stderr.split('\n').length, 2);
});
