/**
 * Pod Security levels, policy versions and a namespace's policy from its labels (upstream's
 * `k8s.io/pod-security-admission/api`): `pod-security.kubernetes.io/{enforce,audit,warn}` name a level
 * (`privileged`, `baseline`, `restricted`) and the `-version` labels a policy version (`latest` or `v1.N`).
 * A bad label still yields a policy, as upstream: enforce falls back to `restricted:latest` (fail closed),
 * audit and warn to `privileged` (fail open), and the error names the label the way field.Invalid prints it.
 * Without a warn label, warn follows a stricter enforce label.
 */
import { invalid, type FieldError } from '../../../api/index.ts';

export type Level = 'privileged' | 'baseline' | 'restricted';
export const LEVELS: readonly Level[] = ['privileged', 'baseline', 'restricted'];

/** A policy version: `latest`, or `v1.<minor>`. */
export interface Version {
  readonly latest: boolean;
  readonly minor: number;
}

export const LATEST: Version = { latest: true, minor: 0 };
export const v1 = (minor: number): Version => ({ latest: false, minor });

export interface LevelVersion {
  level: Level;
  version: Version;
}

export interface Policy {
  enforce: LevelVersion;
  audit: LevelVersion;
  warn: LevelVersion;
}

export const LABEL_PREFIX = 'pod-security.kubernetes.io/';
export const ENFORCE_LEVEL_LABEL = `${LABEL_PREFIX}enforce`;
export const ENFORCE_VERSION_LABEL = `${LABEL_PREFIX}enforce-version`;
export const AUDIT_LEVEL_LABEL = `${LABEL_PREFIX}audit`;
export const AUDIT_VERSION_LABEL = `${LABEL_PREFIX}audit-version`;
export const WARN_LEVEL_LABEL = `${LABEL_PREFIX}warn`;
export const WARN_VERSION_LABEL = `${LABEL_PREFIX}warn-version`;

export function versionString(v: Version): string {
  return v.latest ? 'latest' : `v1.${v.minor}`;
}

export function levelVersionString(lv: LevelVersion): string {
  return `${lv.level}:${versionString(lv.version)}`;
}

/** True when `a` is older than `b`; `latest` is newer than every numbered version. */
export function older(a: Version, b: Version): boolean {
  if (a.latest) return false;
  if (b.latest) return true;
  return a.minor < b.minor;
}

export function sameLevelVersion(a: LevelVersion, b: LevelVersion): boolean {
  return a.level === b.level && a.version.latest === b.version.latest && a.version.minor === b.version.minor;
}

/** -1 when `a` is less strict than `b`, 0 when equal, 1 when stricter. */
export function compareLevels(a: Level, b: Level): number {
  return Math.sign(LEVELS.indexOf(a) - LEVELS.indexOf(b));
}

export function parseLevel(text: string): { level: Level; error?: string } {
  if ((LEVELS as readonly string[]).includes(text)) return { level: text as Level };
  return { level: 'restricted', error: `must be one of ${LEVELS.join(', ')}` };
}

const VERSION = /^v1\.([0-9]|[1-9][0-9]*)$/;

export function parseVersion(text: string): { version: Version; error?: string } {
  if (text === 'latest') return { version: LATEST };
  const m = VERSION.exec(text);
  if (!m) return { version: LATEST, error: 'must be "latest" or "v1.x"' };
  return { version: v1(Number(m[1])) };
}

export const PRIVILEGED_LATEST: Policy = {
  enforce: { level: 'privileged', version: LATEST },
  audit: { level: 'privileged', version: LATEST },
  warn: { level: 'privileged', version: LATEST },
};

/**
 * The policy a namespace's labels ask for, unlabelled modes taking `defaults`; always a usable policy, with
 * one field error per bad label (`metadata.labels[<label>]: Invalid value: "x": must be ...`).
 */
export function policyToEvaluate(labels: Record<string, string> | undefined, defaults: Policy = PRIVILEGED_LATEST): { policy: Policy; errors: FieldError[] } {
  const policy: Policy = { enforce: { ...defaults.enforce }, audit: { ...defaults.audit }, warn: { ...defaults.warn } };
  const errors: FieldError[] = [];
  if (!labels) return { policy, errors };
  const bad = (label: string, value: string, error: string | undefined) => {
    if (error) errors.push(invalid(`metadata.labels[${label}]`, value, error));
  };
  const mode = (lv: LevelVersion, levelLabel: string, versionLabel: string, failOpen: boolean) => {
    const level = labels[levelLabel];
    if (level !== undefined) {
      const r = parseLevel(level);
      lv.level = r.error && failOpen ? 'privileged' : r.level;
      bad(levelLabel, level, r.error);
    }
    const version = labels[versionLabel];
    if (version !== undefined) {
      const r = parseVersion(version);
      lv.version = r.version;
      bad(versionLabel, version, r.error);
    }
  };
  mode(policy.enforce, ENFORCE_LEVEL_LABEL, ENFORCE_VERSION_LABEL, false);
  mode(policy.audit, AUDIT_LEVEL_LABEL, AUDIT_VERSION_LABEL, true);
  mode(policy.warn, WARN_LEVEL_LABEL, WARN_VERSION_LABEL, true);
  // An enforce label stricter than the warn level, with no warn label, warns at the enforce level too (since
  // 1.26), so workloads get told what their pods will be refused for; with the enforce version unless a warn
  // version is set. A bad enforce label does not count.
  const enforceLabel = labels[ENFORCE_LEVEL_LABEL];
  if (enforceLabel !== undefined && !parseLevel(enforceLabel).error && !(WARN_LEVEL_LABEL in labels) && compareLevels(policy.enforce.level, policy.warn.level) > 0) {
    policy.warn.level = policy.enforce.level;
    if (!(WARN_VERSION_LABEL in labels)) policy.warn.version = policy.enforce.version;
  }
  return { policy, errors };
}
