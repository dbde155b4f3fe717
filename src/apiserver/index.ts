/** The API server's public surface, for `cmd` (composition) and tests. */
export { ApiServer, SYSTEM_NAMESPACES, type ApiServerConfig } from './server.ts';
export { ensurePki, type ServerPki } from './auth/certs.ts';
export { ensureToken, TokenAuthenticator, type User } from './auth/tokens.ts';
export { VERSION_INFO } from './discovery.ts';
export { toStatus, ApiError, type Status } from './status.ts';
export { ensureServiceAccountKey, ServiceAccountTokens, SERVICE_ACCOUNT_ISSUER } from './auth/service-account-tokens.ts';
export { DEFAULT_SERVICE_CIDR, DEFAULT_NODE_PORT_RANGE } from './services/allocators.ts';
export { parseServiceCidr, parsePortRange, ipAt } from './services/range.ts';
export { advertiseAddress } from './services/advertise-address.ts';
export { AuthorizerChain, alwaysAllow, forbiddenMessage, type Attributes, type Authorizer, type AuthorizationResult, type Decision } from './authz/authorizer.ts';
export { NodeAuthorizer, nodeIdentity } from './authz/node.ts';
export { NodeGraph } from './authz/node-graph.ts';
export { BOOTSTRAP_USER, BOOTSTRAPPERS_GROUP, allowAllButNodes, bootstrapAuthorizer } from './authz/bootstrap.ts';
