/**
 * A node's own credential, as the kubelet's TLS bootstrap makes it: a client certificate for
 * `system:node:<name>` in `system:nodes`, kept with its key in `DIR/kubelet.kubeconfig` (mode 0600, usable
 * with `kubectl --kubeconfig`). An agent gets it through a CertificateSigningRequest (signer
 * kubernetes.io/kube-apiserver-client-kubelet) sent with the join identity, which the controller manager
 * approves and signs; the server signs its own node's directly with the cluster CA. A later start reuses the
 * kubeconfig while the certificate has more than 20% of its lifetime left (as the kubelet's certificate
 * manager renews), and otherwise asks again: an agent with its still-valid certificate (a node renewing its
 * own), or with the join identity when the old one is gone or expired.
 *
 * An agent's kubelet serving certificate is asked for the same way, as the node itself, with the
 * kubernetes.io/kubelet-serving signer, and kept in DIR/pki/kubelet-server-current.pem under the same reuse rule.
 */
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { CertificateSigningRequest } from '../api/index.ts';
import type { Client } from '../client/index.ts';
import { certificateSans, certificateValidity, makeCsr, realClock, signClientCertificate, type Logger } from '../machinery/index.ts';

export const KUBELET_KUBECONFIG = 'kubelet.kubeconfig';
export const KUBELET_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
export const KUBELET_SERVING_SIGNER = 'kubernetes.io/kubelet-serving';
const NODE_CLIENT_USAGES = ['digital signature', 'client auth'];
const KUBELET_SERVING_USAGES = ['digital signature', 'key encipherment', 'server auth'];
/** Renew when less than this share of the certificate's lifetime is left. */
const RENEW_FRACTION = 0.2;

export interface NodeCredential {
  certPem: string;
  keyPem: string;
}

export class CertificateRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CertificateRequestError';
  }
}

export function nodeUserName(nodeName: string): string {
  return `system:node:${nodeName}`;
}

export function kubeletKubeconfigYaml(server: string, caPem: string, nodeName: string, cred: NodeCredential): string {
  const user = nodeUserName(nodeName);
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'kubeling', cluster: { server, 'certificate-authority-data': b64(caPem) } }],
    users: [{ name: user, user: { 'client-certificate-data': b64(cred.certPem), 'client-key-data': b64(cred.keyPem) } }],
    contexts: [{ name: 'kubeling', context: { cluster: 'kubeling', user } }],
    'current-context': 'kubeling',
    preferences: {},
  });
}

export async function writeKubeletKubeconfig(dataDir: string, server: string, caPem: string, nodeName: string, cred: NodeCredential): Promise<string> {
  const file = join(dataDir, KUBELET_KUBECONFIG);
  await writeFile(`${file}.tmp`, kubeletKubeconfigYaml(server, caPem, nodeName, cred), { mode: 0o600 });
  await rename(`${file}.tmp`, file);
  return file;
}

/** The credential in DIR/kubelet.kubeconfig, when there is one for this node. */
export async function loadNodeCredential(dataDir: string, nodeName: string): Promise<NodeCredential | undefined> {
  const file = join(dataDir, KUBELET_KUBECONFIG);
  if (!existsSync(file)) return undefined;
  try {
    const cfg = parse(await readFile(file, 'utf8')) as { users?: { user?: Record<string, string> }[] };
    const u = cfg.users?.[0]?.user;
    if (!u?.['client-certificate-data'] || !u['client-key-data']) return undefined;
    const cred = { certPem: Buffer.from(u['client-certificate-data'], 'base64').toString('utf8'), keyPem: Buffer.from(u['client-key-data'], 'base64').toString('utf8') };
    return certificateValidity(cred.certPem).commonName === nodeUserName(nodeName) ? cred : undefined;
  } catch {
    return undefined;
  }
}

/** 'fresh' (use it), 'renew' (still valid, under 20% left) or 'expired'. */
export function credentialState(cred: NodeCredential, now: number): 'fresh' | 'renew' | 'expired' {
  const { notBefore, notAfter } = certificateValidity(cred.certPem);
  if (now >= notAfter || now < notBefore) return 'expired';
  return notAfter - now < (notAfter - notBefore) * RENEW_FRACTION ? 'renew' : 'fresh';
}

/** The server's own node: a key and a certificate signed at once with the cluster CA (one year). */
export async function signNodeCredential(caPem: string, caKeyPem: string, nodeName: string): Promise<NodeCredential> {
  const { keyPem, csrPem } = await makeCsr(nodeUserName(nodeName), ['system:nodes']);
  const certPem = await signClientCertificate({ caPem, caKeyPem, csrPem, usages: NODE_CLIENT_USAGES, seconds: 365 * 24 * 3600 });
  return { certPem, keyPem };
}

/**
 * The server's own node's kubelet serving certificate, signed at once with the cluster CA for the node's names
 * and addresses (k3s signs its kubelets' serving certificates the same way): CN `system:node:<name>`, O
 * `system:nodes` and the usages of upstream's kubernetes.io/kubelet-serving signer, so a client holding the
 * cluster CA can verify the kubelet.
 */
