/**
 * Running the node's helper binaries (crun, mount, ip, CNI plugins): one small promise wrapper around spawn
 * that collects output, feeds stdin and reports failures with the command's own stderr. `Exec` is its shape;
 * the oci runtime passes a faster implementation (a pool of helper shells, oci/spawner.ts) with the same
 * contract.
 */
import { spawn } from 'node:child_process';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** Resolve with the non-zero code instead of throwing. */
  allowFailure?: boolean;
}

export class CommandError extends Error {
  readonly code: number;
  readonly stderr: string;

  constructor(cmd: string, args: string[], result: ExecResult) {
    const detail = (result.stderr || result.stdout).trim();
    super(`${[cmd, ...args].join(' ')}: exit ${result.code}${detail ? `: ${detail}` : ''}`);
    this.name = 'CommandError';
    this.code = result.code;
    this.stderr = result.stderr;
  }
}

/** Runs a command to completion; throws CommandError on a non-zero exit unless `allowFailure`. */
export type Exec = (cmd: string, args: string[], options?: ExecOptions) => Promise<ExecResult>;

export function execFile(cmd: string, args: string[], options: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
    child.on('close', (code, signal) => {
      const result = {
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      };
      if (result.code !== 0 && !options.allowFailure) reject(new CommandError(cmd, args, result));
      else resolve(result);
    });
  });
}
