/**
 * Who a service account token speaks for, as upstream's service-account token authenticator and its
 * validators (pkg/serviceaccount) decide: the signature, issuer and time window (service-account-tokens.ts),
 * then the audiences (a bound token must name one of the audiences asked for, by default `--api-audiences`),
 * then the objects the token names, read from the server's watch caches (the store on a miss, as upstream's token getter falls back to storage): the service account with the same
 * uid, and for a bound token the pod, secret or node it is bound to (gone, another uid, or deleted more than
 * 60 s ago: refused); a legacy token must still be the `token` of its Secret, not labelled
 * `kubernetes.io/legacy-token-invalid-since`. The answer is a user
 * (`system:serviceaccount:<ns>:<name>`, its groups, uid and upstream's extra keys) or why not.
 */
import type { KubeObject } from '../../api/index.ts';
import type { User } from './tokens.ts';
import type { ServiceAccountTokens } from './service-account-tokens.ts';

export type BoundKind = 'serviceaccounts' | 'pods' | 'secrets' | 'nodes';

export interface ServiceAccountAuthenticatorDeps {
  tokens: ServiceAccountTokens;
  /** `--api-audiences` (default the issuers). */
  apiAudiences: string[];
  /** The object as the server has it (its cache, the store on a miss), or undefined; `ns` is '' for nodes. */
  lookup: (resource: BoundKind, ns: string, name: string) => Promise<KubeObject | undefined>;
  now: () => number;
}

export type ServiceAccountAuthentication = { user: User; audiences: string[] } | { error: string };

/** The label upstream's legacy token cleaner puts on a token Secret it is about to remove. */
const LEGACY_INVALID_SINCE = 'kubernetes.io/legacy-token-invalid-since';

/** How long an object marked for deletion keeps its tokens valid (upstream's 60 s grace). */
const DELETION_GRACE_MS = 60_000;

export function serviceAccountUser(namespace: string, name: string, uid: string, extra?: Record<string, string[]>): User {
  return {
    name: `system:serviceaccount:${namespace}:${name}`,
    uid,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
    ...(extra && Object.keys(extra).length ? { extra } : {}),
  };
}

export async function authenticateServiceAccountToken(token: string, deps: ServiceAccountAuthenticatorDeps, audiences?: string[]): Promise<ServiceAccountAuthentication | undefined> {
  const nowMs = deps.now();
  const verified = deps.tokens.verify(token, Math.floor(nowMs / 1000));
  if (!verified) return undefined;
  const wanted = audiences?.length ? audiences : deps.apiAudiences;
  if (verified.kind === 'legacy') {
    const c = verified.claims;
    const ns = c['kubernetes.io/serviceaccount/namespace'];
    // Legacy tokens have no audience: they are good for the API server's own audiences only.
    const auds = wanted.filter((a) => deps.apiAudiences.includes(a));
    if (!auds.length) return { error: `token audiences ${JSON.stringify(deps.apiAudiences)} is invalid for the target audiences ${JSON.stringify(wanted)}` };
    const secretName = c['kubernetes.io/serviceaccount/secret.name'];
    const secret = await deps.lookup('secrets', ns, secretName) as (KubeObject & { data?: Record<string, string> }) | undefined;
    if (!secret || secret.metadata?.deletionTimestamp) return { error: `secret ${ns}/${secretName} has been deleted` };
    if (Buffer.from(secret.data?.token ?? '', 'base64').toString('utf8') !== token) return { error: `token does not match the token of secret ${ns}/${secretName}` };
    if (secret.metadata?.labels?.[LEGACY_INVALID_SINCE]) {
      return { error: `the token in secret ${ns}/${secretName} for service account ${ns}/${c['kubernetes.io/serviceaccount/service-account.name']} has been marked invalid. Use tokens from the TokenRequest API or manually created secret-based tokens, or remove the '${LEGACY_INVALID_SINCE}' label from the secret to temporarily allow use of this token` };
    }
    const saName = c['kubernetes.io/serviceaccount/service-account.name'];
    const sa = await deps.lookup('serviceaccounts', ns, saName);
    if (!sa || sa.metadata?.deletionTimestamp) return { error: `service account ${ns}/${saName} has been deleted` };
    const saUid = c['kubernetes.io/serviceaccount/service-account.uid'];
    if (sa.metadata?.uid !== saUid) return { error: `service account UID (${sa.metadata?.uid}) does not match claim (${saUid})` };
    return { user: serviceAccountUser(ns, saName, saUid, { 'authentication.kubernetes.io/credential-id': [`Secret/${secret.metadata?.uid}`] }), audiences: auds };
  }
  const c = verified.claims;
  const auds = wanted.filter((a) => c.aud.includes(a));
  if (!auds.length) return { error: `token audiences ${JSON.stringify(c.aud)} is invalid for the target audiences ${JSON.stringify(wanted)}` };
  const k = c['kubernetes.io'];
  const ns = k.namespace;
  const sa = await deps.lookup('serviceaccounts', ns, k.serviceaccount.name);
  if (!sa || deletedBefore(sa, nowMs)) return { error: `service account ${ns}/${k.serviceaccount.name} has been deleted` };
  if (sa.metadata?.uid !== k.serviceaccount.uid) return { error: `service account UID (${sa.metadata?.uid}) does not match claim (${k.serviceaccount.uid})` };
  const extra: Record<string, string[]> = {};
  const bound: [BoundKind, 'pod' | 'secret' | 'node', string][] = [['pods', 'pod', ns], ['secrets', 'secret', ns], ['nodes', 'node', '']];
  for (const [resource, what, objectNs] of bound) {
    const ref = k[what];
    if (!ref) continue;
    const obj = await deps.lookup(resource, objectNs, ref.name);
    const shown = objectNs ? `${objectNs}/${ref.name}` : ref.name;
    if (!obj) return { error: `${what} ${shown} has been deleted` };
    if (obj.metadata?.uid !== ref.uid) return { error: `${what} UID (${obj.metadata?.uid}) does not match claim (${ref.uid})` };
    if (deletedBefore(obj, nowMs)) return { error: `${what} ${shown} is being deleted` };
    if (what === 'pod' || what === 'node') {
      extra[`authentication.kubernetes.io/${what}-name`] = [ref.name];
      extra[`authentication.kubernetes.io/${what}-uid`] = [ref.uid];
    }
  }
  if (c.jti) extra['authentication.kubernetes.io/credential-id'] = [`JTI=${c.jti}`];
  return { user: serviceAccountUser(ns, k.serviceaccount.name, k.serviceaccount.uid, extra), audiences: auds };
}

/** Marked for deletion longer ago than the grace period. */
function deletedBefore(obj: KubeObject, nowMs: number): boolean {
  const ts = obj.metadata?.deletionTimestamp;
  return !!ts && Date.parse(ts) < nowMs - DELETION_GRACE_MS;
}
