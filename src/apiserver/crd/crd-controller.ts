/**
 * The server's CustomResourceDefinition loop (apiextensions' naming, establishing and finalizing controllers in
 * one): for each CRD it checks the names against everything else served in its group, serves its versions,
 * then writes `NamesAccepted` and `Established` with `acceptedNames` (so an Established CRD is served at
 * once); for a CRD being deleted it marks it `Terminating`, deletes every object of it, drops the
 * `customresourcecleanup.apiextensions.k8s.io` finalizer, and stops serving it once it is gone.
 * Level-triggered: each pass looks at every CRD; the CRD cache's changes ring it, and while a deletion waits
 * for objects with finalizers it looks again every second.
 */
import { isDeepStrictEqual } from 'node:util';
import { CRD_CLEANUP_FINALIZER, type CustomResourceDefinition, type CustomResourceDefinitionCondition, type ResourceInfo } from '../../api/index.ts';
import { Doorbell, type Logger } from '../../machinery/index.ts';
import type { GenericRegistry } from '../registry/generic.ts';
import { ApiError } from '../status.ts';
import { timestamp } from '../registry/index.ts';

export interface CrdControllerConfig {
  crds: GenericRegistry;
  /** Every resource served now (names of other resources and CRDs conflict with a new CRD's). */
  served: () => readonly ResourceInfo[];
  /** Serves (or re-serves after a change) the versions of an accepted CRD; resolves when their caches are ready. */
  serve: (crd: CustomResourceDefinition) => Promise<void>;
  /** Stops serving a CRD's resources (it is gone). */
  unserve: (crdName: string) => void;
  /** The registries serving a CRD now (to empty it on deletion). */
  registriesOf: (crdName: string) => GenericRegistry[];
  now: () => number;
  logger?: Logger;
}

/** The names a CRD wants that something else in its group already uses, as NamesAccepted's reason and message. */
export function nameConflict(crd: CustomResourceDefinition, served: readonly ResourceInfo[]): { reason: string; message: string } | undefined {
  const names = crd.spec.names;
  const others = served.filter((r) => r.group === crd.spec.group && r.custom?.crdName !== crd.metadata?.name);
  if (others.some((r) => r.plural === names.plural || r.singular === names.plural)) return { reason: 'PluralConflict', message: `"${names.plural}" is already in use` };
  if (names.singular && others.some((r) => r.plural === names.singular || r.singular === names.singular)) return { reason: 'SingularConflict', message: `"${names.singular}" is already in use` };
  for (const s of names.shortNames ?? []) if (others.some((r) => r.shortNames.includes(s) || r.plural === s)) return { reason: 'ShortNamesConflict', message: `"${s}" is already in use` };
  if (others.some((r) => r.kind === names.kind)) return { reason: 'KindConflict', message: `"${names.kind}" is already in use` };
  if (others.some((r) => r.listKind === names.listKind)) return { reason: 'ListKindConflict', message: `"${names.listKind}" is already in use` };
  return undefined;
}

/** Sets a condition, keeping its lastTransitionTime when its status does not change. */
function setCondition(conditions: CustomResourceDefinitionCondition[], c: CustomResourceDefinitionCondition, now: string): CustomResourceDefinitionCondition[] {
  const old = conditions.find((x) => x.type === c.type);
  const next = { ...c, lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : now };
  return old ? conditions.map((x) => (x.type === c.type ? next : x)) : [...conditions, next];
}

export async function runCrdController(c: CrdControllerConfig, signal: AbortSignal): Promise<void> {
  await c.crds.cache.ready;
  const bell = new Doorbell();
  const sub = c.crds.cache.subscribe(c.crds.cache.revision, { deliver: () => bell.ring(), end: () => bell.ring() });
  const known = new Set<string>();
  try {
    while (!signal.aborted) {
      let pending = false;
      const crds = c.crds.cache.list().items as CustomResourceDefinition[];
      const present = new Set(crds.map((x) => x.metadata!.name!));
      for (const name of known) {
        if (!present.has(name)) {
          c.unserve(name);
          known.delete(name);
        }
      }
      for (const crd of crds) {
        const name = crd.metadata!.name!;
        known.add(name);
        try {
          pending = (await reconcile(c, crd)) || pending;
        } catch (err) {
          if (!(err instanceof ApiError && (err.code === 409 || err.code === 404))) c.logger?.warn({ err: String(err), crd: name }, 'reconciling a CustomResourceDefinition');
          pending = true;
        }
      }
      const t = AbortSignal.any([signal, AbortSignal.timeout(pending ? 1000 : 60_000)]);
      await bell.wait(t).catch(() => {});
    }
  } finally {
    sub.unsubscribe();
  }
}

/** One CRD; true when it needs another look soon (a deletion waiting for its objects). */
async function reconcile(c: CrdControllerConfig, crd: CustomResourceDefinition): Promise<boolean> {
  const name = crd.metadata!.name!;
  const now = timestamp(c.now());
  if (crd.metadata?.deletionTimestamp) {
    if (!crd.metadata.finalizers?.includes(CRD_CLEANUP_FINALIZER)) return false;
    let conditions = crd.status?.conditions ?? [];
    conditions = setCondition(conditions, { type: 'Terminating', status: 'True', reason: 'InstanceDeletionInProgress', message: 'CustomResource deletion is in progress' }, now);
    await writeStatus(c, crd, { ...crd.status, conditions });
    // Every version reads the same stored objects: emptying one registry empties them all.
    const registry = c.registriesOf(name)[0];
    if (registry) {
      await registry.deleteCollection('', {}, {}, {});
      if ((await registry.count('')) > 0) return true;
    }
    await c.crds.guaranteedUpdate('', name, {}, (cur) => {
      const next = structuredClone(cur!);
      next.metadata!.finalizers = (cur!.metadata?.finalizers ?? []).filter((f) => f !== CRD_CLEANUP_FINALIZER);
      return next;
    });
    return false;
  }
  const conflict = nameConflict(crd, c.served());
  let conditions = crd.status?.conditions ?? [];
  const wasEstablished = conditions.some((x) => x.type === 'Established' && x.status === 'True');
  if (conflict) {
    conditions = setCondition(conditions, { type: 'NamesAccepted', status: 'False', reason: conflict.reason, message: conflict.message }, now);
    if (!wasEstablished) conditions = setCondition(conditions, { type: 'Established', status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' }, now);
    await writeStatus(c, crd, { ...crd.status, conditions });
    return false;
  }
  const acceptedNames = { ...crd.spec.names };
  await c.serve({ ...crd, status: { ...crd.status, acceptedNames } });
  conditions = setCondition(conditions, { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' }, now);
  conditions = setCondition(conditions, { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' }, now);
  await writeStatus(c, crd, { ...crd.status, acceptedNames, conditions });
  return false;
}

async function writeStatus(c: CrdControllerConfig, crd: CustomResourceDefinition, status: CustomResourceDefinition['status']): Promise<void> {
  if (isDeepStrictEqual(status, crd.status)) return;
  await c.crds.guaranteedUpdate('', crd.metadata!.name!, { subresource: 'status' }, (cur) => {
    const next = structuredClone(cur!) as CustomResourceDefinition;
    next.status = { ...next.status, ...status };
    return next;
  }, crd.metadata?.resourceVersion);
}
