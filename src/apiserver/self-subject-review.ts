/**
 * The reviews a caller asks about itself, answered at once and never stored:
 *
 *   POST /apis/authentication.k8s.io/v1/selfsubjectreviews       (kubectl auth whoami) → status.userInfo
 *   POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews  (kubectl auth can-i)  → status.allowed
 *   POST /apis/authorization.k8s.io/v1/selfsubjectrulesreviews   (kubectl auth can-i --list)
 *
 * kubeling does not model authorization yet: every authenticated identity may do everything (auth/tokens.ts),
 * so access reviews say allowed and the rules review lists `*` rules. When RBAC arrives, it answers here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { User } from './auth/tokens.ts';
import { parseObjectBody, readBody, sendJson } from './http.ts';
import { badRequest, invalid, methodNotAllowed } from './status.ts';

export type SelfSubjectResource = 'selfsubjectreviews' | 'selfsubjectaccessreviews' | 'selfsubjectrulesreviews';

const KINDS: Record<SelfSubjectResource, { kind: string; apiVersion: string; group: string }> = {
  selfsubjectreviews: { kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', group: 'authentication.k8s.io' },
  selfsubjectaccessreviews: { kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', group: 'authorization.k8s.io' },
  selfsubjectrulesreviews: { kind: 'SelfSubjectRulesReview', apiVersion: 'authorization.k8s.io/v1', group: 'authorization.k8s.io' },
};

export async function handleSelfSubjectReview(req: IncomingMessage, res: ServerResponse, resource: SelfSubjectResource, user: User): Promise<void> {
  const k = KINDS[resource];
  if (req.method !== 'POST') throw methodNotAllowed(req.method ?? '', { group: k.group, resource });
  const body = parseObjectBody(await readBody(req), req.headers['content-type']) as { apiVersion?: string; kind?: string; spec?: Record<string, unknown> };
  if (body.kind && body.kind !== k.kind) throw badRequest(`the kind in the data (${body.kind}) does not match the expected kind (${k.kind})`);
  const out = { kind: k.kind, apiVersion: k.apiVersion, metadata: { creationTimestamp: null } as Record<string, unknown> };
  if (resource === 'selfsubjectreviews') {
    const userInfo = { username: user.name, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups, ...(user.extra ? { extra: user.extra } : {}) };
    return sendJson(res, 201, { ...out, status: { userInfo } });
  }
  const spec = body.spec ?? {};
  if (resource === 'selfsubjectaccessreviews') {
    const hasResource = spec.resourceAttributes !== undefined && spec.resourceAttributes !== null;
    const hasNonResource = spec.nonResourceAttributes !== undefined && spec.nonResourceAttributes !== null;
    // ValidateSelfSubjectAccessReview: exactly one of the two.
    if (hasResource === hasNonResource) {
      throw invalid(k.kind, k.group, '', [{
        type: 'FieldValueInvalid', field: 'spec.resourceAttributes',
        message: hasResource ? 'Invalid value: "resourceAttributes": cannot be specified in combination with nonResourceAttributes'
          : 'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
      }]);
    }
    return sendJson(res, 201, { ...out, spec, status: { allowed: true } });
  }
  return sendJson(res, 201, {
    ...out,
    spec: { namespace: typeof spec.namespace === 'string' ? spec.namespace : '' },
    status: {
      resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
      nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
      incomplete: false,
    },
  });
}
