import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataDirOf } from './killall.ts';

test('dataDirOf: the data dir of a kubeling server or agent from its command line and cwd', () => {
  assert.equal(dataDirOf(['/x/node', '/repo/src/cmd/kubeling.ts', 'server'], '/home/u'), '/home/u/.kubeling');
  assert.equal(dataDirOf(['node', '/repo/bin/kubeling', 'agent', '--server', 'u'], '/home/u'), '/home/u/.kubeling-agent');
  assert.equal(dataDirOf(['node', 'src/cmd/kubeling.ts', 'server', '--data-dir', 'd'], '/w'), '/w/d');
  assert.equal(dataDirOf(['node', 'kubeling', 'server', '--data-dir=/abs'], '/w'), '/abs');
  assert.equal(dataDirOf(['node', 'src/cmd/kubeling.ts', 'why', 'pod/x'], '/w'), undefined);
  assert.equal(dataDirOf(['bash', '-c', 'sleep 1'], '/w'), undefined);
});
