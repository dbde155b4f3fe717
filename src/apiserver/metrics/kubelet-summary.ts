/**
 * The API server's scraper of kubelet summaries (metrics-server's role, built in): `GET /stats/summary` on a
 * node's kubelet (the address and port pods/log uses, the kubelet client token), each answer kept for
 * `ttlMs` (metrics-server scrapes every 15 s; 10 s here) so `kubectl top` in a loop does not hammer the
 * kubelets. The time between the two latest scrapes of a node is the metrics' window.
 */
import https from 'node:https';
import type { Node } from '../../api/index.ts';
import { kubeletTarget } from '../kubelet-proxy.ts';

/** The part of the kubelet's statsapi Summary the metrics API reads. */
export interface KubeletSummary {
  node: { nodeName: string; cpu?: { time: string; usageNanoCores?: number }; memory?: { time: string; workingSetBytes?: number } };
  pods: {
    podRef: { name: string; namespace: string; uid: string };
    containers: { name: string; cpu?: { time: string; usageNanoCores?: number }; memory?: { time: string; workingSetBytes?: number } }[];
  }[];
}

export interface Scrape {
  summary: KubeletSummary;
  atMs: number;
  /** Time since the scrape before, or the ttl for the first. */
  windowMs: number;
}

function fetchSummary(node: Node, token: string, timeoutMs: number): Promise<KubeletSummary> {
  const target = kubeletTarget(node);
  return new Promise((resolve, reject) => {
    const req = https.get(
      { host: target.host, port: target.port, path: '/stats/summary', headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, rejectUnauthorized: false, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`kubelet answered ${res.statusCode}`));
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as KubeletSummary);
          } catch (err) {
            reject(err as Error);
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

export class SummaryScraper {
  readonly #token: string;
  readonly #now: () => number;
  readonly #ttlMs: number;
  readonly #cache = new Map<string, Promise<Scrape | undefined>>();
  readonly #last = new Map<string, Scrape>();

  constructor(token: string, now: () => number, ttlMs = 10_000) {
    this.#token = token;
    this.#now = now;
    this.#ttlMs = ttlMs;
  }

  /** The node's summary, at most `ttlMs` old; undefined when the kubelet cannot be reached. */
  async scrape(node: Node): Promise<Scrape | undefined> {
    const name = node.metadata?.name ?? '';
    const last = this.#last.get(name);
    if (last && this.#now() - last.atMs < this.#ttlMs) return last;
    let pending = this.#cache.get(name);
    if (!pending) {
      pending = fetchSummary(node, this.#token, 5000).then(
        (summary) => {
          const atMs = this.#now();
          const prev = this.#last.get(name);
          const scrape = { summary, atMs, windowMs: prev ? atMs - prev.atMs : this.#ttlMs };
          this.#last.set(name, scrape);
          return scrape;
        },
        () => undefined,
      ).finally(() => this.#cache.delete(name));
      this.#cache.set(name, pending);
    }
    return pending;
  }
}
