/** The API server's public surface, for `cmd` (composition) and tests. */
export { ApiServer, SYSTEM_NAMESPACES, type ApiServerConfig, type PublicHandler } from './server.ts';
export { ensurePki, type ServerPki } from './auth/certs.ts';
export { ensureToken, TokenAuthenticator, type User } from './auth/tokens.ts';
export { VERSION_INFO } from './discovery.ts';
export { toStatus, ApiError, type Status } from './status.ts';
export { ensureServiceAccountKey, keyId, ServiceAccountTokens, SERVICE_ACCOUNT_ISSUER, type ServiceAccountKeys } from './auth/service-account-tokens.ts';
export { DEFAULT_SERVICE_CIDR, DEFAULT_NODE_PORT_RANGE } from './services/allocators.ts';
export { parseServiceCidr, parsePortRange, ipAt } from './services/range.ts';
export { advertiseAddress } from './services/advertise-address.ts';
export { AuthorizerChain, alwaysAllow, forbiddenMessage, type Attributes, type Authorizer, type AuthorizationResult, type Decision } from './authz/authorizer.ts';
export { checkStoredValuesReadable, EncryptionConfigError, loadEncryptionConfig, parseEncryptionConfiguration, storeKeyTransformers, type EncryptionConfig } from './encryption/index.ts';
export { Auditor, AuditLogFile, parsePolicy, PolicyError, type AuditSink } from './audit/index.ts';
export { podSecurityConfigFromAdmissionFile, type PodSecurityConfig } from './admission/pod-security/config.ts';
export { RbacAuthorizer } from './rbac/authorizer.ts';
export { CLUSTER_ROLES, CLUSTER_ROLE_BINDINGS, ROLES, ROLE_BINDINGS } from './rbac/bootstrap-policy.ts';
export { NodeAuthorizer, nodeIdentity } from './authz/node.ts';
export { NodeGraph } from './authz/node-graph.ts';
export { BOOTSTRAP_USER, BOOTSTRAPPERS_GROUP } from './authz/bootstrap.ts';
