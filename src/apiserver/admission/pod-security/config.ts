/**
 * The PodSecurity plugin's configuration (`PodSecurityConfiguration`, `pod-security.admission.config.k8s.io/v1`):
 * the policy of namespaces without labels (`defaults`, every mode `privileged:latest` unless set) and the
 * requests it never checks (`exemptions`: usernames, runtimeClasses, namespaces; none by default). It comes from
 * kube-apiserver's `--admission-control-config-file`, an `AdmissionConfiguration` whose `PodSecurity` plugin
 * entry holds it inline (`configuration`) or names a file (`path`, relative to the config file); a file that is
 * itself a PodSecurityConfiguration is taken as well. Parsing only: the caller reads the files.
 */
import { parse } from 'yaml';
import { LEVELS, PRIVILEGED_LATEST, parseLevel, parseVersion, type LevelVersion, type Policy } from './levels.ts';

export interface PodSecurityConfig {
  defaults: Policy;
  exemptions: { usernames: string[]; runtimeClasses: string[]; namespaces: string[] };
}

export const DEFAULT_POD_SECURITY_CONFIG: PodSecurityConfig = {
  defaults: PRIVILEGED_LATEST,
  exemptions: { usernames: [], runtimeClasses: [], namespaces: [] },
};

const POD_SECURITY_GROUP = 'pod-security.admission.config.k8s.io/';
const API_VERSIONS = ['v1', 'v1beta1', 'v1alpha1'].map((v) => POD_SECURITY_GROUP + v);
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks and completes a decoded PodSecurityConfiguration; throws one error listing every problem. */
export function podSecurityConfigFrom(doc: unknown): PodSecurityConfig {
  if (!isObj(doc)) throw new Error('PodSecurityConfiguration: not an object');
  if (doc.kind !== 'PodSecurityConfiguration' || !API_VERSIONS.includes(String(doc.apiVersion))) {
    throw new Error(`expected apiVersion ${API_VERSIONS[0]}, kind PodSecurityConfiguration; got ${String(doc.apiVersion)}, ${String(doc.kind)}`);
  }
  const errors: string[] = [];
  const defaults = isObj(doc.defaults) ? doc.defaults : {};
  const mode = (name: 'enforce' | 'audit' | 'warn'): LevelVersion => {
    const out: LevelVersion = { ...PRIVILEGED_LATEST[name] };
    const level = defaults[name];
    if (level !== undefined && level !== '') {
      const r = parseLevel(String(level));
      if (r.error) errors.push(`defaults.${name}: Invalid value: ${JSON.stringify(level)}: must be one of ${LEVELS.join(', ')}`);
      else out.level = r.level;
    }
    const version = defaults[`${name}-version`];
    if (version !== undefined && version !== '') {
      const r = parseVersion(String(version));
      if (r.error) errors.push(`defaults.${name}-version: Invalid value: ${JSON.stringify(version)}: ${r.error}`);
      else out.version = r.version;
    }
    return out;
  };
  const policy: Policy = { enforce: mode('enforce'), audit: mode('audit'), warn: mode('warn') };
  const exemptions = isObj(doc.exemptions) ? doc.exemptions : {};
  const list = (field: 'usernames' | 'runtimeClasses' | 'namespaces', check: (v: string) => string | undefined): string[] => {
    const raw = exemptions[field];
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw)) {
      errors.push(`exemptions.${field}: Invalid value: must be a list of strings`);
      return [];
    }
    const seen = new Set<string>();
    raw.forEach((v, i) => {
      const s = String(v);
      const problem = check(s);
      if (problem) errors.push(`exemptions.${field}[${i}]: Invalid value: ${JSON.stringify(s)}: ${problem}`);
      else if (seen.has(s)) errors.push(`exemptions.${field}[${i}]: Duplicate value: ${JSON.stringify(s)}`);
      seen.add(s);
    });
    return [...seen];
  };
  const dnsLabel = (s: string) => (NAME.test(s) && s.length <= 63 ? undefined : 'a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\'');
  const result: PodSecurityConfig = {
    defaults: policy,
    exemptions: {
      usernames: list('usernames', (s) => (s.trim() === '' ? 'username must not be empty' : undefined)),
      runtimeClasses: list('runtimeClasses', (s) => (s === '' ? 'must not be empty' : undefined)),
      namespaces: list('namespaces', dnsLabel),
    },
  };
  if (errors.length) throw new Error(`invalid PodSecurity configuration: ${errors.join(', ')}`);
  return result;
}

/**
 * The PodSecurity configuration in an `--admission-control-config-file` (YAML or JSON), or undefined when the
 * file configures other plugins only. `readFile` reads a plugin's `path`, resolved against the config file.
 */
export function podSecurityConfigFromAdmissionFile(text: string, readFile: (path: string) => string): PodSecurityConfig | undefined {
  const doc: unknown = parse(text);
  if (!isObj(doc)) throw new Error('admission control config file: not an object');
  if (doc.kind === 'PodSecurityConfiguration') return podSecurityConfigFrom(doc);
  if (doc.kind !== 'AdmissionConfiguration') {
    throw new Error(`admission control config file: expected kind AdmissionConfiguration (apiserver.config.k8s.io/v1), got ${String(doc.kind)}`);
  }
  const plugins = Array.isArray(doc.plugins) ? doc.plugins : [];
  const entry = plugins.find((p): p is Obj => isObj(p) && p.name === 'PodSecurity');
  if (!entry) return undefined;
  if (entry.configuration !== undefined) return podSecurityConfigFrom(entry.configuration);
  if (typeof entry.path === 'string' && entry.path) return podSecurityConfigFrom(parse(readFile(entry.path)));
  return DEFAULT_POD_SECURITY_CONFIG;
}
