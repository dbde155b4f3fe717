/**
 * The kubernetes.io/kubelet-serving signer's decisions: whether a request is a kubelet serving certificate
 * request (upstream's ValidateKubeletServingCSR) and kubeling's approval rule. Upstream approves none of these
 * by itself; k3s signs its kubelets' serving certificates directly. kubeling approves one a node asks for
 * itself (`system:node:<name>` in `system:nodes`) whose every SAN is that node's own: its name, or a name or
 * address in its Node's `status.addresses`, so a node cannot get a certificate for another's names.
 */
import type { CertificateSigningRequest, Node } from '../../api/index.ts';
import type { CsrSubject } from '../../machinery/index.ts';

export const KUBELET_SERVING_SIGNER = 'kubernetes.io/kubelet-serving';

const NODE_PREFIX = 'system:node:';
const NODES_GROUP = 'system:nodes';
const RSA_USAGES = ['digital signature', 'key encipherment', 'server auth'];
const EC_USAGES = ['digital signature', 'server auth'];

const sameSet = (a: readonly string[], b: readonly string[]) => new Set(a).size === b.length && b.every((x) => a.includes(x));

/** ValidateKubeletServingCSR: why the request is not a kubelet serving certificate request, or undefined. */
export function kubeletServingError(subject: CsrSubject, usages: readonly string[]): string | undefined {
  if (subject.organizations.length !== 1 || subject.organizations[0] !== NODES_GROUP) return 'subject organization is not system:nodes';
  if (!subject.dnsNames.length && !subject.ipAddresses.length) return 'DNS or IP subjectAltName is required';
  if (subject.otherSans.some((s) => s.startsWith('email:'))) return 'Email subjectAltNames are not allowed';
  if (subject.otherSans.length) return 'URI subjectAltNames are not allowed';
  if (!sameSet(usages, RSA_USAGES) && !sameSet(usages, EC_USAGES)) return `usages did not match [${RSA_USAGES.join(' ')}]`;
  // Upstream checks the common name last.
  if (!subject.commonName.startsWith(NODE_PREFIX)) return 'subject common name does not begin with system:node:';
  return undefined;
}

/** The SANs of the request that are not the node's own (empty: all are). */
export function foreignSans(subject: CsrSubject, node: Node): string[] {
  const name = node.metadata?.name ?? '';
  const addresses = node.status?.addresses ?? [];
  const names = new Set([name, ...addresses.filter((a) => a.type === 'Hostname' || a.type.endsWith('DNS')).map((a) => a.address)]);
  const ips = new Set(addresses.filter((a) => a.type.endsWith('IP')).map((a) => a.address));
  return [...subject.dnsNames.filter((d) => !names.has(d)), ...subject.ipAddresses.filter((ip) => !ips.has(ip))];
}

/** The node a pending, valid kubelet serving request is for when that node itself asked for it; else undefined. */
export function servingRequester(csr: CertificateSigningRequest, subject: CsrSubject): string | undefined {
  if (csr.spec?.signerName !== KUBELET_SERVING_SIGNER) return undefined;
  if (csr.status?.conditions?.some((c) => (c.type === 'Approved' || c.type === 'Denied') && c.status === 'True')) return undefined;
  if (kubeletServingError(subject, csr.spec.usages ?? [])) return undefined;
  if (csr.spec.username !== subject.commonName || !(csr.spec.groups ?? []).includes(NODES_GROUP)) return undefined;
  return subject.commonName.slice(NODE_PREFIX.length);
}

/** The approval of a node's own serving request, given its Node (undefined when the SANs are not all its own). */
export function servingApproval(subject: CsrSubject, node: Node): { reason: string; message: string } | undefined {
  if (foreignSans(subject, node).length) return undefined;
  return { reason: 'AutoApproved', message: 'Auto approving self kubelet serving certificate: its names and addresses are the node\'s own.' };
}
