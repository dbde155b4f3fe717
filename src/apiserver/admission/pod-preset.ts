/**
 * PodPreset, Kubernetes 1.19's admission plugin (removed upstream in 1.20 in favour of mutating webhooks): a new
 * pod (CREATE, not a subresource, not a mirror pod, not annotated `podpreset.admission.kubernetes.io/exclude:
 * "true"`) gets what every PodPreset of its namespace whose selector matches its labels holds: volumes into the
 * pod, env, envFrom and volumeMounts into every container and init container, and an annotation
 * `podpreset.admission.kubernetes.io/podpreset-<name>: "<resourceVersion>"` per preset. Env vars, volumes and
 * mounts that already exist (same name, or same mount path) must be identical; on any conflict the pod is left
 * unchanged and the conflict is reported through `onConflict` (upstream logs it).
 */
import { isDeepStrictEqual } from 'node:util';
import type { Container, KubeObject, Pod, PodPreset } from '../../api/index.ts';
import { labelSelectorFromObject, labelSelectorMatches } from '../../api/selectors/label-selector.ts';
import type { AdmissionAttributes, AdmissionPlugin } from './chain.ts';

export const PODPRESET_ANNOTATION_PREFIX = 'podpreset.admission.kubernetes.io';
export const PODPRESET_EXCLUDE_ANNOTATION = `${PODPRESET_ANNOTATION_PREFIX}/exclude`;
const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

/** Presets whose selector matches the labels (a preset with an invalid selector is skipped). */
export function matchingPresets(presets: readonly PodPreset[], labels: Record<string, string> | undefined): PodPreset[] {
  return presets.filter((pp) => {
    try {
      return labelSelectorMatches(labelSelectorFromObject(pp.spec?.selector), labels ?? {});
    } catch {
      return false;
    }
  });
}

/** Merges items keyed by name: new ones are appended, existing ones must be identical. */
function mergeByName<T extends { name: string }>(what: string, orig: readonly T[] | undefined, presets: readonly PodPreset[], pick: (pp: PodPreset) => readonly T[] | undefined, errs: string[]): T[] {
  const seen = new Map<string, T>();
  for (const v of orig ?? []) seen.set(v.name, v);
  const merged = [...(orig ?? [])];
  for (const pp of presets) {
    for (const v of pick(pp) ?? []) {
      const found = seen.get(v.name);
      if (!found) {
        seen.set(v.name, v);
        merged.push(structuredClone(v));
      } else if (!isDeepStrictEqual(found, v)) {
        errs.push(`merging ${what} for ${pp.metadata?.name ?? ''} has a conflict on ${v.name}`);
      }
    }
  }
  return merged;
}

function mergeVolumeMounts(orig: Container['volumeMounts'], presets: readonly PodPreset[], errs: string[]): NonNullable<Container['volumeMounts']> {
  const merged = mergeByName('volume mounts', orig, presets, (pp) => pp.spec?.volumeMounts, errs);
  const byPath = new Map((orig ?? []).map((m) => [m.mountPath, m]));
  for (const pp of presets) {
    for (const m of pp.spec?.volumeMounts ?? []) {
      const found = byPath.get(m.mountPath);
      if (!found) byPath.set(m.mountPath, m);
      else if (!isDeepStrictEqual(found, m)) errs.push(`merging volume mounts for ${pp.metadata?.name ?? ''} has a conflict on mount path ${m.mountPath}`);
    }
  }
  return merged;
}

function applyOnContainer(c: Container, presets: readonly PodPreset[], errs: string[]): void {
  const mounts = mergeVolumeMounts(c.volumeMounts, presets, errs);
  if (mounts.length) c.volumeMounts = mounts;
  const envFrom = [...(c.envFrom ?? []), ...presets.flatMap((pp) => structuredClone(pp.spec?.envFrom ?? []))];
  if (envFrom.length) c.envFrom = envFrom;
  const env = mergeByName('env', c.env, presets, (pp) => pp.spec?.env, errs);
  if (env.length) c.env = env;
}

/** Applies the presets to a copy of the pod; returns the new pod, or the conflicts. */
export function applyPodPresets(pod: Pod, presets: readonly PodPreset[]): { pod: Pod } | { conflicts: string[] } {
  const out = structuredClone(pod);
  const errs: string[] = [];
  const spec = (out.spec ??= { containers: [] });
  const volumes = mergeByName('volumes', spec.volumes, presets, (pp) => pp.spec?.volumes, errs);
  if (volumes.length) spec.volumes = volumes;
  for (const c of spec.containers ?? []) applyOnContainer(c, presets, errs);
  for (const c of spec.initContainers ?? []) applyOnContainer(c, presets, errs);
  if (errs.length) return { conflicts: errs };
  const annotations = ((out.metadata ??= {}).annotations ??= {});
  for (const pp of presets) annotations[`${PODPRESET_ANNOTATION_PREFIX}/podpreset-${pp.metadata?.name ?? ''}`] = pp.metadata?.resourceVersion ?? '';
  return { pod: out };
}

export class PodPresetAdmission implements AdmissionPlugin {
  readonly name = 'PodPreset';
  readonly #presets: () => KubeObject[];
  readonly #onConflict: (pod: Pod, presets: string[], conflicts: string[]) => void;

  /** `presets` lists every PodPreset (the API server's watch cache). */
  constructor(presets: () => KubeObject[], onConflict: (pod: Pod, presets: string[], conflicts: string[]) => void = () => {}) {
    this.#presets = presets;
    this.#onConflict = onConflict;
  }

  admit(a: AdmissionAttributes): void {
    if (a.operation !== 'CREATE' || a.subresource || a.resource.group !== '' || a.resource.plural !== 'pods' || !a.object) return;
    const pod = a.object as unknown as Pod;
    const annotations = pod.metadata?.annotations ?? {};
    if (MIRROR_ANNOTATION in annotations || annotations[PODPRESET_EXCLUDE_ANNOTATION] === 'true') return;
    const inNamespace = (this.#presets() as unknown as PodPreset[]).filter((pp) => pp.metadata?.namespace === a.namespace);
    const matching = matchingPresets(inNamespace, pod.metadata?.labels);
    if (!matching.length) return;
    const r = applyPodPresets(pod, matching);
    if ('conflicts' in r) {
      this.#onConflict(pod, matching.map((pp) => pp.metadata?.name ?? ''), r.conflicts);
      return;
    }
    for (const k of Object.keys(a.object)) delete (a.object as Record<string, unknown>)[k];
    Object.assign(a.object, r.pod);
  }
}
