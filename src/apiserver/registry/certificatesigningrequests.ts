/**
 * The CertificateSigningRequest strategy (upstream's pkg/registry/certificates/certificates/strategy.go):
 * a new request starts with an empty status (its requester comes from admission, csr-requester.ts); the main
 * resource changes only metadata; `status` (the signer's) sets the certificate and conditions but keeps the
 * Approved and Denied conditions as they were; `approval` (an approver's) changes only the conditions, and
 * stamps each new or changed one with the time.
 */
import type { CertificateSigningRequest, KubeObject, ResourceInfo } from '../../api/index.ts';
import {
  validateCertificateSigningRequest, validateCertificateSigningRequestApprovalUpdate, validateCertificateSigningRequestStatusUpdate,
  validateCertificateSigningRequestUpdate,
} from '../../api/index.ts';
import { baseStrategy } from './base.ts';
import type { Strategy } from './strategy.ts';

type Csr = CertificateSigningRequest;
type Condition = NonNullable<NonNullable<Csr['status']>['conditions']>[number];
const APPROVAL_TYPES = new Set(['Approved', 'Denied']);

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

/** New or changed conditions get lastUpdateTime, and lastTransitionTime when their status moved. */
function stampConditions(conditions: Condition[] | undefined, old: Condition[] | undefined): void {
  for (const c of conditions ?? []) {
    const before = old?.find((o) => o.type === c.type);
    if (!c.lastUpdateTime) c.lastUpdateTime = now();
    if (!c.lastTransitionTime) c.lastTransitionTime = before && before.status === c.status && before.lastTransitionTime ? before.lastTransitionTime : now();
  }
}

export function certificateSigningRequestStrategy(info: ResourceInfo): Strategy {
  return baseStrategy(info, {
    hasStatusSubresource: true,
    prepareForCreate(obj: KubeObject) {
      obj.status = {};
    },
    prepareForUpdate(obj: KubeObject, old: KubeObject) {
      obj.spec = structuredClone(old.spec);
      obj.status = structuredClone(old.status);
    },
    prepareForStatusUpdate(obj: KubeObject, old: KubeObject) {
      const status = (obj as unknown as Csr).status ?? {};
      for (const k of Object.keys(obj)) delete obj[k];
      Object.assign(obj, structuredClone(old));
      const oldConditions = (old as unknown as Csr).status?.conditions ?? [];
      const conditions = [
        ...(status.conditions ?? []).filter((c) => !APPROVAL_TYPES.has(c.type)),
        ...oldConditions.filter((c) => APPROVAL_TYPES.has(c.type)),
      ];
      stampConditions(conditions, oldConditions);
      obj.status = { ...status, conditions };
      if (!conditions.length) delete (obj.status as { conditions?: unknown }).conditions;
    },
    prepareForSubresourceUpdate(sub: string, obj: KubeObject, old: KubeObject) {
      if (sub !== 'approval') return;
      const conditions = (obj as unknown as Csr).status?.conditions;
      const metadata = obj.metadata;
      for (const k of Object.keys(obj)) delete obj[k];
      Object.assign(obj, structuredClone(old));
      obj.metadata = metadata;
      const status = { ...(structuredClone(old.status) as Csr['status']) };
      stampConditions(conditions, (old as unknown as Csr).status?.conditions);
      if (conditions?.length) status!.conditions = conditions;
      else delete status!.conditions;
      obj.status = status;
    },
    validate: (obj) => validateCertificateSigningRequest(obj as unknown as Csr),
    validateUpdate: (obj, old) => validateCertificateSigningRequestUpdate(obj as unknown as Csr, old as unknown as Csr),
    validateStatusUpdate: (obj, old) => validateCertificateSigningRequestStatusUpdate(obj as unknown as Csr, old as unknown as Csr),
    validateSubresourceUpdate: (sub, obj, old) =>
      sub === 'approval' ? validateCertificateSigningRequestApprovalUpdate(obj as unknown as Csr, old as unknown as Csr) : [],
  });
}
