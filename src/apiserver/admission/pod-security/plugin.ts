/**
 * The PodSecurity admission plugin (kube-apiserver's, over `k8s.io/pod-security-admission`), in the validating
 * phase of CREATE and UPDATE:
 * - pods: the namespace's `enforce` level refuses a violating pod with 403 (`pods "x" is forbidden: violates
 *   PodSecurity "restricted:latest": ...`), `audit` records `pod-security.kubernetes.io/audit-violations` on the
 *   request's audit annotations, `warn` adds a `Warning` (`would violate PodSecurity ...`). Updates are checked
 *   again only when something a check could see may have changed (containers added or removed, an image, the
 *   seccomp annotations, a new ephemeral container); status, binding, exec and the like never.
 * - workloads (Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs, CronJobs, ReplicationControllers,
 *   PodTemplates): their pod template gets audit and warn, never enforce, as upstream.
 * - namespaces: bad PodSecurity labels are refused (422); making `enforce` stricter warns about the existing
 *   pods that violate the new level, one line per distinct set of reasons (also under dryRun).
 * Exempt usernames, namespaces and runtimeClasses from the configuration pass unchecked, with an `exempt`
 * audit annotation; PodSecurity labels on an exempt namespace get a warning that they are ignored.
 */
import type { KubeObject, ObjectMeta, Pod, PodSpec, PodTemplateSpec } from '../../../api/index.ts';
import { fieldErrorText, type FieldError } from '../../../api/index.ts';
import type { AdmissionAttributes, AdmissionLookup, AdmissionPlugin } from '../chain.ts';
import { forbidden, invalid } from '../../status.ts';
import { DEFAULT_POD_SECURITY_CONFIG, type PodSecurityConfig } from './config.ts';
import { Evaluator, forbiddenDetail, forbiddenReason, type AggregateResult } from './evaluator.ts';
import {
  AUDIT_LEVEL_LABEL, AUDIT_VERSION_LABEL, ENFORCE_LEVEL_LABEL, ENFORCE_VERSION_LABEL, WARN_LEVEL_LABEL, WARN_VERSION_LABEL,
  compareLevels, levelVersionString, policyToEvaluate, sameLevelVersion, type LevelVersion, type Policy,
} from './levels.ts';

export const AUDIT_ANNOTATION_PREFIX = 'pod-security.kubernetes.io/';

/** Pod subresources that cannot change what the checks see. */
const IGNORED_POD_SUBRESOURCES = new Set(['exec', 'attach', 'binding', 'eviction', 'log', 'portforward', 'proxy', 'status', 'resize']);

/** The shapes of the workloads' pod templates (CronJobs nest theirs in the Job template). */
interface Workload {
  template?: PodTemplateSpec;
  spec?: { template?: PodTemplateSpec; jobTemplate?: { spec?: { template?: PodTemplateSpec } } };
}

/** Where each workload keeps its pod template. */
const TEMPLATES: Record<string, (o: Workload) => PodTemplateSpec | undefined> = {
  '/replicationcontrollers': (o) => o.spec?.template,
  '/podtemplates': (o) => o.template,
  'apps/replicasets': (o) => o.spec?.template,
  'apps/deployments': (o) => o.spec?.template,
  'apps/statefulsets': (o) => o.spec?.template,
  'apps/daemonsets': (o) => o.spec?.template,
  'batch/jobs': (o) => o.spec?.template,
  'batch/cronjobs': (o) => o.spec?.jobTemplate?.spec?.template,
};

/** At most this many existing pods are checked when a namespace's enforce level changes. */
const MAX_PODS_TO_CHECK = 3000;

function aggregateErrorText(errors: readonly FieldError[]): string {
  const texts = errors.map(fieldErrorText);
  return texts.length === 1 ? texts[0]! : `[${texts.join(', ')}]`;
}

export class PodSecurity implements AdmissionPlugin {
  readonly name = 'PodSecurity';
  readonly #lookup: AdmissionLookup;
  readonly #config: PodSecurityConfig;
  readonly #evaluator: Evaluator;

