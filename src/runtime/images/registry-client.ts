/**
 * A client of the OCI distribution API (registry v2) for pulls: manifests and blobs of one repository, with
 * the auth dance registries use: a 401 carries `WWW-Authenticate: Bearer realm=…,service=…,scope=…` and the
 * client fetches a token from the realm (with basic credentials when it has them) and retries; a `Basic`
 * challenge gets the credentials directly. Plain HTTP for loopback registries, HTTPS for every other; an https
 * endpoint with `registries.yaml` TLS settings (`tls`) is reached with them (registry-transport.ts), its
 * token realm and redirects too.
 *
 * Errors are `RegistryError`s carrying the registry's own error code (`MANIFEST_UNKNOWN`, `UNAUTHORIZED`…)
 * and message, which the pull turns into the kubelet-facing text.
 */
import { Readable } from 'node:stream';
import type { AuthConfig } from '../runtime.ts';
import { registryEndpoint } from './reference.ts';
import type { RegistryTLS } from './registries.ts';
import { agentTransport, defaultTransport, loadTlsAgent, networkErrorText, type Transport } from './registry-transport.ts';

export class RegistryError extends Error {
  readonly status: number;
  /**
   * The registry's error code (`MANIFEST_UNKNOWN`, `NAME_UNKNOWN`, `UNAUTHORIZED`, `DENIED`…), ours
   * `UNREACHABLE` when no HTTP answer came (DNS, refused, TLS), or ''.
   */
  readonly registryCode: string;

  constructor(status: number, registryCode: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RegistryError';
    this.status = status;
    this.registryCode = registryCode;
  }
}

export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** Parses `Bearer realm="…",service="…",scope="…"` (quoted values may hold commas). */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const m = /^\s*(\S+)\s*(.*)$/.exec(header);
  const scheme = (m?.[1] ?? '').toLowerCase();
  const params: Record<string, string> = {};
  const re = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/g;
  for (const p of (m?.[2] ?? '').matchAll(re)) params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
  return { scheme, params };
}

function basicCredentials(auth?: AuthConfig): string | undefined {
  if (!auth) return undefined;
  if (auth.username !== undefined && auth.username !== '') return Buffer.from(`${auth.username}:${auth.password ?? ''}`).toString('base64');
  if (auth.auth) return auth.auth;
  return undefined;
}

export interface RegistryClientOptions {
  domain: string;
  repository: string;
  auth?: AuthConfig;
  signal?: AbortSignal;
  /** A blob download that receives nothing for this long fails (default 60000). */
  progressDeadlineMs?: number;
  /** Overrides the endpoint (scheme://host): a mirror. */
  endpoint?: string;
  /** TLS settings for an https endpoint (CA, client certificate, skip verification). */
  tls?: RegistryTLS;
}

export class RegistryClient {
  readonly endpoint: string;
  readonly repository: string;
  #auth?: AuthConfig;
  #signal?: AbortSignal;
  #progressDeadlineMs: number;
  /** The Authorization header that worked last; reused for the next requests of this pull. */
  #authorization?: string;
  #tls?: RegistryTLS;
  #transport?: Promise<Transport>;

  constructor(options: RegistryClientOptions) {
    this.endpoint = options.endpoint ?? registryEndpoint(options.domain);
    this.repository = options.repository;
    this.#auth = options.auth;
    this.#signal = options.signal;
    this.#progressDeadlineMs = options.progressDeadlineMs ?? 60_000;
    if (options.tls && this.endpoint.startsWith('https:')) this.#tls = options.tls;
    if (options.auth?.registryToken) this.#authorization = `Bearer ${options.auth.registryToken}`;
  }

  /** Fetches a manifest (by tag or digest); returns its bytes and media type. */
  async manifest(reference: string): Promise<{ data: Buffer; mediaType: string; digest?: string }> {
    const res = await this.#request(`/v2/${this.repository}/manifests/${reference}`, { accept: MANIFEST_ACCEPT });
    const len = Number(res.headers.get('content-length') ?? 0);
    if (len > 4 << 20) throw new RegistryError(res.status, '', `manifest too large (${len} bytes)`);
    const data = Buffer.from(await res.arrayBuffer());
    if (data.length > 4 << 20) throw new RegistryError(res.status, '', `manifest too large (${data.length} bytes)`);
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    return { data, mediaType, digest: res.headers.get('docker-content-digest') ?? undefined };
  }

