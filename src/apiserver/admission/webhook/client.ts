/**
 * Calls one webhook: POSTs an AdmissionReview as JSON over HTTPS with Node's https, trusting only the
 * configuration's `caBundle` when it has one (the system roots otherwise), and gives up after
 * `timeoutSeconds`. Failures come back as WebhookCallError with the text upstream's REST client gives
 * (`Post "https://…?timeout=10s": context deadline exceeded`), which the dispatcher wraps as upstream does.
 */
import https from 'node:https';

export class WebhookCallError extends Error {}

export interface WebhookTarget {
  /** `https://host:port/path`. */
  url: string;
  /** The TLS server name to verify, when it differs from the URL's host (a Service's `name.namespace.svc`). */
  serverName?: string;
  /** PEM, from the configuration's base64 `caBundle`. */
  ca?: string;
  timeoutSeconds: number;
}

/** POSTs `body` and returns the parsed JSON answer. */
export function postReview(target: WebhookTarget, body: unknown): Promise<unknown> {
  const url = new URL(target.url);
  url.searchParams.set('timeout', `${target.timeoutSeconds}s`);
  const shown = `Post "${url.toString()}"`;
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (text: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(new WebhookCallError(`${shown}: ${text}`));
    };
    const req = https.request(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Content-Length': payload.length },
      ...(target.ca ? { ca: target.ca } : {}),
      ...(target.serverName ? { servername: target.serverName } : {}),
      agent: false,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => fail(err.message));
      res.on('end', () => {
        if (settled) return;
        const text = Buffer.concat(chunks).toString('utf8');
        if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) {
          fail(`an error on the server (${JSON.stringify(text.trim())}) has prevented the request from succeeding`);
          return;
        }
        settled = true;
        clearTimeout(timer);
        try {
          resolve(JSON.parse(text));
        } catch (err) {
          reject(new WebhookCallError(`${shown}: ${(err as Error).message}`));
        }
      });
    });
    const timer = setTimeout(() => fail('context deadline exceeded'), target.timeoutSeconds * 1000);
    req.on('error', (err) => fail(tlsText(err)));
    req.end(payload);
  });
}

function tlsText(err: Error & { code?: string }): string {
  if (err.code === 'ECONNREFUSED') return `dial tcp ${err.message.replace(/^connect ECONNREFUSED /, '')}: connect: connection refused`;
  if (err.code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || err.code === 'SELF_SIGNED_CERT_IN_CHAIN' || err.code === 'DEPTH_ZERO_SELF_SIGNED_CERT') {
    return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
  }
  return err.message;
}
