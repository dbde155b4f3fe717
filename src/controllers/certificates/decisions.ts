/**
 * The pure decisions of the certificate controllers (upstream's pkg/controller/certificates): which signer
 * requests kubeling signs and whether a request is fit for its signer (signer.go's validation of the
 * kube-apiserver-client-kubelet and kube-apiserver-client signers), and which kubelet client requests the
 * approver approves (approver/sarapprove.go): a node client certificate (`system:node:<name>` in
 * `system:nodes`, usages digital signature and client auth, key encipherment allowed, no SANs) asked for by
 * the join identity, or by that same node renewing its own.
 */
import type { CertificateSigningRequest } from '../../api/index.ts';
import { parseCsr, type CsrSubject } from '../../machinery/index.ts';
import { KUBELET_SERVING_SIGNER, kubeletServingError } from './kubelet-serving.ts';

export const KUBELET_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
export const API_SERVER_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client';
export const SIGNERS = new Set([KUBELET_CLIENT_SIGNER, API_SERVER_CLIENT_SIGNER, KUBELET_SERVING_SIGNER]);
/** kube-controller-manager's --cluster-signing-duration default: one year. */
export const DEFAULT_SIGNING_SECONDS = 365 * 24 * 3600;

const NODE_PREFIX = 'system:node:';
const NODES_GROUP = 'system:nodes';

type Csr = CertificateSigningRequest;

export function hasCondition(csr: Csr, type: string): boolean {
  return csr.status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;
}

export function requestPem(csr: Csr): string {
  return Buffer.from(csr.spec?.request ?? '', 'base64').toString('utf8');
}

/** Client certificate usages: client auth required; digital signature and key encipherment optional. */
export function clientUsagesError(usages: readonly string[]): string | undefined {
  for (const u of usages) if (!['digital signature', 'key encipherment', 'client auth'].includes(u)) return `invalid usage for client certificate: ${u}`;
  if (!usages.includes('client auth')) return 'missing required usage for client certificate: client auth';
  return undefined;
}

/** ValidateKubeletClientCSR: why the request is not a kubelet client certificate request, or undefined. */
export function kubeletClientError(subject: CsrSubject, usages: readonly string[]): string | undefined {
  if (subject.organizations.length !== 1 || subject.organizations[0] !== NODES_GROUP) return 'subject organization is not system:nodes';
  if (!subject.commonName.startsWith(NODE_PREFIX)) return 'subject common name does not begin with system:node:';
  if (subject.sans.length) return 'DNS, email, IP or URI subjectAltNames are not allowed';
  return clientUsagesError(usages);
}

/** Why this signer must refuse the request (a Failed condition, SignerValidationFailure), or undefined. */
export function signerValidationError(csr: Csr): string | undefined {
  let subject: CsrSubject;
  try {
    subject = parseCsr(requestPem(csr));
  } catch (err) {
    return (err as Error).message;
  }
  const usages = csr.spec?.usages ?? [];
  if (csr.spec?.signerName === KUBELET_SERVING_SIGNER) return kubeletServingError(subject, usages);
  return csr.spec?.signerName === KUBELET_CLIENT_SIGNER ? kubeletClientError(subject, usages) : clientUsagesError(usages);
}

/** Whether the signer acts on the request now: approved, not failed, not issued, one of its signers. */
export function shouldSign(csr: Csr): boolean {
  return SIGNERS.has(csr.spec?.signerName ?? '') && hasCondition(csr, 'Approved') && !hasCondition(csr, 'Denied') &&
    !hasCondition(csr, 'Failed') && !csr.status?.certificate;
}

/** The lifetime to issue: the requested expirationSeconds, at most the signer's duration. */
export function signingSeconds(csr: Csr, maxSeconds = DEFAULT_SIGNING_SECONDS): number {
  const asked = csr.spec?.expirationSeconds;
  return asked === undefined ? maxSeconds : Math.min(asked, maxSeconds);
}

export interface ApproverOptions {
  /** Requesters that may ask for any node's client certificate (the `nodeclient` permission). */
  isBootstrapper: (username: string, groups: readonly string[]) => boolean;
}

/**
 * The approval of a pending kubelet client request, or undefined to leave it to a human: `nodeclient` for the
 * join identity, `selfnodeclient` for a node asking for its own name again.
 */
export function approval(csr: Csr, o: ApproverOptions): { reason: string; message: string } | undefined {
  if (csr.spec?.signerName !== KUBELET_CLIENT_SIGNER) return undefined;
  if (hasCondition(csr, 'Approved') || hasCondition(csr, 'Denied')) return undefined;
  let subject: CsrSubject;
  try {
    subject = parseCsr(requestPem(csr));
  } catch {
    return undefined;
  }
  if (kubeletClientError(subject, csr.spec.usages ?? [])) return undefined;
  const username = csr.spec.username ?? '';
  const groups = csr.spec.groups ?? [];
  if (username === subject.commonName && groups.includes(NODES_GROUP)) {
    return { reason: 'AutoApproved', message: 'Auto approving self kubelet client certificate after SubjectAccessReview.' };
  }
  if (o.isBootstrapper(username, groups)) {
    return { reason: 'AutoApproved', message: 'Auto approving kubelet client certificate after SubjectAccessReview.' };
  }
  return undefined;
}
