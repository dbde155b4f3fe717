import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { commandsFromUsage, runCompletion } from './completion.ts';
import { WHY_USAGE } from './why.ts';

const USAGE = `usage: kubeling COMMAND [FLAGS]

commands:
  kubeling server [--data-dir DIR] [--listen HOST:PORT] [--runtime oci|fake]
      [--no-agent] [--token TOKEN|--token-file FILE]
      the control plane and (unless --no-agent) a local node
  kubeling image import ARCHIVE [--tag REF] | pull REF [--creds USER:PASSWORD] | ls [-q] [--digests] | rm REF...
      [--data-dir DIR]
      manages the node's image store
  kubeling why [--data-dir DIR] [-n NAMESPACE] [--timeline] pod/NAME|deployment/NAME|node/NAME
      answers why
  kubeling completion bash|zsh
      prints a shell completion script
  kubeling --help
`;

test('commandsFromUsage: each command with its flags and words', () => {
  const got = commandsFromUsage(USAGE);
  assert.deepEqual([...got.keys()], ['server', 'image', 'why', 'completion']);
  assert.deepEqual(got.get('server'), { flags: ['--data-dir', '--listen', '--no-agent', '--runtime', '--token', '--token-file'], words: [] });
  assert.deepEqual(got.get('image'), { flags: ['--creds', '--data-dir', '--digests', '--tag', '-q'], words: ['import', 'pull', 'ls', 'rm'] });
  assert.deepEqual(got.get('why'), { flags: ['--data-dir', '--timeline', '-n'], words: ['pod/', 'deployment/', 'node/'] });
  assert.deepEqual(got.get('completion'), { flags: [], words: ['bash', 'zsh'] });
});

test("why's real usage completes every kind it explains", () => {
  const got = commandsFromUsage(`usage:\n  ${WHY_USAGE}\n      answers why\n`);
  assert.deepEqual(got.get('why')?.words, ['pod/', 'deployment/', 'statefulset/', 'daemonset/', 'replicaset/', 'job/', 'cronjob/', 'service/', 'node/']);
});

/** The bash script's answer for a command line (COMP_WORDS up to the cursor word). */
function complete(script: string, words: string[]): string {
  const body = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _kubeling; echo "\${COMPREPLY[*]}"`;
  return execFileSync('bash', ['-c', body], { encoding: 'utf8' }).trim();
}

test('the bash script completes commands, flags and words', (t) => {
  let script = '';
  const write = t.mock.method(process.stdout, 'write', (s: string) => ((script += s), true));
  assert.equal(runCompletion(['bash'], USAGE), 0);
  write.mock.restore();
  assert.equal(complete(script, ['kubeling', 'w']), 'why');
  assert.equal(complete(script, ['kubeling', 'server', '--to']), '--token --token-file');
  assert.equal(complete(script, ['kubeling', 'why', '--t']), '--timeline');
  assert.equal(complete(script, ['kubeling', 'why', 'de']), 'deployment/');
  assert.equal(complete(script, ['kubeling', 'image', 'p']), 'pull');
});

test('an unknown shell is a usage error', (t) => {
  const err = t.mock.method(process.stderr, 'write', () => true);
  assert.equal(runCompletion(['fish'], USAGE), 2);
  assert.match(String(err.mock.calls[0]?.arguments[0]), /^kubeling completion: want bash or zsh/);
});
