/**
 * `kubeling why [--data-dir DIR] [--kubeconfig FILE] [-n NS] [--timeline] KIND/NAME` (pod, deployment, statefulset,
 * daemonset, replicaset, job, cronjob, service or node, by any of kubectl's names for it):
 * finds the server as `kubeling kubectl` does (an exported KUBECONFIG, else `--kubeconfig`, else
 * DIR/kubeconfig.yaml) and prints cli/why's answer. Usage errors exit 2; an object that is not there
 * prints kubectl's NotFound line and exits 1.
 */
import { existsSync } from 'node:fs';
import { Client, ApiError } from '../client/index.ts';
import { parseTarget, why, WHY_KINDS, WhyUsageError } from '../cli/why/why.ts';
import { chooseKubeconfig } from './kubectl.ts';

/** The kinds are spelled out (`pod/NAME|deployment/NAME|...`) so that `kubeling completion` completes them. */
export const WHY_USAGE = `kubeling why [--data-dir DIR] [--kubeconfig FILE] [-n NAMESPACE] [--timeline] ${WHY_KINDS.map((k) => `${k}/NAME`).join('|')}`;

interface WhyFlags {
  dataDir: string;
  kubeconfig?: string;
  namespace?: string;
  timeline: boolean;
  words: string[];
}

/** The flags, or a one-line error. */
export function parseWhyFlags(argv: readonly string[]): WhyFlags | string {
  const flags: WhyFlags = { dataDir: './.kubeling', timeline: false, words: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const [flag, inline] = arg.startsWith('-') && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value`);
      return v;
    };
    try {
      if (flag === '--data-dir') flags.dataDir = value();
      else if (flag === '--kubeconfig') flags.kubeconfig = value();
      else if (flag === '-n' || flag === '--namespace') flags.namespace = value();
      else if (flag === '--timeline') flags.timeline = true;
      else if (arg.startsWith('-')) return `unknown flag ${arg}`;
      else flags.words.push(arg);
    } catch (err) {
      return (err as Error).message;
    }
  }
  return flags;
}

export async function runWhy(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`usage: ${WHY_USAGE}\n`);
    return 0;
  }
  const flags = parseWhyFlags(argv);
  const target = typeof flags === 'string' ? flags : parseTarget(flags.words);
  if (typeof flags === 'string' || typeof target === 'string') {
    process.stderr.write(`kubeling why: ${typeof flags === 'string' ? flags : target} (usage: ${WHY_USAGE})\n`);
    return 2;
  }
  const args = flags.kubeconfig ? ['--kubeconfig', flags.kubeconfig] : [];
  const file = chooseKubeconfig(flags.dataDir, args, process.env) ?? flags.kubeconfig!;
  if (!existsSync(file)) {
    process.stderr.write(`kubeling why: no kubeconfig at ${file} (start \`kubeling server --data-dir ${flags.dataDir}\` first, or set KUBECONFIG)\n`);
    return 1;
  }
  let client: Client;
  try {
    client = await Client.fromKubeconfig(file, { userAgent: 'kubeling-why' });
  } catch (err) {
    process.stderr.write(`kubeling why: ${(err as Error).message}\n`);
    return 1;
  }
  try {
    const lines = await why(client, { ...target, namespace: flags.namespace ?? client.defaultNamespace, timeline: flags.timeline });
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } catch (err) {
    if (err instanceof WhyUsageError) {
      process.stderr.write(`kubeling why: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ApiError) {
      process.stderr.write(`Error from server (${err.reason}): ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`kubeling why: ${(err as Error).message}\n`);
    return 1;
  } finally {
    client.close();
  }
}
