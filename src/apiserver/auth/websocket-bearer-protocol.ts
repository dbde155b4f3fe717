/**
 * Bearer tokens carried in a WebSocket subprotocol. Browsers cannot set an Authorization header on a
 * WebSocket, so a browser client (the dashboard's exec terminal) offers its token as one more subprotocol,
 * `base64url.bearer.authorization.k8s.io.<token in unpadded base64url>`, beside the real ones
 * (`v5.channel.k8s.io`, ...), as the Kubernetes API server accepts it. The token's entry is taken out of
 * the list before the request goes further, so it is never chosen, echoed or passed to the kubelet.
 */

export const BEARER_PROTOCOL_PREFIX = 'base64url.bearer.authorization.k8s.io.';

/** What a request's subprotocols say: no token in them, a token and the protocols left, or why they are refused. */
export type ProtocolBearer = { token: string; remaining: string } | { error: string } | undefined;

/** Reads `Sec-WebSocket-Protocol` (one header or several, comma-separated values) for a bearer token. */
export function bearerFromProtocols(header: string | string[] | undefined): ProtocolBearer {
  const values = (Array.isArray(header) ? header : header === undefined ? [] : [header]).flatMap((h) => h.split(','));
  let token: string | undefined;
  const remaining: string[] = [];
  for (const raw of values) {
    const protocol = raw.trim();
    if (!protocol.startsWith(BEARER_PROTOCOL_PREFIX)) {
      if (protocol) remaining.push(protocol);
      continue;
    }
    if (token !== undefined) return { error: 'multiple base64.bearer.authorization tokens specified' };
    const encoded = protocol.slice(BEARER_PROTOCOL_PREFIX.length);
    if (!/^[A-Za-z0-9_-]*$/.test(encoded)) return { error: 'invalid base64.bearer.authorization token encoding' };
    const bytes = Buffer.from(encoded, 'base64url');
    const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
    if (Buffer.from(text, 'utf8').compare(bytes) !== 0) return { error: 'invalid base64.bearer.authorization token' };
    token = text;
  }
  if (!token) return undefined;
  // One real subprotocol must remain: the server has to answer with one, and never with the token's.
  if (remaining.length === 0) return { error: 'missing additional subprotocol' };
  return { token, remaining: remaining.join(',') };
}
