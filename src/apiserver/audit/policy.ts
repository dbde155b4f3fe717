/**
 * The audit policy (`--audit-policy-file`, an `audit.k8s.io/v1` `Policy`): which requests are logged and how
 * much of them. `parsePolicy` reads and validates the file with upstream's messages (a level is required and
 * one of None/Metadata/Request/RequestResponse, non-resource URLs start with `/` and may end in `*`, a rule
 * is about resources or about non-resource URLs, never both, at least one rule). `levelFor` is upstream's
 * policy checker: the first rule whose every stated field matches the request's authorization attributes
 * decides; no match means `None`. Pure: no I/O (the caller reads the file).
 */
import { parse as parseYaml } from 'yaml';
import type { Attributes } from '../authz/authorizer.ts';

export const LEVELS = ['None', 'Metadata', 'Request', 'RequestResponse'] as const;
export type Level = (typeof LEVELS)[number];
export const STAGES = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'] as const;
export type Stage = (typeof STAGES)[number];

export interface GroupResources {
  /** The API group; '' is the core group. */
  group: string;
  /** Resource names: `resource/subresource`, a lone star, star-slash-subresource or resource-slash-star; empty = every resource. */
  resources: string[];
  resourceNames: string[];
}

export interface PolicyRule {
  level: Level;
  users: string[];
  userGroups: string[];
  verbs: string[];
  resources: GroupResources[];
  namespaces: string[];
  nonResourceURLs: string[];
  omitStages: Stage[];
  omitManagedFields?: boolean;
}

export interface Policy {
  rules: PolicyRule[];
  omitStages: Stage[];
  omitManagedFields: boolean;
}

/** What the policy says about one request. */
export interface RequestAuditConfig {
  level: Level;
  omitStages: ReadonlySet<Stage>;
  omitManagedFields: boolean;
}

export class PolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyError';
  }
}

/** Whether `level` records at least as much as `min`. */
export function levelAtLeast(level: Level, min: Level): boolean {
  return LEVELS.indexOf(level) >= LEVELS.indexOf(min);
}

/**
 * Parses a policy file's text (YAML or JSON). `file` only names the file in errors, the way upstream's
 * LoadPolicyFromFile suffixes them (`...: from file FILE`).
 */
export function parsePolicy(text: string, file: string): Policy {
  try {
    return decodePolicy(text);
  } catch (err) {
    if (err instanceof PolicyError) throw new PolicyError(`${err.message}: from file ${file}`);
    throw err;
  }
}