  constructor(lookup: AdmissionLookup, config: PodSecurityConfig = DEFAULT_POD_SECURITY_CONFIG, evaluator = new Evaluator()) {
    this.#lookup = lookup;
    this.#config = config;
    this.#evaluator = evaluator;
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return;
    const gr = `${a.resource.group}/${a.resource.plural}`;
    if (gr === '/namespaces') return this.#validateNamespace(a);
    if (gr === '/pods') return this.#validatePod(a);
    const template = TEMPLATES[gr];
    if (template) return this.#validateWorkload(a, template);
  }

  #policy(labels: Record<string, string> | undefined): { policy: Policy; errors: FieldError[] } {
    return policyToEvaluate(labels, this.#config.defaults);
  }

  async #validateNamespace(a: AdmissionAttributes): Promise<void> {
    if (a.subresource || !a.object) return;
    const { policy, errors } = this.#policy(a.object.metadata?.labels);
    const refuse = () => invalid('Namespace', '', a.name, errors);
    const exempt = this.#config.exemptions.namespaces.includes(a.name);
    if (a.operation === 'CREATE') {
      if (errors.length) throw refuse();
      if (exempt) this.#warnExemptNamespace(a, policy, a.object.metadata?.labels ?? {});
      return;
    }
    const old = this.#policy(a.oldObject?.metadata?.labels);
    if (errors.length && (!old.errors.length || aggregateErrorText(errors) !== aggregateErrorText(old.errors))) throw refuse();
    const next = policy.enforce;
    const prev = old.policy.enforce;
    if (sameLevelVersion(next, prev) || next.level === 'privileged') return;
    const sameVersion = next.version.latest === prev.version.latest && next.version.minor === prev.version.minor;
    if (sameVersion && compareLevels(next.level, prev.level) < 1) return;
    if (exempt) {
      this.#warnExemptNamespace(a, policy, a.object.metadata?.labels ?? {});
      return;
    }
    for (const w of await this.#existingPodWarnings(a.name, next)) warn(a, w);
  }

