/**
 * The reviews, answered at once and never stored, from the server's authorizer chain:
 *
 *   POST /apis/authentication.k8s.io/v1/selfsubjectreviews         (kubectl auth whoami) → status.userInfo
 *   POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews    (kubectl auth can-i)  → may I?
 *   POST /apis/authorization.k8s.io/v1/selfsubjectrulesreviews     (kubectl auth can-i --list) → my rules here
 *   POST /apis/authorization.k8s.io/v1/subjectaccessreviews        may spec.user / spec.groups?
 *   POST /apis/authorization.k8s.io/v1/namespaces/NS/localsubjectaccessreviews   the same, inside NS
 *
 * An access review asks the same chain a request would meet (so it answers truthfully, including Node and
 * RBAC); the rules review lists what the chain's authorizers can enumerate (RBAC's rules for the user in that
 * namespace), with `incomplete` when something could not be resolved. Validation and messages as upstream's.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { User } from './auth/tokens.ts';
import type { Attributes, Authorizer } from './authz/authorizer.ts';
import { parseObjectBody, readBody, sendJson } from './http.ts';
import { badRequest, invalid, methodNotAllowed, type FieldCause } from './status.ts';

export type ReviewResource = 'selfsubjectreviews' | 'selfsubjectaccessreviews' | 'selfsubjectrulesreviews' | 'subjectaccessreviews' | 'localsubjectaccessreviews';

const KINDS: Record<ReviewResource, { kind: string; apiVersion: string; group: string }> = {
  selfsubjectreviews: { kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', group: 'authentication.k8s.io' },
  selfsubjectaccessreviews: { kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', group: 'authorization.k8s.io' },
  selfsubjectrulesreviews: { kind: 'SelfSubjectRulesReview', apiVersion: 'authorization.k8s.io/v1', group: 'authorization.k8s.io' },
  subjectaccessreviews: { kind: 'SubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', group: 'authorization.k8s.io' },
  localsubjectaccessreviews: { kind: 'LocalSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', group: 'authorization.k8s.io' },
};

export const REVIEW_RESOURCES: ReadonlySet<string> = new Set(Object.keys(KINDS));

interface ResourceAttributes {
  namespace?: string; verb?: string; group?: string; version?: string; resource?: string; subresource?: string; name?: string;
}
interface NonResourceAttributes { path?: string; verb?: string }
interface ReviewSpec {
  resourceAttributes?: ResourceAttributes | null;
  nonResourceAttributes?: NonResourceAttributes | null;
  user?: string;
  groups?: string[];
  uid?: string;
  extra?: Record<string, string[]>;
  namespace?: string;
}

export interface ReviewDeps {
  authorizer: Authorizer;
}

/** ValidateSubjectAccessReviewSpec's "exactly one of" check. */
function attributeErrors(spec: ReviewSpec): FieldCause[] {
  const hasResource = spec.resourceAttributes !== undefined && spec.resourceAttributes !== null;
  const hasNonResource = spec.nonResourceAttributes !== undefined && spec.nonResourceAttributes !== null;
  if (hasResource !== hasNonResource) return [];
  return [{
    type: 'FieldValueInvalid', field: 'spec.resourceAttributes',
    message: hasResource ? 'Invalid value: "resourceAttributes": cannot be specified in combination with nonResourceAttributes'
      : 'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
  }];
}

/** The attributes an access review asks about, as a request with them would carry. */
export function reviewAttributes(user: User, spec: ReviewSpec): Attributes {
  const r = spec.resourceAttributes;
  if (r) {
    return {
      user, verb: r.verb ?? '', resourceRequest: true, namespace: r.namespace ?? '', apiGroup: r.group ?? '', apiVersion: r.version ?? '',
      resource: r.resource ?? '', subresource: r.subresource ?? '', name: r.name ?? '', path: '',
    };
  }
  const n = spec.nonResourceAttributes ?? {};
  return { user, verb: n.verb ?? '', resourceRequest: false, namespace: '', apiGroup: '', apiVersion: '', resource: '', subresource: '', name: '', path: n.path ?? '' };
}

