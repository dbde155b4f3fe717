/**
 * The one place the proxy touches the kernel: `nft -f -` with a generated transaction (nftables-rules.ts),
 * `nft -t list table` to learn what an earlier process left in the node's table, and `delete table` when the
 * node goes for good. How a command runs is injected (`NftExec`): `cmd` passes the node's helper shells (the
 * runtime's Spawner, no fork of the node process per sync); the default here is a plain child process.
 *
 * It remembers the rule set it applied last: a later one is applied as a partial transaction (only what
 * differs) unless a full one is asked for. A full transaction also deletes chains and sets no longer wanted;
 * after a failed transaction (which the kernel rolls back entirely) or at start it does not know what the
 * table holds, and reads it back first.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { transaction, deleteTable, partialTransaction, type RuleSet, type TableContent } from './nftables-rules.ts';

/** Runs `nft args` with `input` on stdin; rejects (with nft's stderr in the message) on a non-zero exit. */
export type NftExec = (args: string[], input?: string) => Promise<{ stdout: string }>;

export class NftError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NftError';
  }
}

/** `nft` as a child process of this one. */
export const spawnNft: NftExec = (args, input) =>
  new Promise((resolve, reject) => {
    const child = spawn('nft', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => reject(new NftError(`nft: ${err.message}`, { cause: err })));
    child.on('close', (code) => {
      if (code === 0) resolve({ stdout });
      else reject(new NftError(`nft ${args.join(' ')}: exit ${code}: ${stderr.trim()}`));
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });

/** Chains and sets named in `nft -t list table` output. */
export function parseTableContent(listing: string): TableContent {
  const chains = new Set<string>();
  const sets = new Set<string>();
  for (const line of listing.split('\n')) {
    const m = /^\s*(chain|set|map)\s+(\S+)\s*\{/.exec(line);
    if (!m) continue;
    if (m[1] === 'chain') chains.add(m[2]!);
    else if (m[1] === 'set') sets.add(m[2]!);
  }
  return { chains, sets };
}

export class NftablesApplier {
  readonly table: string;
  readonly #exec: NftExec;
  /** What the table holds after our last successful transaction; undefined = unknown, read it back. */
  #content: TableContent | undefined;
  /** The rule set of that transaction. */
  #last: RuleSet | undefined;

  constructor(options: { table: string; exec?: NftExec }) {
    this.table = options.table;
    this.#exec = options.exec ?? spawnNft;
  }

  /** What the kernel's table holds now (undefined when there is no such table). */
  async read(): Promise<TableContent | undefined> {
    try {
      const { stdout } = await this.#exec(['-t', 'list', 'table', 'ip', this.table]);
      return parseTableContent(stdout);
    } catch (err) {
      if (err instanceof Error && /No such file or directory/.test(err.message)) return undefined;
      throw err;
    }
  }

  /**
   * Makes the table hold exactly `rules`, in one atomic transaction: the whole table when `full` or when the
   * previous state is unknown, else only the difference from the last rule set (no nft call when none).
   * Returns which it did.
   */
  async apply(rules: RuleSet, options: { full?: boolean } = {}): Promise<'full' | 'partial' | 'unchanged'> {
    const last = this.#last;
    if (!options.full && last && this.#content) {
      const text = partialTransaction(last, rules);
      if (text === '') return 'unchanged';
      this.#forget();
      await this.#exec(['-f', '-'], text);
      this.#remember(rules);
      return 'partial';
    }
    const current = this.#content ?? (await this.read());
    this.#forget();
    await this.#exec(['-f', '-'], transaction(rules, current));
    this.#remember(rules);
    return 'full';
  }

  #forget(): void {
    this.#content = undefined;
    this.#last = undefined;
  }

  #remember(rules: RuleSet): void {
    this.#content = { chains: new Set(rules.chains), sets: new Set(rules.sets) };
    this.#last = rules;
  }

  /** Deletes the table; true if there was one. */
  async remove(): Promise<boolean> {
    this.#forget();
    if ((await this.read()) === undefined) return false;
    await this.#exec(['-f', '-'], deleteTable(this.table));
    return true;
  }
}

/**
 * Why replies between pods on one bridge would miss the Service's reverse NAT, or undefined when they do
 * not: bridged IPv4 traffic must pass the netfilter hooks (br_netfilter, `net.bridge.bridge-nf-call-iptables=1`).
 */
export async function bridgeNetfilterProblem(): Promise<string | undefined> {
  let value: string;
  try {
    value = (await readFile('/proc/sys/net/bridge/bridge-nf-call-iptables', 'utf8')).trim();
  } catch {
    return 'the br_netfilter module is not loaded (modprobe br_netfilter; scripts/setup-host.sh does it)';
  }
  if (value !== '1') return 'net.bridge.bridge-nf-call-iptables is 0 (sysctl -w net.bridge.bridge-nf-call-iptables=1; scripts/setup-host.sh sets it)';
  return undefined;
}
