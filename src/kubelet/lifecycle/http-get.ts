/**
 * One HTTP(S) GET as the kubelet makes it for httpGet probes and hooks: to the pod IP (or `host`), TLS not
 * verified, `User-Agent: kube-probe/<version>` unless the spec sets one, the body read up to 10 KiB, no
 * redirects followed. Shared by lifecycle hooks and the prober.
 */
import http from 'node:http';
import https from 'node:https';
import type { Container, HTTPGetAction } from '../kuberuntime/api.ts';

const MAX_BODY = 10 * 1024;
export const PROBE_USER_AGENT = 'kube-probe/1.32';

export interface HttpGetResult {
  statusCode: number;
  body: string;
  location?: string;
}

/** Resolves a port given as a number, a numeric string or a named port of the container. */
export function resolvePort(port: number | string | undefined, container: Container): number {
  if (typeof port === 'number') return port;
  if (port !== undefined && /^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find((p) => p.name === port);
  if (!named) throw new Error(`couldn't find port: ${port} in ${JSON.stringify(container.ports ?? [])}`);
  return named.containerPort;
}

export function httpGetUrl(action: HTTPGetAction, container: Container, podIP: string): URL {
  const scheme = (action.scheme ?? 'HTTP').toLowerCase();
  const host = action.host || podIP;
  const port = resolvePort(action.port as number | string, container);
  let path = action.path ?? '/';
  if (!path.startsWith('/')) path = '/' + path;
  return new URL(`${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${path}`);
}

export function httpGet(
  url: URL,
  headers: { name: string; value: string }[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<HttpGetResult> {
  const h: Record<string, string> = { 'User-Agent': PROBE_USER_AGENT, Accept: '*/*' };
  for (const { name, value } of headers) {
    if (name.toLowerCase() === 'user-agent') delete h['User-Agent'];
    h[name] = value;
  }
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.get(
      url,
      { headers: h, rejectUnauthorized: false, timeout: timeoutMs, signal, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (d: Buffer) => {
          if (size < MAX_BODY) chunks.push(d.subarray(0, MAX_BODY - size));
          size += d.length;
        });
        res.on('end', () =>
          resolve({
            statusCode: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            location: res.headers.location,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(
        new Error(`Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`),
      ),
    );
    req.on('error', reject);
  });
}
