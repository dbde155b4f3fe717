/**
 * kube-controller-manager's certificate controllers, on one CertificateSigningRequest informer: the approver
 * (csrapproving) approves kubelet client requests from the join identity and nodes' own renewals
 * (decisions.ts) and a node's own kubelet serving request for its own names and addresses (kubelet-serving.ts,
 * checked against its Node), and the signer (csrsigning) issues approved requests for the kubelet client,
 * kube-apiserver-client and kubelet-serving signers with the cluster CA, for `expirationSeconds` (at most a
 * year), or marks them Failed (SignerValidationFailure) when they do not fit the signer. Both write through their subresources
 * (`approval`, `status`) and are safe to run again on any request at any time.
 */
import type { CertificateSigningRequest, Node } from '../../api/index.ts';
import { Informer, isConflict, isNotFound, objectKey, type Client, type KubeObjectLike } from '../../client/index.ts';
import { createLogger, parseCsr, realClock, signClientCertificate, verifyCsrSignature, type Clock, type Logger } from '../../machinery/index.ts';
import { Controller } from '../controller.ts';
import { servingApproval, servingRequester } from './kubelet-serving.ts';
import { approval, requestPem, shouldSign, signerValidationError, signingSeconds, type ApproverOptions } from './decisions.ts';

type Csr = CertificateSigningRequest;

export interface CertificateControllerConfig extends ApproverOptions {
  client: Client;
  /** The cluster CA (PEM certificate and PKCS#8 key) that signs. */
  caPem: string;
  caKeyPem: string;
  /** The longest certificate issued (--cluster-signing-duration, default one year). */
  maxSigningSeconds?: number;
  clock?: Clock;
  logger?: Logger;
}

function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

export class CertificateController {
  readonly csrs: Informer<Csr>;
  readonly controller: Controller;
  readonly #config: CertificateControllerConfig;
  readonly #clock: Clock;
  readonly #log: Logger;

  constructor(config: CertificateControllerConfig) {
    this.#config = config;
    this.#clock = config.clock ?? realClock;
    this.#log = config.logger ?? createLogger('csr-controller');
    this.csrs = new Informer<Csr>(config.client.resource<Csr>('certificatesigningrequests'), { clock: this.#clock, logger: this.#log });
    this.controller = new Controller({
      name: 'certificate-controller',
      reconcile: (key, signal) => this.reconcile(key, signal),
      informers: [this.csrs] as unknown as Informer<KubeObjectLike>[],
      clock: this.#clock,
      logger: this.#log,
    });
    const enqueue = (csr: Csr) => this.controller.enqueue(objectKey(csr));
    this.csrs.onAdd(enqueue).onUpdate((_o, c) => enqueue(c));
  }

  run(signal: AbortSignal): Promise<void> {
    return this.controller.run(signal);
  }

  async reconcile(key: string, signal: AbortSignal): Promise<void> {
    const csr = this.csrs.get(key);
    if (!csr?.metadata?.name) return;
    try {
      const approved = approval(csr, this.#config) ?? (await this.#servingApproval(csr, signal));
      if (approved) return await this.#approve(csr, approved, signal);
      if (shouldSign(csr)) await this.#sign(csr, signal);
    } catch (err) {
      // Someone else wrote first: the informer brings the new version back.
      if (isConflict(err) || isNotFound(err)) return;
      throw err;
    }
  }

  /** A node's own serving request, checked against its Node as it is now. */
  async #servingApproval(csr: Csr, signal: AbortSignal): Promise<{ reason: string; message: string } | undefined> {
    let subject;
    try {
      subject = parseCsr(requestPem(csr));
    } catch {
      return undefined;
    }
    const nodeName = servingRequester(csr, subject);
    if (nodeName === undefined) return undefined;
    let node: Node;
    try {
      node = await this.#config.client.resource<Node>('nodes').get(nodeName, { signal });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const approved = servingApproval(subject, node);
    if (!approved) this.#log.info({ csr: csr.metadata!.name, node: nodeName }, 'left a kubelet serving request pending: it names what is not the node\'s own');
    return approved;
  }

  async #approve(csr: Csr, a: { reason: string; message: string }, signal: AbortSignal): Promise<void> {
    const now = timestamp(this.#clock.now());
    const conditions = [...(csr.status?.conditions ?? []), { type: 'Approved', status: 'True', reason: a.reason, message: a.message, lastUpdateTime: now, lastTransitionTime: now }];
    await this.#config.client.resource<Csr>('certificatesigningrequests').subresource('approval')
      .update(csr.metadata!.name!, { ...csr, status: { ...csr.status, conditions } }, { signal });
    this.#log.info({ csr: csr.metadata!.name, requester: csr.spec?.username }, 'approved kubelet certificate request');
  }

  async #sign(csr: Csr, signal: AbortSignal): Promise<void> {
    const pem = requestPem(csr);
    const invalid = signerValidationError(csr) ?? ((await verifyCsrSignature(pem)) ? undefined : 'x509: signature of the certificate request does not verify');
    const client = this.#config.client.resource<Csr>('certificatesigningrequests');
    if (invalid) {
      const now = timestamp(this.#clock.now());
      const conditions = [...(csr.status?.conditions ?? []), { type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message: invalid, lastUpdateTime: now, lastTransitionTime: now }];
      await client.updateStatus({ ...csr, status: { ...csr.status, conditions } }, { signal });
      this.#log.info({ csr: csr.metadata!.name, reason: invalid }, 'refused to sign a certificate request');
      return;
    }
    const cert = await signClientCertificate({
      caPem: this.#config.caPem, caKeyPem: this.#config.caKeyPem, csrPem: pem, usages: csr.spec?.usages ?? [],
      seconds: signingSeconds(csr, this.#config.maxSigningSeconds), now: this.#clock.now(),
    });
    await client.updateStatus({ ...csr, status: { ...csr.status, certificate: Buffer.from(cert).toString('base64') } }, { signal });
    this.#log.info({ csr: csr.metadata!.name, signer: csr.spec?.signerName }, 'signed a certificate request');
  }
}
