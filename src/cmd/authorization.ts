/**
 * `--authorization-mode`: the server's authorizer chain, in the order the modes are given (default
 * `Node,RBAC`). Node is the Node authorizer over the graph of pods and what they use (authz/node.ts); RBAC is
 * the API server's own RbacAuthorizer over its watch caches; AlwaysAllow and AlwaysDeny are upstream's
 * trivial modes.
 */
import { AuthorizerChain, NodeAuthorizer, alwaysAllow, type ApiServer, type Authorizer, type NodeGraph } from '../apiserver/index.ts';
import type { AuthorizationMode } from './flags.ts';

const alwaysDeny: Authorizer = { authorize: () => ({ decision: 'Deny', reason: '' }), rulesFor: () => ({ rules: [], errors: [] }) };

export function authorizerFor(modes: readonly AuthorizationMode[], server: ApiServer, nodeGraph: NodeGraph): Authorizer {
  const chain: Authorizer[] = [];
  for (const mode of modes) {
    if (mode === 'AlwaysAllow') chain.push(alwaysAllow);
    else if (mode === 'AlwaysDeny') chain.push(alwaysDeny);
    else if (mode === 'RBAC') chain.push(server.rbac);
    else if (mode === 'Node') chain.push(new NodeAuthorizer(nodeGraph));
  }
  return new AuthorizerChain(chain);
}
