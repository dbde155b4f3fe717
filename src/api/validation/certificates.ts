/**
 * Validation of CertificateSigningRequests (certificates.k8s.io/v1, pkg/apis/certificates/validation): a PEM
 * `CERTIFICATE REQUEST` that parses, a qualified signer name, known usages, `expirationSeconds` of at least ten
 * minutes, conditions that are known and not contradictory, and what may not change: the spec after create,
 * an issued certificate, and an Approved or Denied condition once given.
 */
import type { CertificateSigningRequest } from '../types.ts';
import { type FieldError, duplicate, forbidden, invalid, notSupported, required } from '../field-error.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import type { NameValidator } from './names.ts';
import { CsrParseError, KNOWN_USAGES, parseCsr } from '../../machinery/index.ts';

const CONDITION_TYPES = ['Approved', 'Denied', 'Failed'];

/** ValidatePathSegmentName: CSR names may hold capitals and underscores (`node-csr-…` from kubelets). */
const nameIsPathSegment: NameValidator = (name) => {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  for (const bad of ['/', '%']) if (name.includes(bad)) return [`may not contain '${bad}'`];
  return [];
};

function validateConditions(csr: CertificateSigningRequest): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (csr.status?.conditions ?? []).forEach((c, i) => {
    const path = `status.conditions[${i}]`;
    if (!c.type) errs.push(required(`${path}.type`, ''));
    else if (!CONDITION_TYPES.includes(c.type) && !c.type.includes('/')) errs.push(notSupported(`${path}.type`, c.type, CONDITION_TYPES));
    if (c.type && seen.has(c.type) && CONDITION_TYPES.includes(c.type)) errs.push(duplicate(`${path}.type`, c.type));
    if (c.type) seen.add(c.type);
    if (!['True', 'False', 'Unknown'].includes(c.status ?? '')) errs.push(notSupported(`${path}.status`, c.status ?? '', ['False', 'True', 'Unknown']));
    if ((c.type === 'Approved' || c.type === 'Denied') && c.status !== 'True') {
      errs.push(notSupported(`${path}.status`, c.status ?? '', ['True']));
    }
  });
  const approved = csr.status?.conditions?.some((c) => c.type === 'Approved');
  const denied = csr.status?.conditions?.some((c) => c.type === 'Denied');
  if (approved && denied) errs.push(invalid('status.conditions', 'Approved', 'Approved and Denied conditions are mutually exclusive'));
  return errs;
}

export function validateCertificateSigningRequest(csr: CertificateSigningRequest): FieldError[] {
  const errs = validateObjectMeta(csr.metadata, false, nameIsPathSegment);
  const spec = csr.spec;
  if (!spec?.request) errs.push(required('spec.request', ''));
  else {
    try {
      parseCsr(Buffer.from(spec.request, 'base64').toString('utf8'));
    } catch (err) {
      if (!(err instanceof CsrParseError)) throw err;
      errs.push(invalid('spec.request', spec.request, err.message));
    }
  }
  if (!spec?.usages?.length) errs.push(required('spec.usages', 'usages must be provided'));
  else {
    const seen = new Set<string>();
    spec.usages.forEach((u, i) => {
      if (!KNOWN_USAGES.has(u)) errs.push(notSupported(`spec.usages[${i}]`, u, [...KNOWN_USAGES].sort()));
      else if (seen.has(u)) errs.push(duplicate(`spec.usages[${i}]`, u));
      seen.add(u);
    });
  }
  if (!spec?.signerName) errs.push(required('spec.signerName', ''));
  else if (!spec.signerName.includes('/')) errs.push(invalid('spec.signerName', spec.signerName, 'must be a fully qualified domain and path of the form \'example.com/signer-name\''));
  else if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9._/-]+$/.test(spec.signerName)) {
    errs.push(invalid('spec.signerName', spec.signerName, 'must be a fully qualified domain and path of the form \'example.com/signer-name\''));
  }
  if (spec?.expirationSeconds !== undefined && spec.expirationSeconds < 600) {
    errs.push(invalid('spec.expirationSeconds', spec.expirationSeconds, 'may not specify a duration less than 600 seconds (10 minutes)'));
  }
  errs.push(...validateConditions(csr));
  return errs;
}

/** A main-resource update: only metadata may change (the strategy kept spec and status). */
export function validateCertificateSigningRequestUpdate(csr: CertificateSigningRequest, old: CertificateSigningRequest): FieldError[] {
  return validateObjectMetaUpdate(csr.metadata, old.metadata);
}

/** `status`: conditions valid, and a certificate, once issued, stays; it must be PEM certificates. */
export function validateCertificateSigningRequestStatusUpdate(csr: CertificateSigningRequest, old: CertificateSigningRequest): FieldError[] {
  const errs = validateObjectMetaUpdate(csr.metadata, old.metadata);
  errs.push(...validateConditions(csr));
  const cert = csr.status?.certificate;
  const had = old.status?.certificate;
  if (had && cert !== had) errs.push(invalid('status.certificate', '<certificate data>', 'updates may not modify existing certificate content'));
  else if (cert && !had) {
    const text = Buffer.from(cert, 'base64').toString('utf8');
    if (!/^\s*-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/.test(text)) {
      errs.push(invalid('status.certificate', '<certificate data>', 'must contain at least one CERTIFICATE PEM block'));
    }
  }
  return errs;
}

/** `approval`: conditions valid, and an Approved or Denied condition given earlier may not be taken back. */
export function validateCertificateSigningRequestApprovalUpdate(csr: CertificateSigningRequest, old: CertificateSigningRequest): FieldError[] {
  const errs = validateObjectMetaUpdate(csr.metadata, old.metadata);
  errs.push(...validateConditions(csr));
  for (const type of ['Approved', 'Denied']) {
    if (old.status?.conditions?.some((c) => c.type === type) && !csr.status?.conditions?.some((c) => c.type === type)) {
      errs.push(forbidden('status.conditions', `updates may not remove a condition of type "${type}"`));
    }
  }
  return errs;
}
