/**
 * `kubeling kubectl [--data-dir DIR] ARGS...`, as `k3s kubectl`: runs the project's own kubectl 1.32
 * (kubectl-binary.ts) against the server whose data dir is DIR (default `./.kubeling`), through the admin
 * kubeconfig the server writes there. A KUBECONFIG set in the environment, or a `--kubeconfig` among the
 * args, wins, as in k3s. Without any kubeconfig only commands that need no server run (help, completion,
 * `version --client`); the rest fail with one line.
 *
 * The child shares this process's stdin, stdout, stderr, terminal and process group; the signals a caller
 * sends here (SIGTERM, SIGINT, SIGHUP, SIGQUIT) are passed on, and kubectl's exit code is ours (128 + the
 * signal number when a signal ended it, as shells report it). On a terminal, SIGINT is not passed on: Ctrl-C
 * already reaches the whole foreground process group, kubectl included, and a second one would cut its
 * clean-up short.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { join, resolve } from 'node:path';
import { kubectlPath } from './kubectl-binary.ts';

const FORWARDED = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT'] as const;

/** kubectl commands that never reach a server (they run without a kubeconfig): help, completion, `--client`. */
export function clientOnly(args: string[]): boolean {
  const first = args.find((a) => !a.startsWith('-'));
  if (args.length === 0 || args.includes('--help') || args.includes('-h')) return true;
  if (first === 'help' || first === 'completion' || first === 'options' || first === 'plugin') return true;
  return first === 'version' && args.some((a) => a === '--client' || a === '--client=true');
}

/** The kubeconfig kubectl gets: the caller's own, or `DIR/kubeconfig.yaml`; undefined when the args name one. */
export function chooseKubeconfig(dataDir: string, args: string[], env: NodeJS.ProcessEnv): string | undefined {
  if (env.KUBECONFIG) return env.KUBECONFIG;
  if (args.some((a) => a === '--kubeconfig' || a.startsWith('--kubeconfig='))) return undefined;
  return join(resolve(dataDir), 'kubeconfig.yaml');
}

export async function runKubectl(argv: string[]): Promise<number> {
  let dataDir = './.kubeling';
  let args = argv;
  // Only a leading --data-dir is ours; anything after it belongs to kubectl.
  if (args[0] === '--data-dir' || args[0]?.startsWith('--data-dir=')) {
    const value = args[0].includes('=') ? args[0].slice(args[0].indexOf('=') + 1) : args[1];
    if (!value) {
      process.stderr.write('kubeling kubectl: --data-dir needs a value\n');
      return 2;
    }
    dataDir = value;
    args = args.slice(args[0].includes('=') ? 1 : 2);
  }
  const kubeconfig = chooseKubeconfig(dataDir, args, process.env);
  const env = { ...process.env };
  if (kubeconfig !== undefined && !process.env.KUBECONFIG) {
    if (!existsSync(kubeconfig) && !clientOnly(args)) {
      process.stderr.write(
        `kubeling kubectl: no kubeconfig at ${kubeconfig} (start \`kubeling server --data-dir ${dataDir}\` first, or set KUBECONFIG)\n`,
      );
      return 1;
    }
    if (existsSync(kubeconfig)) env.KUBECONFIG = kubeconfig;
  }
  const bin = await kubectlPath();
  const child = spawn(bin, args, { stdio: 'inherit', env });
  const forward = (signal: NodeJS.Signals) => {
    if (signal === 'SIGINT' && process.stdin.isTTY) return;
    child.kill(signal);
  };
  for (const s of FORWARDED) process.on(s, forward);
  try {
    return await new Promise<number>((done, fail) => {
      child.once('error', fail);
      child.once('exit', (code, signal) => done(code ?? 128 + (signal ? constants.signals[signal] : 0)));
    });
  } finally {
    for (const s of FORWARDED) process.off(s, forward);
  }
}
