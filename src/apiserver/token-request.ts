/**
 * `POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token` (authentication.k8s.io/v1 TokenRequest): issues
 * a bound service account token, as the kubelet asks for projected `serviceAccountToken` volumes and as
 * `kubectl create token` does. As upstream's token REST storage: audiences default to `--api-audiences`;
 * expirationSeconds to one hour (at least 10 minutes), cut to `--service-account-max-token-expiration` when
 * that is set; a boundObjectRef names a Pod, Secret or Node that must exist (with the uid, when given), and a
 * pod-bound token also names the pod's node; every token carries a `jti`.
 */
import { randomUUID } from 'node:crypto';
import type { KubeObject, ServiceAccount } from '../api/index.ts';
import { parseObjectBody, readBody, sendJson } from './http.ts';
import type { RequestContext } from './request-context.ts';
import type { GenericRegistry } from './registry/generic.ts';
import { timestamp } from './registry/generic.ts';
import type { BoundRef, ServiceAccountClaims, ServiceAccountTokens } from './auth/service-account-tokens.ts';
import { badRequest, conflict, invalid, methodNotAllowed, notFound } from './status.ts';
import { admitNodeTokenRequest } from './admission/node-restriction.ts';

interface TokenRequestSpec {
  audiences?: string[];
  expirationSeconds?: number;
  boundObjectRef?: { kind?: string; apiVersion?: string; name?: string; uid?: string };
}

export interface TokenRequestDeps {
  tokens: ServiceAccountTokens;
  /** `--api-audiences`: the audiences of a request that names none. */
  apiAudiences: string[];
  /** `--service-account-max-token-expiration` in seconds (0 or absent: no limit). */
  maxExpirationSeconds?: number;
  pods: GenericRegistry;
  secrets: GenericRegistry;
  nodes: GenericRegistry;
  now: () => number;
}

const BOUND_KINDS: Record<string, { registry: 'pods' | 'secrets' | 'nodes'; claim: 'pod' | 'secret' | 'node'; namespaced: boolean }> = {
  Pod: { registry: 'pods', claim: 'pod', namespaced: true },
  Secret: { registry: 'secrets', claim: 'secret', namespaced: true },
  Node: { registry: 'nodes', claim: 'node', namespaced: false },
};

export async function handleTokenRequest(ctx: RequestContext, deps: TokenRequestDeps): Promise<void> {
  if (ctx.req.method !== 'POST') throw methodNotAllowed(ctx.req.method ?? '', ctx.registry.qualified);
  const body = parseObjectBody(await readBody(ctx.req), ctx.req.headers['content-type']) as { spec?: TokenRequestSpec };
  const ns = ctx.info.namespace;
  const name = ctx.info.name;
  const sa = (await ctx.registry.get(ns, name)) as unknown as ServiceAccount;
  const spec: TokenRequestSpec = { ...body.spec };
  // NodeRestriction: a node's token must be bound to one of its pods.
  await admitNodeTokenRequest(ctx.user, name, spec.boundObjectRef, async (pod) => (await deps.pods.tryGet(ns, pod)) as KubeObject | undefined);
  spec.audiences = spec.audiences?.length ? spec.audiences : [...deps.apiAudiences];
  spec.expirationSeconds ??= 3600;
  if (spec.expirationSeconds < 600) {
    throw invalid('TokenRequest', 'authentication.k8s.io', name, [{ type: 'FieldValueInvalid', field: 'spec.expirationSeconds', message: `Invalid value: ${spec.expirationSeconds}: may not specify a duration less than 10 minutes` }]);
  }
  if (spec.expirationSeconds > 2 ** 32) {
    throw invalid('TokenRequest', 'authentication.k8s.io', name, [{ type: 'FieldValueTooLong', field: 'spec.expirationSeconds', message: `Invalid value: ${spec.expirationSeconds}: may not specify a duration larger than 2^32 seconds` }]);
  }
  if (deps.maxExpirationSeconds && spec.expirationSeconds > deps.maxExpirationSeconds) spec.expirationSeconds = deps.maxExpirationSeconds;
  const bound: Partial<Record<'pod' | 'secret' | 'node', BoundRef>> = {};
  const ref = spec.boundObjectRef;
  if (ref) {
    const kind = BOUND_KINDS[ref.kind ?? ''];
    if (!kind || (ref.apiVersion && ref.apiVersion !== 'v1')) {
      throw badRequest(`cannot bind token to object of type ${ref.apiVersion ? `${ref.apiVersion}, Kind=${ref.kind ?? ''}` : `/, Kind=${ref.kind ?? ''}`}`);
    }
    const registry = deps[kind.registry];
    const resource = { group: '', resource: kind.registry };
    const obj = (await registry.tryGet(kind.namespaced ? ns : '', ref.name ?? '')) as KubeObject | undefined;
    if (!obj) throw notFound(resource, ref.name ?? '');
    if (ref.uid && ref.uid !== obj.metadata?.uid) {
      throw conflict(resource, ref.name ?? '', `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
    }
    bound[kind.claim] = { name: obj.metadata!.name!, uid: obj.metadata!.uid! };
    // A pod-bound token also names the pod's node (upstream's ServiceAccountTokenPodNodeInfo).
    const nodeName = kind.claim === 'pod' ? (obj as { spec?: { nodeName?: string } }).spec?.nodeName : undefined;
    const node = nodeName ? ((await deps.nodes.tryGet('', nodeName)) as KubeObject | undefined) : undefined;
    if (node) bound.node = { name: nodeName!, uid: node.metadata!.uid! };
  }
  const now = Math.floor(deps.now() / 1000);
  const exp = now + spec.expirationSeconds;
  const claims: ServiceAccountClaims = {
    iss: deps.tokens.issuer,
    sub: `system:serviceaccount:${ns}:${name}`,
    aud: spec.audiences,
    iat: now,
    nbf: now,
    exp,
    jti: randomUUID(),
    'kubernetes.io': { namespace: ns, serviceaccount: { name, uid: sa.metadata!.uid! }, ...bound },
  };
  const token = deps.tokens.issue(claims);
  sendJson(ctx.res, 201, {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name, namespace: ns, creationTimestamp: null },
    spec,
    status: { token, expirationTimestamp: timestamp(exp * 1000) },
  });
}