async function accessStatus(deps: ReviewDeps, attrs: Attributes): Promise<Record<string, unknown>> {
  const r = await deps.authorizer.authorize(attrs);
  const status: Record<string, unknown> = { allowed: r.decision === 'Allow' };
  if (r.decision === 'Deny') status.denied = true;
  if (r.reason) status.reason = r.reason;
  return status;
}

export async function handleReview(req: IncomingMessage, res: ServerResponse, resource: ReviewResource, user: User, namespace: string, deps: ReviewDeps): Promise<void> {
  const k = KINDS[resource];
  if (req.method !== 'POST') throw methodNotAllowed(req.method ?? '', { group: k.group, resource });
  const body = parseObjectBody(await readBody(req), req.headers['content-type']) as { apiVersion?: string; kind?: string; metadata?: Record<string, unknown>; spec?: ReviewSpec };
  if (body.kind && body.kind !== k.kind) throw badRequest(`the kind in the data (${body.kind}) does not match the expected kind (${k.kind})`);
  const out = { kind: k.kind, apiVersion: k.apiVersion, metadata: { creationTimestamp: null } as Record<string, unknown> };
  if (resource === 'selfsubjectreviews') {
    const userInfo = { username: user.name, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups, ...(user.extra ? { extra: user.extra } : {}) };
    return sendJson(res, 201, { ...out, status: { userInfo } });
  }
  const spec: ReviewSpec = body.spec ?? {};
  if (resource === 'selfsubjectrulesreviews') {
    const ns = typeof spec.namespace === 'string' ? spec.namespace : '';
    if (!ns) throw badRequest('no namespace on request');
    const resolved = deps.authorizer.rulesFor?.(user, ns) ?? { rules: [], errors: ['authorizer does not support user rule resolution'] };
    const status: Record<string, unknown> = {
      resourceRules: resolved.rules.filter((r) => !r.nonResourceURLs?.length).map((r) => ({
        verbs: r.verbs, ...(r.apiGroups?.length ? { apiGroups: r.apiGroups } : {}), ...(r.resources?.length ? { resources: r.resources } : {}),
        ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}),
      })),
      nonResourceRules: resolved.rules.filter((r) => r.nonResourceURLs?.length).map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs })),
      incomplete: resolved.errors.length > 0,
    };
    if (resolved.errors.length) status.evaluationError = resolved.errors.length === 1 ? resolved.errors[0] : `[${resolved.errors.join(', ')}]`;
    return sendJson(res, 201, { ...out, spec: { namespace: ns }, status });
  }
  const errors = attributeErrors(spec);
  if (resource === 'selfsubjectaccessreviews') {
    if (errors.length) throw invalid(k.kind, k.group, '', errors);
    return sendJson(res, 201, { ...out, spec, status: await accessStatus(deps, reviewAttributes(user, spec)) });
  }
  // SubjectAccessReview and LocalSubjectAccessReview: about someone else.
  if (resource === 'localsubjectaccessreviews') {
    if (spec.nonResourceAttributes) errors.push({ type: 'FieldValueInvalid', field: 'spec.nonResourceAttributes', message: `Invalid value: ${JSON.stringify(spec.nonResourceAttributes)}: disallowed on this kind of request` });
  }
  if (!spec.user && !spec.groups?.length) errors.push({ type: 'FieldValueInvalid', field: 'spec.user', message: 'Invalid value: "": at least one of user or group must be specified' });
  if (errors.length) throw invalid(k.kind, k.group, '', errors);
  if (resource === 'localsubjectaccessreviews') {
    const given = spec.resourceAttributes?.namespace ?? '';
    if (given !== namespace) throw badRequest(`spec.resourceAttributes.namespace must match namespace: ${namespace}`);
    if (body.metadata?.namespace && body.metadata.namespace !== namespace) {
      throw badRequest(`the namespace of the provided object does not match the namespace sent on the request`);
    }
    out.metadata.namespace = namespace;
  }
  const subject: User = { name: spec.user ?? '', groups: spec.groups ?? [] };
  return sendJson(res, 201, { ...out, spec, status: await accessStatus(deps, reviewAttributes(subject, spec)) });
}
