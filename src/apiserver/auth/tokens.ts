/**
 * Bearer-token authentication. The server keeps its secrets as files in the data dir, made on first start
 * with 32 random bytes: the admin token (in the kubeconfig it writes), the node token (agents join with it)
 * and the kubelet client token (the API server presents it to kubelets). A request without a known token is
 * 401 Unauthorized; every known identity may do everything (authorization is not modelled yet).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';

export interface User {
  name: string;
  groups: string[];
  /** A service account's uid (upstream's user.Info UID). */
  uid?: string;
  /** Upstream's extra keys, e.g. `authentication.kubernetes.io/pod-name`. */
  extra?: Record<string, string[]>;
}

/** Reads the token in `file`, or makes one and writes it (mode 0600). */
export async function ensureToken(file: string): Promise<string> {
  if (existsSync(file)) {
    const t = (await readFile(file, 'utf8')).trim();
    if (t) return t;
  }
  const token = randomBytes(32).toString('hex');
  await writeFile(file, token + '\n', { mode: 0o600 });
  return token;
}

export class TokenAuthenticator {
  readonly #tokens = new Map<string, User>();

  add(token: string, user: User): void {
    this.#tokens.set(token, user);
  }

  /** The user an `Authorization` header names, or undefined. */
  authenticate(authorization: string | undefined): User | undefined {
    if (!authorization) return undefined;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!m) return undefined;
    const given = Buffer.from(m[1]!);
    for (const [token, user] of this.#tokens) {
      const want = Buffer.from(token);
      if (want.length === given.length && timingSafeEqual(want, given)) return user;
    }
    return undefined;
  }
}
