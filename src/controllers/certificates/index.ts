/** The certificate approver and signer (kube-controller-manager's csrapproving and csrsigning). */
export { CertificateController, type CertificateControllerConfig } from './certificate-controller.ts';
export * from './decisions.ts';
export * from './kubelet-serving.ts';
