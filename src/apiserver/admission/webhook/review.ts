/**
 * The AdmissionReview v1 round trip: the request a webhook gets (uid, kind, resource, subResource,
 * requestKind/requestResource, name, namespace, operation, userInfo, object, oldObject, dryRun, options) and the
 * checks on its answer as upstream's `webhook/request` package makes them (apiVersion and kind, the same uid,
 * a response present). A denial becomes upstream's status (`admission webhook "x" denied the request: …`, code
 * from the webhook's status, at least 400).
 */
import { randomUUID } from 'node:crypto';
import type { KubeObject } from '../../../api/index.ts';
import { ApiError, type StatusReason } from '../../status.ts';
import type { AdmissionAttributes } from '../chain.ts';

export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  requestKind: { group: string; version: string; kind: string };
  requestResource: { group: string; version: string; resource: string };
  requestSubResource?: string;
  name?: string;
  namespace?: string;
  operation: string;
  userInfo: { username: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  object: KubeObject | null;
  oldObject: KubeObject | null;
  dryRun: boolean;
  options: Record<string, unknown> | null;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code?: number; message?: string; reason?: string; status?: string; details?: unknown };
  patch?: string;
  patchType?: string;
  auditAnnotations?: Record<string, string>;
  warnings?: string[];
}

const OPTIONS_KIND: Record<string, string> = { CREATE: 'CreateOptions', UPDATE: 'UpdateOptions', DELETE: 'DeleteOptions' };

export function buildRequest(a: AdmissionAttributes): AdmissionRequest {
  const r = a.resource;
  const kind = { group: r.group, version: r.version, kind: r.kind };
  const resource = { group: r.group, version: r.version, resource: r.plural };
  const optionsKind = OPTIONS_KIND[a.operation];
  const user = a.userInfo;
  return {
    uid: randomUUID(),
    kind, resource, requestKind: kind, requestResource: resource,
    ...(a.subresource ? { subResource: a.subresource, requestSubResource: a.subresource } : {}),
    ...(a.name ? { name: a.name } : {}),
    ...(a.namespace ? { namespace: a.namespace } : {}),
    operation: a.operation,
    userInfo: {
      username: user?.name ?? a.user,
      ...(user?.uid ? { uid: user.uid } : {}),
      groups: user?.groups ?? a.groups ?? [],
      ...(user?.extra && Object.keys(user.extra).length ? { extra: user.extra } : {}),
    },
    object: a.object ?? null,
    oldObject: a.oldObject ?? null,
    dryRun: a.dryRun,
    options: optionsKind ? { kind: optionsKind, apiVersion: 'meta.k8s.io/v1', ...(a.dryRun ? { dryRun: ['All'] } : {}) } : null,
  };
}

export function reviewBody(request: AdmissionRequest): unknown {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request };
}

/** Checks the webhook's answer; throws Error with upstream's text when it is malformed. */
export function readResponse(body: unknown, uid: string): AdmissionResponse {
  const b = (body ?? {}) as { apiVersion?: string; kind?: string; response?: AdmissionResponse };
  if (b.apiVersion !== 'admission.k8s.io/v1' || b.kind !== 'AdmissionReview') {
    throw new Error(`expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${b.apiVersion ?? ''}, Kind=${b.kind ?? ''}`);
  }
  if (!b.response) throw new Error('webhook response was absent');
  if (b.response.uid !== uid) throw new Error(`expected response.uid="${uid}", got "${b.response.uid ?? ''}"`);
  return b.response;
}

/** webhookerrors.ToStatusErr: the error a denial is returned as. */
export function denial(webhook: string, status: AdmissionResponse['status']): ApiError {
  const deniedBy = `admission webhook "${webhook}" denied the request`;
  const code = status?.code !== undefined && status.code >= 400 ? status.code : 400;
  const message = status?.message ? `${deniedBy}: ${status.message}` : status?.reason ? `${deniedBy}: ${status.reason}` : `${deniedBy} without explanation`;
  return new ApiError(code, (status?.reason ?? '') as StatusReason, message, status?.details as never);
}