  /** Labels on an exempt namespace that ask for more than the defaults are ignored: say so (upstream's warning). */
  #warnExemptNamespace(a: AdmissionAttributes, policy: Policy, labels: Record<string, string>): void {
    const modes = [
      ['enforce', policy.enforce, ENFORCE_LEVEL_LABEL, ENFORCE_VERSION_LABEL],
      ['audit', policy.audit, AUDIT_LEVEL_LABEL, AUDIT_VERSION_LABEL],
      ['warn', policy.warn, WARN_LEVEL_LABEL, WARN_VERSION_LABEL],
    ] as const;
    const defaults = this.#config.defaults;
    const equivalent = (x: LevelVersion, y: LevelVersion) => (x.level === 'privileged' && y.level === 'privileged') || sameLevelVersion(x, y);
    if (modes.every(([, lv]) => lv.level === 'privileged')) return;
    if (modes.every(([mode, lv]) => equivalent(lv, defaults[mode]))) return;
    const set = modes
      .filter(([, lv, levelLabel, versionLabel]) => lv.level !== 'privileged' && (levelLabel in labels || versionLabel in labels))
      .map(([mode, lv]) => `${mode}=${levelVersionString(lv)}`);
    warn(a, `namespace ${JSON.stringify(a.name)} is exempt from Pod Security, and the policy (${set.join(', ')}) will be ignored`);
  }

  /** Upstream's EvaluatePodsInNamespace: one line per distinct set of reasons, naming the first pod by name. */
  async #existingPodWarnings(namespace: string, enforce: LevelVersion): Promise<string[]> {
    if (!this.#lookup.list) return [];
    let pods: KubeObject[];
    try {
      pods = await this.#lookup.list('pods', namespace);
    } catch {
      return ['failed to list pods while checking new PodSecurity enforce level'];
    }
    const warnings: string[] = [];
    let prioritized = this.#prioritize(pods as unknown as Pod[]);
    const total = prioritized.length;
    if (total > MAX_PODS_TO_CHECK) {
      prioritized = prioritized.slice(0, MAX_PODS_TO_CHECK);
      warnings.push(`new PodSecurity enforce level only checked against the first ${MAX_PODS_TO_CHECK} of ${total} existing pods`);
    }
    const byReason = new Map<string, { first: string; count: number }>();
    for (const pod of prioritized) {
      const r = this.#evaluator.evaluate(enforce, pod.metadata ?? {}, pod.spec ?? { containers: [] });
      if (r.allowed) continue;
      const reason = forbiddenReason(r);
      const name = pod.metadata?.name ?? '';
      const seen = byReason.get(reason);
      if (!seen) byReason.set(reason, { first: name, count: 1 });
      else {
        seen.count++;
        if (name < seen.first) seen.first = name;
      }
    }
    if (!byReason.size) return warnings;
    warnings.push(`existing pods in namespace ${JSON.stringify(namespace)} violate the new PodSecurity enforce level ${JSON.stringify(levelVersionString(enforce))}`);
    const lines = [...byReason].map(([reason, { first, count }]) => {
      if (count === 1) return `${first}: ${reason}`;
      if (count === 2) return `${first} (and 1 other pod): ${reason}`;
      return `${first} (and ${count - 1} other pods): ${reason}`;
    });
    lines.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    return [...warnings, ...lines];
  }

  /** Pods of exempt runtimeClasses dropped; one pod per controller first, its siblings after every other pod. */
  #prioritize(pods: Pod[]): Pod[] {
    const first: Pod[] = [];
    const siblings: Pod[] = [];
    const seen = new Set<string>();
    for (const pod of pods) {
      if (this.#exemptRuntimeClass(pod.spec ?? { containers: [] })) continue;
      const controller = pod.metadata?.ownerReferences?.find((r) => r.controller);
      if (!controller) first.push(pod);
      else if (seen.has(controller.uid)) siblings.push(pod);
      else {
        seen.add(controller.uid);
        first.push(pod);
      }
    }
    return [...first, ...siblings];
  }

  async #validatePod(a: AdmissionAttributes): Promise<void> {
    if (IGNORED_POD_SUBRESOURCES.has(a.subresource) || !a.object) return;
    if (this.#exemptRequest(a)) return;
    const ns = await this.#lookup.get('namespaces', '', a.namespace);
    if (!ns) return;
    const { policy, errors } = this.#policy(ns.metadata?.labels);
    if (!errors.length && policy.enforce.level === 'privileged' && policy.warn.level === 'privileged' && policy.audit.level === 'privileged') return;
    const pod = a.object as unknown as Pod;
    if (a.operation === 'UPDATE' && a.oldObject && !significantPodUpdate(pod, a.oldObject as unknown as Pod)) return;
    this.#evaluate(a, policy, errors, pod.metadata ?? {}, pod.spec ?? { containers: [] }, true);
  }

  async #validateWorkload(a: AdmissionAttributes, templateOf: (o: Workload) => PodTemplateSpec | undefined): Promise<void> {
    if (a.subresource || !a.object) return;
    if (this.#exemptRequest(a)) return;
    const ns = await this.#lookup.get('namespaces', '', a.namespace);
    if (!ns) {
      annotate(a, 'error', `failed to lookup namespace ${JSON.stringify(a.namespace)}: namespaces ${JSON.stringify(a.namespace)} not found`);
      return;
    }
    const { policy, errors } = this.#policy(ns.metadata?.labels);
    if (!errors.length && policy.warn.level === 'privileged' && policy.audit.level === 'privileged') return;
    const template = templateOf(a.object as Workload);
    if (!template) return;
    this.#evaluate(a, policy, errors, template.metadata ?? {}, template.spec ?? { containers: [] }, false);
  }

  #exemptRequest(a: AdmissionAttributes): boolean {
    const { namespaces, usernames } = this.#config.exemptions;
    let why = '';
    if (a.namespace && namespaces.includes(a.namespace)) why = 'namespace';
    else if (a.user && usernames.includes(a.user)) why = 'user';
    if (why) annotate(a, 'exempt', why);
    return Boolean(why);
  }

  #exemptRuntimeClass(spec: PodSpec): boolean {
    return Boolean(spec.runtimeClassName) && this.#config.exemptions.runtimeClasses.includes(spec.runtimeClassName!);
  }

  /** Upstream's EvaluatePod: enforce (pods only), then audit, then warn, reusing results of equal level:version. */
  #evaluate(a: AdmissionAttributes, policy: Policy, errors: FieldError[], meta: ObjectMeta, spec: PodSpec, enforce: boolean): void {
    if (this.#exemptRuntimeClass(spec)) {
      annotate(a, 'exempt', 'runtimeClass');
      return;
    }
    if (errors.length) annotate(a, 'error', `Failed to parse policy: ${aggregateErrorText(errors)}`);
    const cache = new Map<string, AggregateResult>();
    const evaluate = (lv: LevelVersion) => {
      const key = levelVersionString(lv);
      let r = cache.get(key);
      if (!r) cache.set(key, (r = this.#evaluator.evaluate(lv, meta, spec)));
      return r;
    };
    let denied: AggregateResult | undefined;
    if (enforce) {
      annotate(a, 'enforce-policy', levelVersionString(policy.enforce));
      const r = evaluate(policy.enforce);
      if (!r.allowed) denied = r;
    }
    const audit = evaluate(policy.audit);
    if (!audit.allowed) {
      annotate(a, 'audit-violations', `would violate PodSecurity ${JSON.stringify(levelVersionString(policy.audit))}: ${forbiddenDetail(audit)}`);
    }
    if (denied) {
      throw forbidden({ group: a.resource.group, resource: a.resource.plural }, a.name, `violates PodSecurity ${JSON.stringify(levelVersionString(policy.enforce))}: ${forbiddenDetail(denied)}`);
    }
    const w = evaluate(policy.warn);
    if (!w.allowed) warn(a, `would violate PodSecurity ${JSON.stringify(levelVersionString(policy.warn))}: ${forbiddenDetail(w)}`);
  }
}

