/**
 * Who asked for a certificate: a new CertificateSigningRequest records its requester's name and groups in
 * `spec.username` and `spec.groups` (whatever the client sent there), as upstream's CSR strategy does on
 * create; approvers and the printers read them from there. It also refuses, as upstream's
 * CertificateSubjectRestriction plugin does, a request to the kube-apiserver-client signer for a
 * `system:masters` certificate (which no authorizer could ever restrict).
 */
import type { CertificateSigningRequest } from '../../api/index.ts';
import { parseCsr } from '../../machinery/index.ts';
import { forbidden } from '../status.ts';
import type { AdmissionAttributes, AdmissionPlugin } from './chain.ts';

export class CsrRequester implements AdmissionPlugin {
  readonly name = 'CertificateSigningRequestRequester';

  admit(a: AdmissionAttributes): void {
    if (a.operation !== 'CREATE' || a.subresource || a.resource.group !== 'certificates.k8s.io' || a.resource.plural !== 'certificatesigningrequests') return;
    const csr = a.object as unknown as CertificateSigningRequest | undefined;
    if (!csr) return;
    csr.spec = { ...csr.spec, username: a.user, groups: a.groups ?? [] } as CertificateSigningRequest['spec'];
    delete (csr.spec as { uid?: string }).uid;
    delete (csr.spec as { extra?: unknown }).extra;
  }

  validate(a: AdmissionAttributes): void {
    if (a.operation !== 'CREATE' || a.subresource || a.resource.group !== 'certificates.k8s.io' || a.resource.plural !== 'certificatesigningrequests') return;
    const csr = a.object as unknown as CertificateSigningRequest | undefined;
    if (csr?.spec?.signerName !== 'kubernetes.io/kube-apiserver-client' || !csr.spec.request) return;
    let organizations: string[];
    try {
      organizations = parseCsr(Buffer.from(csr.spec.request, 'base64').toString('utf8')).organizations;
    } catch {
      return; // validation reports it
    }
    if (organizations.includes('system:masters')) {
      throw forbidden({ group: a.resource.group, resource: a.resource.plural }, a.name,
        'use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed');
    }
  }
}
