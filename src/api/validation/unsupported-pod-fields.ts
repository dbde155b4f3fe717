/**
 * Pod fields kubeling refuses instead of accepting and ignoring (issue 12). The API schema is newer than the
 * Kubernetes 1.32 kubeling matches, and some of its fields need machinery no kubeling node has: dynamic
 * resource allocation (`spec.resourceClaims`, `resources.claims`), pod-level resources (`spec.resources`),
 * raw block devices (`volumeDevices`), recursive read-only mounts (`recursiveReadOnly: Enabled`), per-container stop signals and restart rules, hostname overrides,
 * scheduling groups, and the `clusterTrustBundle` / `podCertificate` projections. A pod using any of them would
 * run without what it asked for, so validation refuses each with a `Forbidden` cause that says kubeling does
 * not support it (the shape of upstream's refusals of fields a cluster cannot serve). Volume types the kubelet
 * cannot mount (nfs, csi, ephemeral, image, ...) are not refused here: as on a real node missing a volume
 * plugin, the pod is accepted and the kubelet reports `FailedMount` events while the pod stays
 * `ContainerCreating`.
 */
import type { Container, PodSpec } from '../types.ts';
import { type FieldError, forbidden } from '../field-error.ts';

type Obj = Record<string, unknown>;

const DRA = 'kubeling does not support dynamic resource allocation';

function set(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return v !== '';
}

function containerErrors(c: Container, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const o = c as unknown as Obj;
  if (set((c.resources as Obj | undefined)?.['claims'])) errs.push(forbidden(`${path}.resources.claims`, DRA));
  if (set(o['volumeDevices'])) errs.push(forbidden(`${path}.volumeDevices`, 'kubeling does not support raw block volumes'));
  if (set(o['restartPolicyRules'])) {
    errs.push(forbidden(`${path}.restartPolicyRules`, 'kubeling does not support container restart rules'));
  }
  (c.volumeMounts ?? []).forEach((m, i) => {
    // IfPossible is honoured (the mount stays non-recursive and the status says Disabled); Enabled is not.
    if ((m as { recursiveReadOnly?: string }).recursiveReadOnly === 'Enabled') {
      errs.push(forbidden(`${path}.volumeMounts[${i}].recursiveReadOnly`, 'kubeling does not support recursive read-only mounts'));
    }
  });
  if (set((c.lifecycle as Obj | undefined)?.['stopSignal'])) {
    errs.push(forbidden(`${path}.lifecycle.stopSignal`, 'kubeling does not support container stop signals'));
  }
  return errs;
}

/** Field errors for every field of the spec kubeling does not honour and refuses. */
export function validateUnsupportedPodFields(spec: PodSpec, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const s = spec as unknown as Obj;
  if (set(s['resourceClaims'])) errs.push(forbidden(`${path}.resourceClaims`, DRA));
  if (set(s['resources'])) errs.push(forbidden(`${path}.resources`, 'kubeling does not support pod-level resources'));
  if (set(s['hostnameOverride'])) errs.push(forbidden(`${path}.hostnameOverride`, 'kubeling does not support hostnameOverride'));
  if (set(s['schedulingGroup'])) errs.push(forbidden(`${path}.schedulingGroup`, 'kubeling does not support scheduling groups'));
  for (const [field, list] of [['containers', spec.containers], ['initContainers', spec.initContainers], ['ephemeralContainers', spec.ephemeralContainers]] as const) {
    (list ?? []).forEach((c, i) => errs.push(...containerErrors(c as Container, `${path}.${field}[${i}]`)));
  }
  (spec.volumes ?? []).forEach((v, i) => {
    ((v.projected?.sources ?? []) as Obj[]).forEach((src, j) => {
      const p = `${path}.volumes[${i}].projected.sources[${j}]`;
      if (set(src['clusterTrustBundle'])) errs.push(forbidden(`${p}.clusterTrustBundle`, 'kubeling does not support clusterTrustBundle projections'));
      if (set(src['podCertificate'])) errs.push(forbidden(`${p}.podCertificate`, 'kubeling does not support podCertificate projections'));
    });
  });
  return errs;
}
