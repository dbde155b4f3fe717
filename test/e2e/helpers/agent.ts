/**
 * `kubeling agent` as a child process for e2e tests: joined to a test server, stderr kept for failure
 * messages, stopped with SIGTERM (SIGKILL after a grace period), and its data dir (with the oci runtime's
 * state tmpfs, if one is still mounted) removed unless the test keeps it for a restart. An oci agent gets the
 * server's `--service-cidr` (server.ts picks one per test server) unless `args` names one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { unmountUnder } from '../../../src/runtime/oci/mounts.ts';
import { inNetns, KUBELING_BIN, type ServerHandle } from './server.ts';
import { recordForbiddenLines } from './forbidden-log.ts';

const ROOT = resolve(import.meta.dirname, '../../..');

export interface AgentHandle {
  process: ChildProcess;
  dataDir: string;
  stderr(): string;
  /** Stops the agent (idempotent) and removes its data dir unless `keep`; resolves to its exit code. */
  stop(options?: { keep?: boolean }): Promise<number | null>;
}

export interface AgentOptions {
  runtime: 'fake' | 'oci';
  /** Further flags (token, node name, labels, ...). */
  args: string[];
  /** An existing data dir (a restart); default a new temp dir named after `label`. */
  dataDir?: string;
  label?: string;
  /** How long SIGTERM may take before SIGKILL (default 15 s). */
  stopTimeoutMs?: number;
  /** Run the agent inside network namespace NAME (`/run/netns/NAME`; see inNetns in server.ts). */
  netns?: string;
}

export function startAgent(server: ServerHandle, options: AgentOptions): AgentHandle {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), `kubeling-agent-${options.label ?? 'e2e'}-`));
  const named = options.args.some((a) => a === '--service-cidr' || a.startsWith('--service-cidr='));
  const serviceCidr = options.runtime === 'oci' && !named ? ['--service-cidr', server.serviceCidr] : [];
  const [cmd, args] = inNetns(options.netns, [KUBELING_BIN, 'agent', '--server', server.url, '--data-dir', dataDir, '--runtime', options.runtime, ...serviceCidr, ...options.args]);
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = once(child, 'exit') as Promise<[number | null]>;
  return {
    process: child,
    dataDir,
    stderr: () => stderr,
    async stop({ keep = false } = {}) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), options.stopTimeoutMs ?? 15_000);
      const [code] = await exited;
      clearTimeout(timer);
      recordForbiddenLines(stderr);
      if (!keep) {
        unmountUnder(dataDir);
        rmSync(dataDir, { recursive: true, force: true });
      }
      return code;
    },
  };
}
