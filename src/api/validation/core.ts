/**
 * Validation of the non-pod kinds kubeling serves: nodes, namespaces, configmaps, secrets, service
 * accounts, events (core/v1 legacy rules and events.k8s.io/v1), leases, and the apps/v1 workloads,
 * after pkg/apis/{core,coordination,apps}/validation.
 */
import type { ConfigMap, Deployment, Event, EventsV1Event, Lease, Namespace, Node, ReplicaSet, Secret } from '../types.ts';
import { type FieldError, duplicate, forbidden, invalid, notSupported, required, tooLong } from '../field-error.ts';
import { isConfigMapKey, isDNS1123Subdomain, isIPv4, isValidCIDR, isValidLabelValue, nameIsDNSLabel, nameIsDNSSubdomain } from './names.ts';
import { deepEqual, validateLabelName, validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate, validateQualifiedName } from './meta.ts';
import { validatePodSpec, validateTaintEffect } from './pod.ts';
import { tryParseQuantity } from '../quantity.ts';
import { labelSelectorFromObject } from '../selectors/label-selector.ts';

/** core.MaxSecretSize: 1 MiB for secret and configmap data. */
export const MAX_SECRET_SIZE = 1024 * 1024;

const STANDARD_FINALIZERS = ['kubernetes', 'orphan', 'foregroundDeletion'];

function base64Length(s: unknown): number {
  return typeof s === 'string' ? Buffer.from(s, 'base64').length : 0;
}

// --- namespaces -----------------------------------------------------------------------------

export function validateNamespace(ns: Namespace): FieldError[] {
  const errs = validateObjectMeta(ns.metadata, false, nameIsDNSLabel);
  for (const f of ns.spec?.finalizers ?? []) errs.push(...validateKubeFinalizerName(f, 'spec.finalizers'));
  return errs;
}

function validateKubeFinalizerName(f: string, path: string): FieldError[] {
  const errs = validateQualifiedName(f, path);
  if (!f.includes('/') && !STANDARD_FINALIZERS.includes(f)) errs.push(invalid(path, f, 'name is neither a standard finalizer name nor is it fully qualified'));
  return errs;
}

export function validateNamespaceUpdate(ns: Namespace, old: Namespace): FieldError[] {
  const errs = validateObjectMetaUpdate(ns.metadata, old.metadata);
  for (const f of ns.spec?.finalizers ?? []) errs.push(...validateKubeFinalizerName(f, 'spec.finalizers'));
  return errs;
}

// --- nodes ----------------------------------------------------------------------------------

function validateNodeTaints(node: Node): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  // Kubernetes reports node taints under metadata.taints (its fldPath is the metadata path).
  (node.spec?.taints ?? []).forEach((t, i) => {
    const p = `metadata.taints[${i}]`;
    errs.push(...validateLabelName(t.key, `${p}.key`));
    const msgs = isValidLabelValue(t.value ?? '');
    if (msgs.length) errs.push(invalid(`${p}.value`, t.value ?? '', msgs.join(';')));
    errs.push(...validateTaintEffect(t.effect, `${p}.effect`, false));
    const key = `${t.effect}\u0000${t.key}`;
    if (seen.has(key)) {
      const d = duplicate(p, t);
      errs.push({ ...d, message: `${d.message}: taints must be unique by key and effect pair` });
    } else seen.add(key);
  });
  return errs;
}

