/**
 * An in-process API server on a MemoryStore for tests and benchmarks: HTTPS on a free loopback port, one admin
 * token, and a tiny JSON request helper that keeps connections alive.
 */
import https from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from '../storage/index.ts';
import { MemoryStore } from '../storage/index.ts';
import { ApiServer, type ApiServerConfig } from './server.ts';
import { ensurePki } from './auth/certs.ts';
import { TokenAuthenticator } from './auth/tokens.ts';

export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export interface TestServer {
  server: ApiServer;
  store: Store;
  url: string;
  port: number;
  token: string;
  caPem: string;
  /** Holds pki/ (ca.crt, ca.key, the serving pair), as a server's data dir does. */
  dataDir: string;
  kubeletToken: string;
  agent: https.Agent;
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<TestResponse>;
  stop(): Promise<void>;
}

export async function startTestServer(options: { store?: Store; config?: Partial<ApiServerConfig> } = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-apiserver-test-'));
  const pki = await ensurePki(join(dir, 'pki'));
  const token = 'admin-token-for-tests';
  const kubeletToken = 'kubelet-token-for-tests';
  const authenticator = new TokenAuthenticator();
  authenticator.add(token, { name: 'admin', groups: ['system:masters'] });
  const store = options.store ?? new MemoryStore();
  const server = new ApiServer({ store, tls: { certPem: pki.certPem, keyPem: pki.keyPem }, caPem: pki.caPem, authenticator, kubeletToken, ...options.config });
  await server.start();
  const addr = await server.listen('127.0.0.1', 0);
  const agent = new https.Agent({ keepAlive: true, ca: pki.caPem, maxSockets: Infinity });
  const url = `https://127.0.0.1:${addr.port}`;
  const request = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    new Promise<TestResponse>((resolve, reject) => {
      const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const req = https.request(
        {
          host: '127.0.0.1', port: addr.port, path, method, agent,
          headers: {
            authorization: `Bearer ${token}`,
            ...(data !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  return {
    server, store, url, port: addr.port, token, caPem: pki.caPem, dataDir: dir, kubeletToken, agent, request,
    async stop() {
      agent.destroy();
      await server.stop();
      if (!options.store) await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