function decodePolicy(text: string): Policy {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new PolicyError(`failed decoding: ${(err as Error).message}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new PolicyError('failed decoding: Object \'Kind\' is missing in the policy');
  const o = doc as Record<string, unknown>;
  if (typeof o.kind !== 'string' || o.kind === '') throw new PolicyError(`failed decoding: Object 'Kind' is missing in ${JSON.stringify(text.trim())}`);
  if (o.apiVersion !== 'audit.k8s.io/v1' || o.kind !== 'Policy') {
    throw new PolicyError(`failed decoding: no kind ${JSON.stringify(o.kind)} is registered for version ${JSON.stringify(o.apiVersion ?? '')} in scheme "k8s.io/apiserver/pkg/audit/scheme.go:30"`);
  }
  const errors: string[] = [];
  const rules = arrayOf(o.rules, 'rules').map((r, i) => decodeRule(r, `rules[${i}]`, errors));
  const omitStages = validateStages(stringsOf(o.omitStages, 'omitStages'), 'omitStages', errors);
  if (errors.length === 1) throw new PolicyError(errors[0]!);
  if (errors.length > 1) throw new PolicyError(`[${errors.join(', ')}]`);
  if (rules.length === 0) throw new PolicyError('loaded illegal policy with 0 rules');
  return { rules, omitStages, omitManagedFields: boolOf(o.omitManagedFields, 'omitManagedFields') ?? false };
}

function decodeRule(value: unknown, path: string, errors: string[]): PolicyRule {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw decodeError(path, 'an object', value);
  const r = value as Record<string, unknown>;
  const level = r.level === undefined || r.level === null ? '' : r.level;
  if (typeof level !== 'string') throw decodeError(`${path}.level`, 'a string', level);
  if (level === '') errors.push(`${path}.level: Required value`);
  else if (!(LEVELS as readonly string[]).includes(level)) {
    errors.push(`${path}.level: Unsupported value: ${JSON.stringify(level)}: supported values: ${LEVELS.map((l) => JSON.stringify(l)).join(', ')}`);
  }
  const nonResourceURLs = stringsOf(r.nonResourceURLs, `${path}.nonResourceURLs`);
  nonResourceURLs.forEach((url, i) => {
    if (url === '*') return;
    if (!url.startsWith('/')) errors.push(`${path}.nonResourceURLs[${i}]: Invalid value: ${JSON.stringify(url)}: non-resource URL rules must begin with a '/' character`);
    if (url !== '' && url.slice(0, -1).includes('*')) {
      errors.push(`${path}.nonResourceURLs[${i}]: Invalid value: ${JSON.stringify(url)}: non-resource URL wildcards '*' must be the final character of the rule`);
    }
  });
  const resources = arrayOf(r.resources, `${path}.resources`).map((g, i) => decodeGroupResources(g, `${path}.resources[${i}]`));
  for (const g of resources) {
    if (g.group !== '' && !isDnsSubdomain(g.group)) {
      errors.push(`${path}.resources.group: Invalid value: ${JSON.stringify(g.group)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`);
    }
    if (g.resourceNames.length > 0 && g.resources.length === 0) {
      errors.push(`${path}.resources.resourceNames: Invalid value: ${goStrings(g.resourceNames)}: using resourceNames requires at least one resource`);
    }
  }
  const omitStages = validateStages(stringsOf(r.omitStages, `${path}.omitStages`), `${path}.omitStages`, errors);
  const namespaces = stringsOf(r.namespaces, `${path}.namespaces`);
  if (nonResourceURLs.length > 0 && (resources.length > 0 || namespaces.length > 0)) {
    errors.push(`${path}.nonResourceURLs: Invalid value: ${goStrings(nonResourceURLs)}: rules cannot apply to both regular resources and non-resource URLs`);
  }
  const rule: PolicyRule = {
    level: level as Level,
    users: stringsOf(r.users, `${path}.users`),
    userGroups: stringsOf(r.userGroups, `${path}.userGroups`),
    verbs: stringsOf(r.verbs, `${path}.verbs`),
    resources,
    namespaces,
    nonResourceURLs,
    omitStages,
  };
  const omitManagedFields = boolOf(r.omitManagedFields, `${path}.omitManagedFields`);
  if (omitManagedFields !== undefined) rule.omitManagedFields = omitManagedFields;
  return rule;
}

function decodeGroupResources(value: unknown, path: string): GroupResources {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw decodeError(path, 'an object', value);
  const g = value as Record<string, unknown>;
  const group = g.group ?? '';
  if (typeof group !== 'string') throw decodeError(`${path}.group`, 'a string', group);
  return { group, resources: stringsOf(g.resources, `${path}.resources`), resourceNames: stringsOf(g.resourceNames, `${path}.resourceNames`) };
}

function validateStages(stages: string[], path: string, errors: string[]): Stage[] {
  stages.forEach((s, i) => {
    if (!(STAGES as readonly string[]).includes(s)) errors.push(`${path}[${i}]: Invalid value: ${JSON.stringify(s)}: allowed stages are ${STAGES.join(',')}`);
  });
  return stages.filter((s): s is Stage => (STAGES as readonly string[]).includes(s));
}

function decodeError(path: string, want: string, value: unknown): PolicyError {
  return new PolicyError(`failed decoding: ${path}: expected ${want}, got ${JSON.stringify(value)}`);
}

function arrayOf(value: unknown, path: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw decodeError(path, 'an array', value);
  return value;
}

function stringsOf(value: unknown, path: string): string[] {
  return arrayOf(value, path).map((v, i) => {
    if (typeof v !== 'string') throw decodeError(`${path}[${i}]`, 'a string', v);
    return v;
  });
}

function boolOf(value: unknown, path: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw decodeError(path, 'a boolean', value);
  return value;
}

/** A string slice as Go's %#v prints it in field errors: []string{"a", "b"}. */
function goStrings(values: string[]): string {
  return `[]string{${values.map((v) => JSON.stringify(v)).join(', ')}}`;
}

function isDnsSubdomain(s: string): boolean {
  return s.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(s);
}

/**
 * The level, the stages to leave out and whether to drop managedFields for a request: the first rule that
 * matches decides (its omitStages joined with the policy's), else `None`.
 */
export function levelFor(policy: Policy, a: Attributes): RequestAuditConfig {
  for (const rule of policy.rules) {
    if (ruleMatches(rule, a)) {
      return {
        level: rule.level,
        omitStages: new Set([...policy.omitStages, ...rule.omitStages]),
        omitManagedFields: rule.omitManagedFields ?? policy.omitManagedFields,
      };
    }
  }
  return { level: 'None', omitStages: new Set(policy.omitStages), omitManagedFields: policy.omitManagedFields };
}

function ruleMatches(r: PolicyRule, a: Attributes): boolean {
  // A request whose authentication failed has no user: rules about users never match it.
  const user = a.user.name === '' ? undefined : a.user;
  if (r.users.length > 0 && (!user || !r.users.includes(user.name))) return false;
  if (r.userGroups.length > 0 && (!user || !user.groups.some((g) => r.userGroups.includes(g)))) return false;
  if (r.verbs.length > 0 && !r.verbs.includes(a.verb)) return false;
  if (r.namespaces.length > 0 || r.resources.length > 0) return resourceMatches(r, a);
  if (r.nonResourceURLs.length > 0) return !a.resourceRequest && r.nonResourceURLs.some((spec) => pathMatches(a.path, spec));
  return true;
}

function pathMatches(path: string, spec: string): boolean {
  if (spec === '*' || spec === path) return true;
  return spec.endsWith('*') && path.startsWith(spec.replace(/\*+$/, ''));
}

function resourceMatches(r: PolicyRule, a: Attributes): boolean {
  if (!a.resourceRequest) return false;
  // Cluster-scoped resources have the namespace ''.
  if (r.namespaces.length > 0 && !r.namespaces.includes(a.namespace)) return false;
  if (r.resources.length === 0) return true;
  const sub = a.subresource;
  const combined = sub ? `${a.resource}/${sub}` : a.resource;
  for (const gr of r.resources) {
    if (gr.group !== a.apiGroup) continue;
    if (gr.resources.length === 0) return true;
    if (gr.resourceNames.length > 0 && !gr.resourceNames.includes(a.name)) continue;
    for (const res of gr.resources) {
      if (res === combined || res === '*') return true;
      if (sub && res.startsWith('*/') && res.slice(2) === sub) return true;
      if (res.endsWith('/*') && res.slice(0, -2) === a.resource) return true;
    }
  }
  return false;
}