  /** Opens a blob for reading (redirects to storage are followed). */
  async blob(digest: string): Promise<{ stream: Readable; size: number }> {
    const res = await this.#request(`/v2/${this.repository}/blobs/${digest}`, {});
    if (!res.body) throw new RegistryError(res.status, '', `blob ${digest}: empty response`);
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
    return { stream: this.#watchProgress(body), size: Number(res.headers.get('content-length') ?? 0) };
  }

  /**
   * Fails a download that sends nothing for `progressDeadlineMs` (a stalled registry would otherwise hold
   * the pull, and every pod waiting on it, forever): the kubelet's image-pull-progress-deadline.
   */
  #watchProgress(body: Readable): Readable {
    const ms = this.#progressDeadlineMs;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const secs = ms / 1000;
        body.destroy(new RegistryError(0, '', `cancel pulling image because of no progress in ${secs >= 60 ? `${Math.floor(secs / 60)}m${secs % 60}s` : `${secs}s`}`));
      }, ms);
      timer.unref();
    };
    arm();
    body.on('data', arm);
    body.once('close', () => clearTimeout(timer));
    return body;
  }

  async #request(path: string, headers: Record<string, string>): Promise<Response> {
    const url = `${this.endpoint}${path}`;
    let res = await this.#fetch(url, headers);
    if (res.status === 401) {
      const challenge = parseChallenge(res.headers.get('www-authenticate') ?? '');
      const body = await res.text().catch(() => '');
      const authorization = await this.#authorize(challenge);
      if (authorization === undefined) throw errorFrom(res.status, res.statusText, body);
      this.#authorization = authorization;
      res = await this.#fetch(url, headers);
    }
    if (!res.ok) throw errorFrom(res.status, res.statusText, await res.text().catch(() => ''));
    return res;
  }

  /** The HTTP client for this endpoint: its TLS settings' (files read once), else the global fetch. */
  #send(url: string | URL, init: { headers: Record<string, string>; signal?: AbortSignal }): Promise<Response> {
    if (!this.#tls) return defaultTransport(url, init);
    this.#transport ??= loadTlsAgent(this.#tls).then(agentTransport);
    return this.#transport.then(
      (send) => send(url, init),
      (err: Error) => {
        throw new RegistryError(0, 'UNREACHABLE', err.message, { cause: err });
      },
    );
  }

  async #fetch(url: string, headers: Record<string, string>): Promise<Response> {
    try {
      return await this.#send(url, {
        headers: { ...headers, ...(this.#authorization ? { authorization: this.#authorization } : {}), 'user-agent': 'kubeling' },
        signal: this.#signal,
      });
    } catch (err) {
      if ((err as Error).name === 'AbortError' || err instanceof RegistryError) throw err;
      throw new RegistryError(0, 'UNREACHABLE', `failed to do request: ${url}: ${networkErrorText(err)}`, { cause: err });
    }
  }

  /** The Authorization header a challenge asks for, or undefined if there is nothing to try. */
  async #authorize(challenge: { scheme: string; params: Record<string, string> }): Promise<string | undefined> {
    const basic = basicCredentials(this.#auth);
    if (challenge.scheme === 'basic') {
      return basic && this.#authorization !== `Basic ${basic}` ? `Basic ${basic}` : undefined;
    }
    if (challenge.scheme !== 'bearer' || !challenge.params.realm) return undefined;
    const realm = new URL(challenge.params.realm);
    if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
    realm.searchParams.set('scope', challenge.params.scope || `repository:${this.repository}:pull`);
    let res: Response;
    try {
      res = await this.#send(realm, {
        headers: { ...(basic ? { authorization: `Basic ${basic}` } : {}), 'user-agent': 'kubeling' },
        signal: this.#signal,
      });
    } catch (err) {
      if ((err as Error).name === 'AbortError' || err instanceof RegistryError) throw err;
      throw new RegistryError(0, 'UNREACHABLE', `failed to fetch anonymous token: ${realm.origin}${realm.pathname}: ${networkErrorText(err)}`, { cause: err });
    }
    if (!res.ok) {
      const text = (await res.text().catch(() => '')).slice(0, 300);
      const what = basic ? 'failed to fetch oauth token' : 'failed to fetch anonymous token';
      throw new RegistryError(res.status, 'UNAUTHORIZED', `${what}: unexpected status from GET request to ${realm.origin}${realm.pathname}: ${res.status} ${res.statusText}${text ? `: ${text.trim()}` : ''}`);
    }
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(res.status, 'UNAUTHORIZED', `token response from ${realm.origin}${realm.pathname} has no token`);
    return `Bearer ${token}`;
  }
}

function errorFrom(status: number, statusText: string, text: string): RegistryError {
  try {
    const body = JSON.parse(text) as { errors?: { code?: string; message?: string; detail?: unknown }[] };
    const first = body.errors?.[0];
    if (first?.code) return new RegistryError(status, first.code, first.message ?? first.code.toLowerCase().replace(/_/g, ' '));
  } catch {
    // Not a registry error document.
  }
  const codes: Record<number, string> = { 401: 'UNAUTHORIZED', 403: 'DENIED', 404: 'NOT_FOUND', 429: 'TOOMANYREQUESTS' };
  return new RegistryError(status, codes[status] ?? '', `unexpected status ${status} ${statusText}`.trim());
}