function validateNodeResources(node: Node): FieldError[] {
  const errs: FieldError[] = [];
  for (const kind of ['capacity', 'allocatable'] as const) {
    for (const [k, v] of Object.entries(node.status?.[kind] ?? {})) {
      const p = `status.${kind}.${k}`;
      const q = tryParseQuantity(v);
      if (!q) errs.push(invalid(p, v, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"));
      else if (q.nano < 0n) errs.push(invalid(p, q.toString(), 'must be greater than or equal to 0'));
    }
  }
  return errs;
}

function validatePodCIDRs(node: Node): FieldError[] {
  const errs: FieldError[] = [];
  const cidrs = node.spec?.podCIDRs ?? [];
  cidrs.forEach((c, i) => {
    if (!isValidCIDR(c)) errs.push(invalid(`spec.podCIDRs[${i}]`, c, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
  });
  if (cidrs.length > 1) {
    const v4 = cidrs.filter((c) => isIPv4(c.split('/')[0]!)).length;
    if (cidrs.length > 2 || v4 !== 1) errs.push(invalid('spec.podCIDRs', cidrs, 'may specify no more than one CIDR for each IP family'));
  }
  return errs;
}

export function validateNode(node: Node): FieldError[] {
  const errs = validateObjectMeta(node.metadata, false, nameIsDNSSubdomain);
  errs.push(...validateNodeTaints(node));
  errs.push(...validateNodeResources(node));
  errs.push(...validatePodCIDRs(node));
  return errs;
}

export function validateNodeUpdate(node: Node, old: Node): FieldError[] {
  const errs = validateObjectMetaUpdate(node.metadata, old.metadata);
  errs.push(...validateNodeResources(node));
  const seen: unknown[] = [];
  (node.status?.addresses ?? []).forEach((a, i) => {
    if (seen.some((s) => deepEqual(s, a))) errs.push(duplicate(`status.addresses[${i}]`, a));
    seen.push(a);
  });
  const oldCIDRs = old.spec?.podCIDRs ?? [];
  if (oldCIDRs.length > 0 && !deepEqual(oldCIDRs, node.spec?.podCIDRs ?? [])) {
    errs.push(forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
  }
  if (old.spec?.providerID && old.spec.providerID !== node.spec?.providerID) {
    errs.push(forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  }
  errs.push(...validateNodeTaints(node));
  errs.push(...validatePodCIDRs(node));
  return errs;
}

// --- configmaps and secrets -----------------------------------------------------------------

export function validateConfigMap(cm: ConfigMap): FieldError[] {
  const errs = validateObjectMeta(cm.metadata, true, nameIsDNSSubdomain);
  let total = 0;
  for (const [k, v] of Object.entries(cm.data ?? {})) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(`data[${k}]`, k, m));
    if (cm.binaryData && k in cm.binaryData) errs.push(invalid(`data[${k}]`, k, 'duplicate of key present in binaryData'));
    total += typeof v === 'string' ? Buffer.byteLength(v) : 0;
  }
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(`binaryData[${k}]`, k, m));
    total += base64Length(v);
  }
  if (total > MAX_SECRET_SIZE) errs.push(tooLong('', MAX_SECRET_SIZE));
  return errs;
}

export function validateConfigMapUpdate(cm: ConfigMap, old: ConfigMap): FieldError[] {
  const errs = validateObjectMetaUpdate(cm.metadata, old.metadata);
  if (old.immutable) {
    const msg = 'field is immutable when `immutable` is set';
    if (!cm.immutable) errs.push(forbidden('immutable', msg));
    if (!deepEqual(cm.data, old.data)) errs.push(forbidden('data', msg));
    if (!deepEqual(cm.binaryData, old.binaryData)) errs.push(forbidden('binaryData', msg));
  }
  errs.push(...validateConfigMap(cm));
  return errs;
}

export function validateSecret(s: Secret): FieldError[] {
  const errs = validateObjectMeta(s.metadata, true, nameIsDNSSubdomain);
  let total = 0;
  const data = s.data ?? {};
  for (const [k, v] of Object.entries(data)) {
    // Malformed base64 is a decode error (see decodeError), not a validation error.
    for (const m of isConfigMapKey(k)) errs.push(invalid(`data[${k}]`, k, m));
    total += base64Length(v);
  }
  if (total > MAX_SECRET_SIZE) errs.push(tooLong('data', MAX_SECRET_SIZE));
  const has = (k: string) => k in data;
  switch (s.type ?? '') {
    case 'kubernetes.io/service-account-token':
      if (!s.metadata?.annotations?.['kubernetes.io/service-account.name']) {
        errs.push(required('metadata.annotations[kubernetes.io/service-account.name]', ''));
      }
      break;
    case 'kubernetes.io/dockercfg':
      if (!has('.dockercfg')) errs.push(required('data[.dockercfg]', ''));
      break;
    case 'kubernetes.io/dockerconfigjson':
      if (!has('.dockerconfigjson')) errs.push(required('data[.dockerconfigjson]', ''));
      break;
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) {
        errs.push(required('data[username]', ''), required('data[password]', ''));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if (!base64Length(data['ssh-privatekey'])) errs.push(required('data[ssh-privatekey]', ''));
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) errs.push(required('data[tls.crt]', ''));
      if (!has('tls.key')) errs.push(required('data[tls.key]', ''));
      break;
    default:
      break;
  }
  return errs;
}

export function validateSecretUpdate(s: Secret, old: Secret): FieldError[] {
  const errs = validateObjectMetaUpdate(s.metadata, old.metadata);
  if ((s.type ?? '') !== (old.type ?? '')) errs.push(invalid('type', s.type ?? '', 'field is immutable'));
  if (old.immutable) {
    const msg = 'field is immutable when `immutable` is set';
    if (!s.immutable) errs.push(forbidden('immutable', msg));
    if (!deepEqual(s.data, old.data)) errs.push(forbidden('data', msg));
  }
  errs.push(...validateSecret(s));
  return errs;
}

// --- events ---------------------------------------------------------------------------------

const REPORTING_INSTANCE_LIMIT = 128;
const ACTION_LIMIT = 128;
const REASON_LIMIT = 128;
const NOTE_LIMIT = 1024;

/** Core v1 events keep the legacy rules (namespace agreement, sizes when eventTime is set). */
export function validateEvent(e: Event): FieldError[] {
  const errs: FieldError[] = [];
  const ns = e.metadata?.namespace ?? '';
  const involvedNs = e.involvedObject?.namespace ?? '';
  if (!e.metadata?.name) errs.push(required('metadata.name', 'name or generateName is required'));
  if (!e.eventTime) {
    if (!involvedNs) {
      if (ns !== '' && ns !== 'default') errs.push(invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
    } else if (ns !== involvedNs) {
      errs.push(invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
    }
  } else {
    if (!involvedNs && ns !== 'default' && ns !== 'kube-system') errs.push(invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
    errs.push(...validateEventReportingFields(e.reportingComponent ?? '', 'reportingComponent', e.reportingInstance, e.action, e.reason, e.message));
  }
  for (const m of isDNS1123Subdomain(ns)) errs.push(invalid('namespace', ns, m));
  return errs;
}

function validateEventReportingFields(controller: string, controllerField: string, instance?: string, action?: string, reason?: string, note?: string, noteField = 'message'): FieldError[] {
  const errs: FieldError[] = [];
  if (!controller) errs.push(required(controllerField, ''));
  errs.push(...validateQualifiedName(controller, controllerField));
  if (!instance) errs.push(required('reportingInstance', ''));
  if ((instance ?? '').length > REPORTING_INSTANCE_LIMIT) errs.push(invalid('reportingInstance', '', `can have at most ${REPORTING_INSTANCE_LIMIT} characters`));
  if (!action) errs.push(required('action', ''));
  if ((action ?? '').length > ACTION_LIMIT) errs.push(invalid('action', '', `can have at most ${ACTION_LIMIT} characters`));
  if (!reason) errs.push(required('reason', ''));
  if ((reason ?? '').length > REASON_LIMIT) errs.push(invalid('reason', '', `can have at most ${REASON_LIMIT} characters`));
  if ((note ?? '').length > NOTE_LIMIT) errs.push(invalid(noteField, '', `can have at most ${NOTE_LIMIT} characters`));
  return errs;
}

/** events.k8s.io/v1 events get the strict rules. */
export function validateEventsV1Event(e: EventsV1Event): FieldError[] {
  const errs = validateObjectMeta(e.metadata, true, nameIsDNSSubdomain);
  if (!e.eventTime) errs.push(required('eventTime', ''));
  if (e.type !== 'Normal' && e.type !== 'Warning') errs.push(invalid('type', '', `has invalid value: ${e.type ?? ''}`));
  if (e.deprecatedFirstTimestamp) errs.push(invalid('deprecatedFirstTimestamp', '', 'needs to be unset'));
  if (e.deprecatedLastTimestamp) errs.push(invalid('deprecatedLastTimestamp', '', 'needs to be unset'));
  if (e.deprecatedCount) errs.push(invalid('deprecatedCount', '', 'needs to be unset'));
  if (e.deprecatedSource?.component || e.deprecatedSource?.host) errs.push(invalid('deprecatedSource', '', 'needs to be unset'));
  errs.push(...validateEventReportingFields(e.reportingController ?? '', 'reportingController', e.reportingInstance, e.action, e.reason, e.note, 'note'));
  return errs;
}

/** ValidateTokenRequest (serviceaccounts/token). */
export function validateTokenRequest(tr: { spec?: { expirationSeconds?: number; audiences?: string[] } }): FieldError[] {
  const errs: FieldError[] = [];
  const exp = tr.spec?.expirationSeconds;
  if (exp !== undefined && exp < 600) errs.push(invalid('spec.expirationSeconds', exp, 'may not specify a duration less than 10 minutes'));
  if (exp !== undefined && exp > 2 ** 32) errs.push(invalid('spec.expirationSeconds', exp, 'may not specify a duration larger than 2^32 seconds'));
  return errs;
}

// --- leases, service accounts ---------------------------------------------------------------

export function validateLease(l: Lease): FieldError[] {
  const errs = validateObjectMeta(l.metadata, true, nameIsDNSSubdomain);
  const s = l.spec ?? {};
  if (s.leaseDurationSeconds !== undefined && s.leaseDurationSeconds <= 0) errs.push(invalid('spec.leaseDurationSeconds', s.leaseDurationSeconds, 'must be greater than 0'));
  if (s.leaseTransitions !== undefined && s.leaseTransitions < 0) errs.push(invalid('spec.leaseTransitions', s.leaseTransitions, 'must be greater than or equal to 0'));
  return errs;
}

// --- apps/v1 --------------------------------------------------------------------------------

/** The rules every pod-template workload shares (selector, template labels, pod spec, restartPolicy Always). */
export function validateWorkload(kind: string, obj: Deployment | ReplicaSet): FieldError[] {
  const errs = validateObjectMeta(obj.metadata, true, nameIsDNSSubdomain);
  const spec = obj.spec;
  if (spec?.replicas !== undefined && spec.replicas < 0) errs.push(invalid('spec.replicas', spec.replicas, 'must be greater than or equal to 0'));
  if (spec?.minReadySeconds !== undefined && spec.minReadySeconds < 0) errs.push(invalid('spec.minReadySeconds', spec.minReadySeconds, 'must be greater than or equal to 0'));
  const sel = spec?.selector;
  if (!sel) {
    errs.push(required('spec.selector', ''));
  } else {
    errs.push(...validateLabelSelector(sel, 'spec.selector'));
    if (!sel.matchLabels && !sel.matchExpressions?.length || (Object.keys(sel.matchLabels ?? {}).length === 0 && !sel.matchExpressions?.length)) {
      errs.push(invalid('spec.selector', sel, `empty selector is invalid for ${kind}`));
    }
  }
  const tmpl = spec?.template;
  if (!tmpl) {
    errs.push(required('spec.template', ''));
    return errs;
  }
  const labels = tmpl.metadata?.labels ?? {};
  if (sel) {
    try {
      if (!labelSelectorFromObject(sel).matches(labels)) {
        errs.push(invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
      }
    } catch {
      // selector errors were reported above
    }
  }
  errs.push(...validatePodSpec(tmpl.spec, 'spec.template.spec'));
  const rp = tmpl.spec?.restartPolicy;
  if (rp && rp !== 'Always') errs.push(notSupported('spec.template.spec.restartPolicy', rp, ['Always']));
  if (tmpl.spec?.activeDeadlineSeconds !== undefined) {
    errs.push(forbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in ReplicaSet is not Supported'));
  }
  return errs;
}

export function validateReplicaSet(rs: ReplicaSet): FieldError[] {
  return validateWorkload('ReplicaSet', rs);
}

export function validateDeployment(d: Deployment): FieldError[] {
  const errs = validateWorkload('deployment', d);
  const st = d.spec?.strategy;
  if (st?.type && !['Recreate', 'RollingUpdate'].includes(st.type)) errs.push(notSupported('spec.strategy.type', st.type, ['Recreate', 'RollingUpdate']));
  if (st?.type === 'Recreate' && st.rollingUpdate) errs.push(forbidden('spec.strategy.rollingUpdate', 'may not be specified when strategy `type` is \'Recreate\''));
  if (d.spec?.revisionHistoryLimit !== undefined && d.spec.revisionHistoryLimit < 0) {
    errs.push(invalid('spec.revisionHistoryLimit', d.spec.revisionHistoryLimit, 'must be greater than or equal to 0'));
  }
  const pds = d.spec?.progressDeadlineSeconds;
  if (pds !== undefined) {
    if (pds < 0) errs.push(invalid('spec.progressDeadlineSeconds', pds, 'must be greater than or equal to 0'));
    if (pds <= (d.spec?.minReadySeconds ?? 0)) errs.push(invalid('spec.progressDeadlineSeconds', pds, 'must be greater than minReadySeconds'));
  }
  return errs;
}

/** apps: the selector may not change after creation. */
export function validateSelectorImmutable(newSel: unknown, oldSel: unknown): FieldError[] {
  return deepEqual(newSel, oldSel) ? [] : [invalid('spec.selector', newSel, 'field is immutable')];
}

