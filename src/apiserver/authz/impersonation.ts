/**
 * Impersonation, as apiserver's WithImpersonation filter: `Impersonate-User`, `Impersonate-Group` (repeatable),
 * `Impersonate-Uid` and `Impersonate-Extra-<key>` make the request act as another identity, once the
 * authorizer allows the caller the `impersonate` verb on each of them (users, or serviceaccounts for a
 * `system:serviceaccount:NS:NAME` user; groups; uids and userextras/<key> in authentication.k8s.io). The
 * impersonated user gets `system:authenticated` (system:unauthenticated for system:anonymous), and a service
 * account without requested groups gets its own. A refusal is upstream's 403 (`users "bob" is forbidden:
 * User "x" cannot impersonate resource "users" in API group "" at the cluster scope`).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { User } from '../auth/tokens.ts';
import { forbiddenMessage, type Attributes, type Authorizer } from './authorizer.ts';

export interface ImpersonationRefusal {
  code: 400 | 403;
  reason: 'BadRequest' | 'Forbidden';
  message: string;
  /** For a 403: the resource and name refused (Status details). */
  details?: { group: string; kind: string; name: string };
}

const SA_PREFIX = 'system:serviceaccount:';

function values(h: string | string[] | undefined): string[] {
  if (h === undefined) return [];
  return (Array.isArray(h) ? h : [h]).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

/** Whether the request carries any impersonation header. */
export function wantsImpersonation(headers: IncomingHttpHeaders): boolean {
  return Object.keys(headers).some((k) => k.startsWith('impersonate-'));
}

/**
 * The identity the request acts as: the caller itself when it impersonates nobody, the impersonated user when
 * every impersonation is allowed, otherwise the refusal to send.
 */
export async function impersonate(caller: User, headers: IncomingHttpHeaders, authorizer: Authorizer): Promise<User | ImpersonationRefusal> {
  if (!wantsImpersonation(headers)) return caller;
  const name = values(headers['impersonate-user'])[0] ?? '';
  const groups = values(headers['impersonate-group']);
  const uid = values(headers['impersonate-uid'])[0] ?? '';
  const extra: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (!k.startsWith('impersonate-extra-')) continue;
    extra[decodeURIComponent(k.slice('impersonate-extra-'.length)).toLowerCase()] = values(v);
  }
  if (!name) {
    return { code: 400, reason: 'BadRequest', message: 'requested impersonation of groups, uid or extra without impersonating a user' };
  }
  const checks: { resource: string; group: string; namespace: string; name: string; subresource: string }[] = [];
  let saNamespace = '';
  if (name.startsWith(SA_PREFIX) && name.split(':').length === 4) {
    const [, , ns, sa] = name.split(':');
    saNamespace = ns!;
    checks.push({ resource: 'serviceaccounts', group: '', namespace: ns!, name: sa!, subresource: '' });
  } else {
    checks.push({ resource: 'users', group: '', namespace: '', name, subresource: '' });
  }
  for (const g of groups) checks.push({ resource: 'groups', group: '', namespace: '', name: g, subresource: '' });
  for (const [key, vals] of Object.entries(extra)) {
    for (const v of vals) checks.push({ resource: 'userextras', group: 'authentication.k8s.io', namespace: '', name: v, subresource: key });
  }
  if (uid) checks.push({ resource: 'uids', group: 'authentication.k8s.io', namespace: '', name: uid, subresource: '' });
  for (const c of checks) {
    const attrs: Attributes = {
      user: caller, verb: 'impersonate', resourceRequest: true, namespace: c.namespace, apiGroup: c.group, apiVersion: '',
      resource: c.resource, subresource: c.subresource, name: c.name, path: '',
    };
    const r = await authorizer.authorize(attrs);
    if (r.decision === 'Allow') continue;
    const qualified = c.group ? `${c.resource}.${c.group}` : c.resource;
    return {
      code: 403, reason: 'Forbidden', message: `${qualified} ${JSON.stringify(c.name)} is forbidden: ${forbiddenMessage(attrs, r.reason)}`,
      details: { group: c.group, kind: c.resource, name: c.name },
    };
  }
  let asGroups = [...groups];
  if (saNamespace && groups.length === 0) asGroups = ['system:serviceaccounts', `system:serviceaccounts:${saNamespace}`];
  const always = name === 'system:anonymous' ? 'system:unauthenticated' : 'system:authenticated';
  if (!asGroups.includes(always)) asGroups.push(always);
  return { name, groups: asGroups };
}
