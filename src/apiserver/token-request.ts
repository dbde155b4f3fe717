/**
 * `POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token` (authentication.k8s.io/v1 TokenRequest): issues
 * a bound service account token, as the kubelet asks for projected `serviceAccountToken` volumes.
 * Audiences default to the issuer; expirationSeconds to one hour (at least 10 minutes); a bound pod must exist
 * with the uid given.
 */
import type { KubeObject, ServiceAccount } from '../api/index.ts';
import { parseObjectBody, readBody, sendJson } from './http.ts';
import type { RequestContext } from './request-context.ts';
import type { GenericRegistry } from './registry/generic.ts';
import { timestamp } from './registry/generic.ts';
import { SERVICE_ACCOUNT_ISSUER, type ServiceAccountTokens } from './auth/service-account-tokens.ts';
import { conflict, invalid, methodNotAllowed, notFound } from './status.ts';
import { admitNodeTokenRequest } from './admission/node-restriction.ts';

interface TokenRequestSpec {
  audiences?: string[];
  expirationSeconds?: number;
  boundObjectRef?: { kind?: string; apiVersion?: string; name?: string; uid?: string };
}

export async function handleTokenRequest(ctx: RequestContext, deps: { tokens: ServiceAccountTokens; pods: GenericRegistry; now: () => number }): Promise<void> {
  if (ctx.req.method !== 'POST') throw methodNotAllowed(ctx.req.method ?? '', ctx.registry.qualified);
  const body = parseObjectBody(await readBody(ctx.req), ctx.req.headers['content-type']) as { spec?: TokenRequestSpec };
  const ns = ctx.info.namespace;
  const name = ctx.info.name;
  const sa = (await ctx.registry.get(ns, name)) as unknown as ServiceAccount;
  const spec: TokenRequestSpec = { ...body.spec };
  // NodeRestriction: a node's token must be bound to one of its pods.
  await admitNodeTokenRequest(ctx.user, name, spec.boundObjectRef, async (pod) => (await deps.pods.tryGet(ns, pod)) as KubeObject | undefined);
  spec.audiences = spec.audiences?.length ? spec.audiences : [SERVICE_ACCOUNT_ISSUER];
  spec.expirationSeconds ??= 3600;
  if (spec.expirationSeconds < 600) {
    throw invalid('TokenRequest', 'authentication.k8s.io', name, [{ type: 'FieldValueInvalid', field: 'spec.expirationSeconds', message: `Invalid value: ${spec.expirationSeconds}: may not specify a duration less than 10 minutes` }]);
  }
  if (spec.expirationSeconds > 2 ** 32) {
    throw invalid('TokenRequest', 'authentication.k8s.io', name, [{ type: 'FieldValueTooLong', field: 'spec.expirationSeconds', message: `Invalid value: ${spec.expirationSeconds}: may not specify a duration larger than 2^32 seconds` }]);
  }
  let pod: { name: string; uid: string } | undefined;
  const ref = spec.boundObjectRef;
  if (ref?.name) {
    if (ref.kind !== 'Pod') {
      throw invalid('TokenRequest', 'authentication.k8s.io', name, [{ type: 'FieldValueNotSupported', field: 'spec.boundObjectRef.kind', message: `Unsupported value: ${JSON.stringify(ref.kind ?? '')}: supported values: "Pod"` }]);
    }
    const p = (await deps.pods.tryGet(ns, ref.name)) as KubeObject | undefined;
    if (!p) throw notFound({ group: '', resource: 'pods' }, ref.name);
    if (ref.uid && ref.uid !== p.metadata?.uid) {
      throw conflict({ group: '', resource: 'pods' }, ref.name, `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
    }
    pod = { name: ref.name, uid: p.metadata!.uid! };
  }
  const now = Math.floor(deps.now() / 1000);
  const exp = now + spec.expirationSeconds;
  const token = deps.tokens.issue({
    iss: SERVICE_ACCOUNT_ISSUER,
    sub: `system:serviceaccount:${ns}:${name}`,
    aud: spec.audiences,
    iat: now,
    nbf: now,
    exp,
    'kubernetes.io': { namespace: ns, serviceaccount: { name, uid: sa.metadata!.uid! }, ...(pod ? { pod } : {}) },
  });
  sendJson(ctx.res, 201, {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name, namespace: ns, creationTimestamp: null },
    spec,
    status: { token, expirationTimestamp: timestamp(exp * 1000) },
  });
}
