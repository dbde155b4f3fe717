/**
 * The `ready` lines mean the node is usable: right after `kubeling server` prints `ready` (real containers, so
 * the node's health is the oci runtime's and PLEG's), and right after `kubeling agent` prints its own,
 * `kubectl wait --for=condition=Ready node` succeeds at once and `kubectl get nodes` says Ready.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, waitForOutput } from './helpers/server.ts';
import { startAgent } from './helpers/agent.ts';

test('at the server ready line its own node is Ready in the API', async (t) => {
  const server = await startServer({ runtime: 'oci' });
  t.after(() => server.stop());
  const wait = await server.kubectl(['wait', '--for=condition=Ready', 'node', '--all', '--timeout=1s']);
  assert.equal(wait.code, 0, wait.stderr);
  assert.match(wait.stdout, /condition met/);
  const nodes = await server.kubectl(['get', 'nodes', '--no-headers']);
  assert.equal(nodes.code, 0, nodes.stderr);
  assert.match(nodes.stdout, /^\S+\s+Ready\s+control-plane\s/);
});

test('at the agent ready line its node is Ready in the API', async (t) => {
  const server = await startServer({ noAgent: true });
  t.after(() => server.stop());
  const token = readFileSync(join(server.dataDir, 'node-token'), 'utf8').trim();
  const agent = startAgent(server, { runtime: 'fake', args: ['--token', token, '--node-name', 'ready-agent'], label: 'ready' });
  t.after(() => agent.stop());
  await waitForOutput(agent.process.stdout!, /^ready node=ready-agent /m, 60_000);
  const wait = await server.kubectl(['wait', '--for=condition=Ready', 'node/ready-agent', '--timeout=1s']);
  assert.equal(wait.code, 0, wait.stderr);
  const nodes = await server.kubectl(['get', 'node', 'ready-agent', '--no-headers']);
  assert.match(nodes.stdout, /^ready-agent\s+Ready\s/);
});
