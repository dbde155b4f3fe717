/**
 * The join identity: the node token authenticates as `system:node-bootstrap` in group `system:bootstrappers`,
 * which may only join — read `kube-public/cluster-info` and create, read and watch CertificateSigningRequests
 * for a node client certificate (upstream's `system:node-bootstrapper` role and the auto-approve role, which
 * kubeadm binds to the bootstrappers group; rbac/bootstrap-policy.ts binds them the same way).
 */
export const BOOTSTRAP_USER = 'system:node-bootstrap';
export const BOOTSTRAPPERS_GROUP = 'system:bootstrappers';
