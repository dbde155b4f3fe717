/**
 * Runs `kubeling why ARGS... --data-dir DIR` as a user would (the binary, no KUBECONFIG in the environment,
 * so it finds the server through its data dir) and hands back its exit code and output.
 */
import { execFile } from 'node:child_process';
import { KUBELING_BIN, type ServerHandle } from './server.ts';

export interface WhyResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The answer: the first line of stdout. */
  sentence: string;
}

export function kubelingWhy(server: ServerHandle, args: string[]): Promise<WhyResult> {
  const env = { ...process.env };
  delete env.KUBECONFIG;
  return new Promise((done) => {
    execFile(process.execPath, [KUBELING_BIN, 'why', '--data-dir', server.dataDir, ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      done({ code, stdout, stderr, sentence: stdout.split('\n')[0] ?? '' });
    });
  });
}
