/**
 * `POST /apis/authentication.k8s.io/v1/tokenreviews` (TokenReview): tells the caller who a bearer token
 * speaks for, as upstream's TokenReview REST does: answered at once, never stored, 201 with `status.
 * authenticated`, the user (username, uid, groups, extra) and the audiences the token is good for among
 * those asked (`spec.audiences`, default the API server's own), or `status.error` when it is not valid.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { User } from './auth/tokens.ts';
import { parseObjectBody, readBody, sendJson } from './http.ts';
import { badRequest, methodNotAllowed } from './status.ts';

/** Authenticates a raw token for the audiences given (default the API's): a user, why not, or unknown. */
export type TokenAuthenticate = (token: string, audiences: string[] | undefined) => Promise<{ user: User; audiences: string[] } | { error: string } | undefined>;

interface TokenReviewBody {
  kind?: string;
  apiVersion?: string;
  metadata?: Record<string, unknown>;
  spec?: { token?: string; audiences?: string[] };
}

export async function handleTokenReview(req: IncomingMessage, res: ServerResponse, authenticate: TokenAuthenticate): Promise<void> {
  if (req.method !== 'POST') throw methodNotAllowed(req.method ?? '', { group: 'authentication.k8s.io', resource: 'tokenreviews' });
  const body = parseObjectBody(await readBody(req), req.headers['content-type']) as TokenReviewBody;
  if (body.kind && body.kind !== 'TokenReview') throw badRequest(`the kind in the data (${body.kind}) does not match the expected kind (TokenReview)`);
  const token = body.spec?.token ?? '';
  if (!token) throw badRequest('token is required for TokenReview in authentication');
  const audiences = body.spec?.audiences?.length ? body.spec.audiences : undefined;
  const result = await authenticate(token, audiences);
  let status: Record<string, unknown>;
  if (result && 'user' in result) {
    const u = result.user;
    status = {
      authenticated: true,
      user: { username: u.name, ...(u.uid ? { uid: u.uid } : {}), groups: u.groups, ...(u.extra ? { extra: u.extra } : {}) },
      audiences: result.audiences,
    };
  } else {
    status = { user: {}, error: result ? `[invalid bearer token, ${result.error}]` : '[invalid bearer token, token lookup failed]' };
  }
  sendJson(res, 201, {
    kind: 'TokenReview',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { ...body.metadata, creationTimestamp: null },
    spec: body.spec ?? {},
    status,
  });
}
