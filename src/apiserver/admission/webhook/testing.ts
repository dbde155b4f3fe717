/**
 * Test helper: an HTTPS webhook server with its own CA (made by the same code as the API server's PKI) that
 * answers AdmissionReviews with a handler's response. It records every request it gets; a handler returning
 * `'hang'` never answers (timeouts). Used by the unit tests and the e2e test.
 */
import https from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { ensurePki } from '../../auth/certs.ts';
import type { AdmissionRequest, AdmissionResponse } from './review.ts';

export type ReviewHandler = (req: AdmissionRequest, path: string) => Omit<AdmissionResponse, 'uid'> | 'hang';

export interface WebhookServer {
  /** `https://127.0.0.1:PORT`. */
  url: string;
  port: number;
  /** The CA that signed the serving certificate, base64 as `caBundle` takes it. */
  caBundle: string;
  requests: { path: string; request: AdmissionRequest }[];
  close(): Promise<void>;
}

/** `hosts`: more names for the serving certificate (a Service's `name.namespace.svc`). */
export async function startWebhookServer(handler: ReviewHandler, hosts: string[] = []): Promise<WebhookServer> {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-webhook-'));
  const pki = await ensurePki(dir, hosts);
  const requests: WebhookServer['requests'] = [];
  const server = https.createServer({ cert: pki.certPem, key: pki.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { request: AdmissionRequest };
      const path = new URL(req.url ?? '/', 'https://x').pathname;
      requests.push({ path, request: review.request });
      const out = handler(review.request, path);
      if (out === 'hang') return;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, ...out } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    caBundle: Buffer.from(pki.caPem).toString('base64'),
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A JSONPatch answer: `allowed: true` with the base64 patch. */
export function patchResponse(ops: unknown[]): Omit<AdmissionResponse, 'uid'> {
  return { allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64') };
}