function annotate(a: AdmissionAttributes, key: string, value: string): void {
  if (a.auditAnnotations) a.auditAnnotations[AUDIT_ANNOTATION_PREFIX + key] = value;
}

/** Adds a warning once (a write retried after a lost race runs admission again). */
function warn(a: AdmissionAttributes, text: string): void {
  if (a.warnings && !a.warnings.includes(text)) a.warnings.push(text);
}

const SECCOMP_CONTAINER = 'container.seccomp.security.alpha.kubernetes.io/';

/**
 * Whether a pod update can change what the checks see. The pod spec is immutable but for container images,
 * new ephemeral containers and the containers' seccomp annotations (upstream's isSignificantPodUpdate).
 */
export function significantPodUpdate(pod: Pod, old: Pod): boolean {
  const ann = pod.metadata?.annotations ?? {};
  const oldAnn = old.metadata?.annotations ?? {};
  const spec = pod.spec ?? { containers: [] };
  const oldSpec = old.spec ?? { containers: [] };
  const changed = (c: { name: string; image?: string }, o: { image?: string }) =>
    c.image !== o.image || ann[SECCOMP_CONTAINER + c.name] !== oldAnn[SECCOMP_CONTAINER + c.name];
  for (const key of ['containers', 'initContainers'] as const) {
    const now = spec[key] ?? [];
    const before = oldSpec[key] ?? [];
    if (now.length !== before.length) return true;
    if (now.some((c, i) => changed(c, before[i]!))) return true;
  }
  const oldEphemeral = oldSpec.ephemeralContainers ?? [];
  for (const c of spec.ephemeralContainers ?? []) {
    const o = oldEphemeral.find((e) => e.name === c.name);
    if (!o || changed(c, o)) return true;
  }
  return false;
}