export async function signKubeletServingCertificate(caPem: string, caKeyPem: string, nodeName: string, hosts: string[]): Promise<NodeCredential> {
  const { keyPem, csrPem } = await makeCsr(nodeUserName(nodeName), ['system:nodes'], [...new Set(hosts.filter(Boolean))]);
  const certPem = await signClientCertificate({ caPem, caKeyPem, csrPem, usages: KUBELET_SERVING_USAGES, seconds: 365 * 24 * 3600 });
  return { certPem, keyPem };
}

/** Where an agent keeps its kubelet serving certificate and key (one PEM file, as the kubelet's pki dir). */
export const KUBELET_SERVING_PEM = join('pki', 'kubelet-server-current.pem');

export async function writeKubeletServingCertificate(dataDir: string, cred: NodeCredential): Promise<void> {
  const file = join(dataDir, KUBELET_SERVING_PEM);
  await writeFile(`${file}.tmp`, cred.certPem + cred.keyPem, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

/**
 * The kept serving certificate when it is this node's, for exactly these `hosts`, and fresh (more than 20% of
 * its life left); undefined when a new one must be asked for.
 */
export async function loadKubeletServingCertificate(dataDir: string, nodeName: string, hosts: string[], now: number): Promise<NodeCredential | undefined> {
  const file = join(dataDir, KUBELET_SERVING_PEM);
  if (!existsSync(file)) return undefined;
  try {
    const text = await readFile(file, 'utf8');
    const certPem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/.exec(text)?.[0];
    const keyPem = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----\n?/.exec(text)?.[0];
    if (!certPem || !keyPem) return undefined;
    const cred = { certPem, keyPem };
    if (certificateValidity(certPem).commonName !== nodeUserName(nodeName)) return undefined;
    const want = [...new Set(hosts.filter(Boolean))].sort();
    const have = [...new Set(certificateSans(certPem))].sort();
    if (want.join(',') !== have.join(',')) return undefined;
    return credentialState(cred, now) === 'fresh' ? cred : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sends a CertificateSigningRequest for this node with `client` (the join identity, or the node's own
 * credential when renewing) and waits until it is issued; a Denied or Failed request is an error.
 */
export async function requestNodeCredential(client: Client, nodeName: string, log: Logger, signal: AbortSignal): Promise<NodeCredential> {
  return requestCertificate(client, { nodeName, signerName: KUBELET_CLIENT_SIGNER, usages: NODE_CLIENT_USAGES, sans: [], generateName: 'node-csr-', what: 'node client certificate' }, log, signal);
}

/**
 * An agent's kubelet serving certificate, asked for as the node itself (`client` holds the node credential)
 * through the kubernetes.io/kubelet-serving signer for the node's own names and addresses (`hosts`), which the
 * server's approver approves when they are in the node's Node object.
 */
export async function requestKubeletServingCertificate(client: Client, nodeName: string, hosts: string[], log: Logger, signal: AbortSignal): Promise<NodeCredential> {
  return requestCertificate(client, { nodeName, signerName: KUBELET_SERVING_SIGNER, usages: KUBELET_SERVING_USAGES, sans: hosts, generateName: 'csr-', what: 'kubelet serving certificate' }, log, signal);
}

interface CertificateRequest { nodeName: string; signerName: string; usages: string[]; sans: string[]; generateName: string; what: string }

async function requestCertificate(client: Client, r: CertificateRequest, log: Logger, signal: AbortSignal): Promise<NodeCredential> {
  const { keyPem, csrPem } = await makeCsr(nodeUserName(r.nodeName), ['system:nodes'], [...new Set(r.sans.filter(Boolean))]);
  const csrs = client.resource<CertificateSigningRequest>('certificatesigningrequests');
  const created = await csrs.create({
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { generateName: r.generateName },
    spec: { request: Buffer.from(csrPem).toString('base64'), signerName: r.signerName, usages: r.usages },
  } as CertificateSigningRequest, { signal });
  const name = created.metadata!.name!;
  log.info({ csr: name }, `waiting for the ${r.what}`);
  let waited = 0;
  for (;;) {
    const csr = await csrs.get(name, { signal });
    const failed = csr.status?.conditions?.find((c) => (c.type === 'Denied' || c.type === 'Failed') && c.status === 'True');
    if (failed) throw new CertificateRequestError(`certificate signing request ${name} is ${failed.type.toLowerCase()}: ${failed.reason ?? ''} ${failed.message ?? ''}`.trim());
    if (csr.status?.certificate) return { certPem: Buffer.from(csr.status.certificate, 'base64').toString('utf8'), keyPem };
    if (waited === 10_000) log.info({ csr: name }, `still waiting for certificate signing request ${name} to be approved and issued`);
    await realClock.sleep(200, signal);
    waited += 200;
  }
}
