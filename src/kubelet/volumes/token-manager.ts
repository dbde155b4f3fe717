/**
 * Bound service account tokens for projected `serviceAccountToken` volume sources (upstream
 * pkg/kubelet/token): the kubelet asks the API server's TokenRequest API for a token of the pod's service
 * account, bound to the pod (boundObjectRef Pod name + uid) with the source's audience and expirationSeconds,
 * and caches it per (namespace, account, audience, expiration, pod uid). The volume manager's periodic
 * refresh asks again every few seconds; the cached token is handed back until 80% of its lifetime has passed
 * (or 24 hours, upstream's maxTTL), minus up to 10 s of jitter so many pods do not renew at once. When a
 * renewal fails, a token that has not expired yet is kept.
 *
 *   request at iat ──── served from cache ────▶ iat + 0.8·ttl − jitter: request again ──▶ … exp
 */
import { realClock, type Clock } from '../../machinery/index.ts';

export interface BoundTokenRequest {
  namespace: string;
  serviceAccountName: string;
  /** The projection's audience; none means the API server's own (its issuer). */
  audience?: string;
  expirationSeconds: number;
  pod: { name: string; uid: string };
}

/** What the API server answered: the token, when it expires, and the lifetime it granted. */
export interface IssuedToken {
  token: string;
  expirationTimestamp: string;
  expirationSeconds: number;
}

/** POSTs a TokenRequest (serviceaccounts/NAME/token); the kubelet adapts its client to this. */
export type TokenRequester = (request: BoundTokenRequest) => Promise<IssuedToken>;

export interface TokenManagerConfig {
  request: TokenRequester;
  clock?: Clock;
  /** Random source for the jitter (tests pin it). */
  random?: () => number;
}

const MAX_TTL_MS = 24 * 60 * 60 * 1000;
const MAX_JITTER_MS = 10_000;

interface Cached {
  issued: IssuedToken;
  podUid: string;
}

export class ServiceAccountTokenManager {
  readonly #request: TokenRequester;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #cache = new Map<string, Cached>();

  constructor(config: TokenManagerConfig) {
    if (!config.request) throw new Error('ServiceAccountTokenManager needs a token requester');
    this.#request = config.request;
    this.#clock = config.clock ?? realClock;
    this.#random = config.random ?? Math.random;
  }

  /** A token for the request: the cached one while it is fresh enough, else a new one from the API server. */
  async getToken(r: BoundTokenRequest): Promise<string> {
    const key = JSON.stringify([r.namespace, r.serviceAccountName, r.audience ?? '', r.expirationSeconds, r.pod.uid]);
    const cached = this.#cache.get(key);
    if (cached && !this.#requiresRefresh(cached.issued)) return cached.issued.token;
    try {
      const issued = await this.#request(r);
      this.#cache.set(key, { issued, podUid: r.pod.uid });
      return issued.token;
    } catch (err) {
      if (cached && !this.#expired(cached.issued)) return cached.issued.token;
      throw new Error(`failed to fetch token: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  /** Forgets the pod's tokens (its volumes are gone). */
  deletePodTokens(podUid: string): void {
    for (const [key, c] of this.#cache) if (c.podUid === podUid) this.#cache.delete(key);
  }

  /** Number of cached tokens (tests, metrics). */
  get size(): number {
    return this.#cache.size;
  }

  #expired(t: IssuedToken): boolean {
    return this.#clock.now() >= Date.parse(t.expirationTimestamp);
  }

  #requiresRefresh(t: IssuedToken): boolean {
    const now = this.#clock.now();
    const exp = Date.parse(t.expirationTimestamp);
    const iat = exp - t.expirationSeconds * 1000;
    const jitter = Math.floor(this.#random() * (MAX_JITTER_MS / 1000)) * 1000;
    if (now > iat + MAX_TTL_MS - jitter) return true;
    // Within the last 20% of the lifetime (plus jitter): renew.
    return now > exp - (t.expirationSeconds * 1000 * 20) / 100 - jitter;
  }
}
