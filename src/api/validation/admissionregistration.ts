/**
 * admissionregistration.k8s.io/v1 webhook configurations: upstream's defaults (SetDefaults_*Webhook:
 * failurePolicy Fail, matchPolicy Equivalent, empty selectors, timeoutSeconds 10, reinvocationPolicy Never, rule
 * scope `*`, service port 443) and validation (`pkg/apis/admissionregistration/validation`): webhook names are
 * fully qualified and unique, `sideEffects` and `admissionReviewVersions` are required, the client config has
 * exactly one of url (https) or service, timeouts are 1–30 s, and the enums take upstream's values.
 */
import type { MutatingWebhookConfiguration, RuleWithOperations, ValidatingWebhookConfiguration, WebhookClientConfig } from '../types.ts';
import { duplicate, invalid, notSupported, required, type FieldError } from '../field-error.ts';
import { validateLabelSelector, validateObjectMeta } from './meta.ts';
import { nameIsDNSSubdomain } from './names.ts';

type AnyWebhook = NonNullable<MutatingWebhookConfiguration['webhooks']>[number] & { reinvocationPolicy?: string };

export function defaultWebhookConfiguration(cfg: MutatingWebhookConfiguration | ValidatingWebhookConfiguration, mutating: boolean): void {
  for (const w of (cfg.webhooks ?? []) as AnyWebhook[]) {
    w.failurePolicy ??= 'Fail';
    w.matchPolicy ??= 'Equivalent';
    w.namespaceSelector ??= {};
    w.objectSelector ??= {};
    w.timeoutSeconds ??= 10;
    if (mutating) w.reinvocationPolicy ??= 'Never';
    for (const r of w.rules ?? []) r.scope ??= '*';
    if (w.clientConfig?.service) w.clientConfig.service.port ??= 443;
  }
}

const OPERATIONS = ['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE'];

function validateRule(r: RuleWithOperations, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!r.operations?.length) errs.push(required(`${path}.operations`));
  for (const [i, op] of (r.operations ?? []).entries()) {
    if (!OPERATIONS.includes(op)) errs.push(notSupported(`${path}.operations[${i}]`, op, OPERATIONS.slice(1).concat('*')));
  }
  if ((r.operations ?? []).length > 1 && r.operations!.includes('*')) errs.push(invalid(`${path}.operations`, r.operations, "if '*' is present, must not specify other operations"));
  if (!r.apiGroups?.length) errs.push(required(`${path}.apiGroups`));
  if ((r.apiGroups ?? []).length > 1 && r.apiGroups!.includes('*')) errs.push(invalid(`${path}.apiGroups`, r.apiGroups, "if '*' is present, must not specify other API groups"));
  if (!r.apiVersions?.length) errs.push(required(`${path}.apiVersions`));
  for (const [i, v] of (r.apiVersions ?? []).entries()) if (v === '') errs.push(required(`${path}.apiVersions[${i}]`));
  if (!r.resources?.length) errs.push(required(`${path}.resources`));
  for (const [i, res] of (r.resources ?? []).entries()) if (res === '') errs.push(required(`${path}.resources[${i}]`));
  if (r.scope !== undefined && !['*', 'Cluster', 'Namespaced'].includes(r.scope)) errs.push(notSupported(`${path}.scope`, r.scope, ['*', 'Cluster', 'Namespaced']));
  return errs;
}

function validateClientConfig(c: WebhookClientConfig | undefined, path: string): FieldError[] {
  if (!c || (c.url === undefined) === (c.service === undefined)) return [required(path, 'exactly one of url or service is required')];
  const errs: FieldError[] = [];
  if (c.url !== undefined) {
    let u: URL | undefined;
    try {
      u = new URL(c.url);
    } catch {
      errs.push(invalid(`${path}.url`, c.url, 'host must be specified'));
    }
    if (u && u.protocol !== 'https:') errs.push(invalid(`${path}.url`, c.url, "'https' is the only allowed URL scheme"));
    if (u && (u.hash || u.search)) errs.push(invalid(`${path}.url`, c.url, u.hash ? 'fragments are not permitted' : 'query parameters are not permitted'));
    if (u && (u.username || u.password)) errs.push(invalid(`${path}.url`, c.url, 'user information is not permitted in the URL'));
  } else {
    const s = c.service!;
    if (!s.name) errs.push(required(`${path}.service.name`, 'service name is required'));
    if (!s.namespace) errs.push(required(`${path}.service.namespace`, 'service namespace is required'));
    if (s.port !== undefined && (s.port < 1 || s.port > 65535)) errs.push(invalid(`${path}.service.port`, s.port, 'port is not valid: must be between 1 and 65535, inclusive'));
    if (s.path !== undefined && !s.path.startsWith('/')) errs.push(invalid(`${path}.service.path`, s.path, "must start with a '/'"));
  }
  return errs;
}

