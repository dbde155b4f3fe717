/**
 * `--authorization-mode`: the server's authorizer chain, in the order the modes are given (default
 * `Node,RBAC`). RBAC is the API server's own RbacAuthorizer over its watch caches; AlwaysAllow and AlwaysDeny
 * are upstream's trivial modes. `Node` is accepted and, until the Node authorizer exists, adds nothing:
 * kubelets meanwhile hold their rules through the temporary bootstrap binding (rbac/bootstrap-policy.ts).
 */
import { AuthorizerChain, alwaysAllow, type ApiServer, type Authorizer } from '../apiserver/index.ts';
import type { AuthorizationMode } from './flags.ts';

const alwaysDeny: Authorizer = { authorize: () => ({ decision: 'Deny', reason: '' }), rulesFor: () => ({ rules: [], errors: [] }) };

export function authorizerFor(modes: readonly AuthorizationMode[], server: ApiServer): Authorizer {
  const chain: Authorizer[] = [];
  for (const mode of modes) {
    if (mode === 'AlwaysAllow') chain.push(alwaysAllow);
    else if (mode === 'AlwaysDeny') chain.push(alwaysDeny);
    else if (mode === 'RBAC') chain.push(server.rbac);
  }
  return new AuthorizerChain(chain);
}
