/**
 * The Table printer of CertificateSigningRequests: upstream's printCertificateSigningRequest columns (Name,
 * Age, SignerName, Requestor, RequestedDuration, Condition) and its condition text (Pending, Approved or
 * Denied, then `,Failed` and `,Issued`), so `kubectl get csr` reads as against Kubernetes.
 */
import type { CertificateSigningRequest, KubeObject, TableColumnDefinition } from '../types.ts';
import { humanDuration } from './duration.ts';

type Col = (name: string, description: string, opts?: { priority?: number; format?: string }) => TableColumnDefinition;

/** extractCSRStatus: Denied wins over Approved, else Pending; then Failed and Issued. */
export function csrConditionText(csr: CertificateSigningRequest): string {
  const types = new Set((csr.status?.conditions ?? []).map((c) => c.type));
  let text = types.has('Denied') ? 'Denied' : types.has('Approved') ? 'Approved' : 'Pending';
  if (types.has('Failed')) text += ',Failed';
  if (csr.status?.certificate) text += ',Issued';
  return text;
}

export function certificatePrinters(col: Col, NAME: TableColumnDefinition, AGE: TableColumnDefinition,
  age: (obj: KubeObject, now: number) => string) {
  const csr = {
    columns: [
      NAME, AGE,
      col('SignerName', 'signerName indicates the requested signer, and is a qualified name.'),
      col('Requestor', 'username contains the name of the user that created the CertificateSigningRequest. Populated by the API server on creation and immutable.'),
      col('RequestedDuration', 'expirationSeconds is the requested duration of validity of the issued certificate.'),
      col('Condition', 'conditions applied to the request. Known conditions are "Approved", "Denied", and "Failed".'),
    ],
    cells(obj: KubeObject, now: number) {
      const c = obj as unknown as CertificateSigningRequest;
      const seconds = c.spec?.expirationSeconds;
      return [
        c.metadata?.name ?? '', age(obj, now), c.spec?.signerName || '<none>', c.spec?.username || '',
        seconds === undefined ? '<none>' : humanDuration(seconds * 1000), csrConditionText(c),
      ];
    },
  };
  return { 'certificates.k8s.io/certificatesigningrequests': csr };
}