export function validateWebhookConfiguration(cfg: MutatingWebhookConfiguration | ValidatingWebhookConfiguration, mutating: boolean): FieldError[] {
  const errs = validateObjectMeta(cfg.metadata, false, nameIsDNSSubdomain);
  const seen = new Set<string>();
  for (const [i, w] of ((cfg.webhooks ?? []) as AnyWebhook[]).entries()) {
    const p = `webhooks[${i}]`;
    if (!w.name) errs.push(required(`${p}.name`));
    else if (nameIsDNSSubdomain(w.name, false).length) errs.push(...nameIsDNSSubdomain(w.name, false).map((m) => invalid(`${p}.name`, w.name, m)));
    else if (w.name.split('.').length < 3) errs.push(invalid(`${p}.name`, w.name, 'should be a domain with at least three segments separated by dots'));
    if (w.name && seen.has(w.name)) errs.push(duplicate(`${p}.name`, w.name));
    seen.add(w.name);
    for (const [j, r] of (w.rules ?? []).entries()) errs.push(...validateRule(r, `${p}.rules[${j}]`));
    if (!w.sideEffects) errs.push(required(`${p}.sideEffects`, 'must specify one of None, NoneOnDryRun'));
    else if (!['None', 'NoneOnDryRun'].includes(w.sideEffects)) errs.push(notSupported(`${p}.sideEffects`, w.sideEffects, ['None', 'NoneOnDryRun']));
    if (!w.admissionReviewVersions?.length) errs.push(required(`${p}.admissionReviewVersions`, 'must specify one of v1, v1beta1'));
    else if (!w.admissionReviewVersions.some((v) => v === 'v1' || v === 'v1beta1')) {
      errs.push(invalid(`${p}.admissionReviewVersions`, w.admissionReviewVersions, 'must include at least one of v1, v1beta1'));
    }
    if (w.failurePolicy !== undefined && !['Fail', 'Ignore'].includes(w.failurePolicy)) errs.push(notSupported(`${p}.failurePolicy`, w.failurePolicy, ['Fail', 'Ignore']));
    if (w.matchPolicy !== undefined && !['Equivalent', 'Exact'].includes(w.matchPolicy)) errs.push(notSupported(`${p}.matchPolicy`, w.matchPolicy, ['Equivalent', 'Exact']));
    if (mutating && w.reinvocationPolicy !== undefined && !['IfNeeded', 'Never'].includes(w.reinvocationPolicy)) {
      errs.push(notSupported(`${p}.reinvocationPolicy`, w.reinvocationPolicy, ['IfNeeded', 'Never']));
    }
    if (w.timeoutSeconds !== undefined && (w.timeoutSeconds < 1 || w.timeoutSeconds > 30)) {
      errs.push(invalid(`${p}.timeoutSeconds`, w.timeoutSeconds, 'the timeout value must be between 1 and 30 seconds'));
    }
    if (w.namespaceSelector) errs.push(...validateLabelSelector(w.namespaceSelector, `${p}.namespaceSelector`));
    if (w.objectSelector) errs.push(...validateLabelSelector(w.objectSelector, `${p}.objectSelector`));
    const conds = new Set<string>();
    for (const [j, c] of (w.matchConditions ?? []).entries()) {
      if (!c.name) errs.push(required(`${p}.matchConditions[${j}].name`));
      else if (conds.has(c.name)) errs.push(duplicate(`${p}.matchConditions[${j}].name`, c.name));
      conds.add(c.name);
      if (!c.expression) errs.push(required(`${p}.matchConditions[${j}].expression`));
    }
    errs.push(...validateClientConfig(w.clientConfig, `${p}.clientConfig`));
  }
  return errs;
}
