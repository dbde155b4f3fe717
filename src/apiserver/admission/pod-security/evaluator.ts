/**
 * Picks and runs the checks for a level and version (upstream's policy registry): `privileged` runs none;
 * `baseline` runs the baseline checks; `restricted` runs the restricted checks plus the baseline checks they do
 * not override. Each check runs the newest implementation whose minimum version is at or below the asked
 * version (`latest` and versions past the newest check take the newest). Checks run in upstream's order
 * (baseline ids sorted, then restricted ids sorted), so messages list reasons exactly as Kubernetes does.
 */
import type { ObjectMeta, PodSpec } from '../../../api/index.ts';
import { CHECKS, type Check, type CheckPod, type CheckResult } from './checks.ts';
import type { LevelVersion } from './levels.ts';

export interface AggregateResult {
  allowed: boolean;
  reasons: string[];
  details: string[];
}

const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export class Evaluator {
  readonly #checks: readonly Check[];
  readonly #order: string[];
  readonly #maxMinor: number;
  readonly #cache = new Map<string, CheckPod[]>();

  constructor(checks: readonly Check[] = CHECKS) {
    this.#checks = checks;
    const ids = (level: string) => checks.filter((c) => c.level === level).map((c) => c.id).sort(byteOrder);
    this.#order = [...ids('baseline'), ...ids('restricted')];
    this.#maxMinor = Math.max(0, ...checks.flatMap((c) => c.versions.map((v) => v.minimumMinor)));
  }

  /** The check functions for a level and version, in message order. */
  checksFor(lv: LevelVersion): CheckPod[] {
    if (lv.level === 'privileged') return [];
    const minor = lv.version.latest ? this.#maxMinor : Math.min(lv.version.minor, this.#maxMinor);
    const key = `${lv.level}:${minor}`;
    let fns = this.#cache.get(key);
    if (fns) return fns;
    const active = new Map<string, { check: Check; version: Check['versions'][number] }>();
    for (const check of this.#checks) {
      if (lv.level === 'baseline' && check.level !== 'baseline') continue;
      const version = check.versions.findLast((v) => v.minimumMinor <= minor);
      if (version) active.set(check.id, { check, version });
    }
    if (lv.level === 'restricted') {
      for (const { check, version } of [...active.values()]) {
        if (check.level === 'restricted') for (const id of version.overrides ?? []) active.delete(id);
      }
    }
    fns = this.#order.filter((id) => active.has(id)).map((id) => active.get(id)!.version.check);
    this.#cache.set(key, fns);
    return fns;
  }

  evaluate(lv: LevelVersion, meta: ObjectMeta, spec: PodSpec): AggregateResult {
    return aggregate(this.checksFor(lv).map((check) => check(meta, spec)));
  }
}

export function aggregate(results: readonly CheckResult[]): AggregateResult {
  const reasons: string[] = [];
  const details: string[] = [];
  for (const r of results) {
    if (r.allowed) continue;
    reasons.push(r.forbiddenReason || 'unknown forbidden reason');
    details.push(r.forbiddenDetail ?? '');
  }
  return { allowed: reasons.length === 0, reasons, details };
}

/** `reason (detail), reason, ...`: the text after `violates PodSecurity "level:version": `. */
export function forbiddenDetail(r: AggregateResult): string {
  return r.reasons.map((reason, i) => (r.details[i] ? `${reason} (${r.details[i]})` : reason)).join(', ');
}

/** `reason, reason`: the per-pod text of the existing-pods warning. */
export function forbiddenReason(r: AggregateResult): string {
  return r.reasons.join(', ');
}
