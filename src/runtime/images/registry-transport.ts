/**
 * HTTP for the registry client: the global fetch for endpoints with default TLS (system CAs) and plain http,
 * and node:https for an https endpoint with `registries.yaml` TLS settings (a CA added to the system's, a
 * client certificate and key, or no verification), which fetch cannot take without a private dispatcher.
 * Answers are web `Response`s either way; redirects are followed with the same settings (containerd uses the
 * host's client for them too), dropping the Authorization header when the origin changes. Network errors read
 * as Go's do where users see them (`x509: certificate signed by unknown authority`).
 */
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import type { RegistryTLS } from './registries.ts';

export interface TransportRequest {
  headers: Record<string, string>;
  signal?: AbortSignal;
}

export type Transport = (url: string | URL, init: TransportRequest) => Promise<Response>;

export const defaultTransport: Transport = (url, init) => fetch(url, { headers: init.headers, redirect: 'follow', signal: init.signal });

/** Reads the settings' files into an https Agent's options (the CA joins the system's roots). */
export async function loadTlsAgent(tls: RegistryTLS): Promise<Agent> {
  const read = async (path: string, what: string) => {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      throw new Error(`failed to read the registry ${what} ${path}: ${(err as Error).message}`, { cause: err });
    }
  };
  const ca = tls.caFile ? [...rootCertificates, await read(tls.caFile, 'CA file')] : undefined;
  const cert = tls.certFile ? await read(tls.certFile, 'certificate file') : undefined;
  const key = tls.keyFile ? await read(tls.keyFile, 'key file') : undefined;
  return new Agent({ keepAlive: true, ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}), rejectUnauthorized: !tls.insecureSkipVerify });
}

const NULL_BODY = new Set([101, 204, 205, 304]);

/** A fetch over node:https through `agent` (with its TLS options); http URLs go to the global fetch. */
export function agentTransport(agent: Agent): Transport {
  const once = (url: URL, init: TransportRequest) =>
    new Promise<{ status: number; statusText: string; headers: Headers; body: Readable }>((resolve, reject) => {
      const req = request(url, { agent, method: 'GET', headers: init.headers, ...(init.signal ? { signal: init.signal } : {}) }, (res) => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          if (v === undefined) continue;
          for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one);
        }
        resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers, body: res });
      });
      req.once('error', (err) => reject(new TypeError('fetch failed', { cause: err })));
      req.end();
    });
  return async (input, init) => {
    let url = new URL(input);
    let headers = { ...init.headers };
    for (let hops = 0; ; hops++) {
      if (url.protocol !== 'https:') return defaultTransport(url, { ...init, headers });
      const res = await once(url, { ...init, headers });
      const location = res.headers.get('location');
      if ([301, 302, 303, 307, 308].includes(res.status) && location && hops < 10) {
        res.body.resume();
        const next = new URL(location, url);
        if (next.origin !== url.origin) delete headers.authorization;
        headers = { ...headers };
        url = next;
        continue;
      }
      const body = NULL_BODY.has(res.status) ? null : (Readable.toWeb(res.body) as ReadableStream<Uint8Array>);
      if (!body) res.body.resume();
      return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
    }
  };
}

/** Go's crypto/x509 wording for Node's certificate verification failures (as containerd reports them). */
const X509: Record<string, string> = {
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'tls: failed to verify certificate: x509: certificate signed by unknown authority',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'tls: failed to verify certificate: x509: certificate signed by unknown authority',
  SELF_SIGNED_CERT_IN_CHAIN: 'tls: failed to verify certificate: x509: certificate signed by unknown authority',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'tls: failed to verify certificate: x509: certificate signed by unknown authority',
  CERT_HAS_EXPIRED: 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid',
  CERT_NOT_YET_VALID: 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid',
};

/** The text for a failed request: the cause's message, in Go's words for certificate failures. */
export function networkErrorText(err: unknown): string {
  const cause = ((err as { cause?: Error }).cause ?? err) as Error & { code?: string };
  if (cause.code && X509[cause.code]) return X509[cause.code]!;
  if (cause.code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `tls: failed to verify certificate: x509: ${cause.message}`;
  return cause.message;
}
