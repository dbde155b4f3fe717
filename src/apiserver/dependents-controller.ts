/**
 * The garbage collector's finalizer work, run by the API server over every served resource's watch cache (as
 * the namespace controller is): an object being deleted with
 *
 * - `orphan`: every dependent (an object whose ownerReferences name its uid) loses that reference, then the
 *   finalizer is removed, so the dependents outlive their owner;
 * - `foregroundDeletion`: its dependents are deleted (upstream's attemptToDeleteItem: a dependent with another
 *   live owner only loses the reference; one that has dependents of its own is deleted in the foreground too),
 *   and once no dependent whose reference has `blockOwnerDeletion: true` is left, the finalizer is removed.
 *
 * - background (an owner gone without either finalizer): a dependent whose owners are all gone is deleted; one
 *   that still has a live owner only loses the references to the gone ones. This covers every served kind (the
 *   garbage collector controller in controllers/gc watches a fixed list); an owner missing from the watch
 *   cache is looked up in the store before a dependent counts as orphaned, and the dependent is deleted with
 *   its uid and resourceVersion as preconditions, so a cache that lags never deletes a live object's dependents.
 *
 * Removing the last finalizer removes the object (generic.ts). Level-triggered: an event carrying a GC
 * finalizer or deleting an object rings the doorbell (the dependents of what was deleted are looked at), while
 * owners wait every event does (a dependent going is what they wait for), and every dependent is swept again
 * on a timer. Several API servers may run it at once: every write is a compare-and-swap or
 * carries a uid precondition, and a lost race (404, 409) is left for the next pass.
 *
 *   DELETE ?propagationPolicy=Foreground ─▶ deploy{deletionTimestamp, finalizers:[foregroundDeletion]}
 *        └─▶ rs deleted in the foreground (it has pods) ─▶ pods deleted (graceful) ─▶ pods gone
 *        └─▶ rs: no blocking dependents ─▶ finalizer removed ─▶ rs gone ─▶ same for deploy
 */
import type { KubeObject, OwnerReference } from '../api/index.ts';
import { Doorbell, realClock, type Logger } from '../machinery/index.ts';
import type { GenericRegistry } from './registry/generic.ts';
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER } from './registry/gc-finalizers.ts';
import { ApiError } from './status.ts';

export interface DependentsControllerConfig {
  /** Every served resource's registry, asked again on each pass (resources may be added while running). */
  registries: () => GenericRegistry[];
  /** How often everything is checked again without an event (default 30 s). */
  resyncMs?: number;
  logger?: Logger;
}

const MIN_PASS_SPACING_MS = 100;

interface Entry {
  registry: GenericRegistry;
  object: KubeObject;
}

function hasGcFinalizer(obj: KubeObject | undefined): boolean {
  const f = obj?.metadata?.finalizers;
  return Boolean(f && (f.includes(ORPHAN_FINALIZER) || f.includes(FOREGROUND_FINALIZER)));
}

function isDeleting(obj: KubeObject, finalizer: string): boolean {
  return Boolean(obj.metadata?.deletionTimestamp) && (obj.metadata?.finalizers?.includes(finalizer) ?? false);
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

function ignoreLostRace(err: unknown, logger: Logger | undefined, what: string): void {
  if (err instanceof ApiError && (err.code === 404 || err.code === 409)) return;
  logger?.warn({ err: String(err) }, what);
}

/** One look at every cache: the dependents of each uid, and where each kind lives. */
class Snapshot {
  readonly byKind = new Map<string, GenericRegistry>();
  readonly dependents = new Map<string, Entry[]>();
  readonly deleting: Entry[] = [];
  /** Objects with owners, not being deleted: what a sweep looks at. */
  readonly owned: Entry[] = [];

  constructor(registries: GenericRegistry[]) {
    for (const registry of registries) {
      this.byKind.set(`${registry.info.group}/${registry.info.kind}`, registry);
      for (const object of registry.cache.list().items) {
        if (object.metadata?.deletionTimestamp && hasGcFinalizer(object)) this.deleting.push({ registry, object });
        if (object.metadata?.ownerReferences?.length && !object.metadata.deletionTimestamp) this.owned.push({ registry, object });
        for (const ref of object.metadata?.ownerReferences ?? []) {
          const list = this.dependents.get(ref.uid) ?? [];
          list.push({ registry, object });
          this.dependents.set(ref.uid, list);
        }
      }
    }
  }

  /** The dependents of `owner`: a namespaced owner only owns objects in its own namespace. */
  dependentsOf(owner: KubeObject): Entry[] {
    const ns = owner.metadata?.namespace;
    return (this.dependents.get(owner.metadata?.uid ?? '') ?? []).filter((d) => !ns || d.object.metadata?.namespace === ns);
  }

  /**
   * The owner a reference names, when it exists with that uid; 'unknown' for a kind this server does not serve.
   * One the cache does not have is read from the store (a cache may lag behind its dependent's).
   */
  async owner(dependent: KubeObject, ref: OwnerReference): Promise<KubeObject | undefined | 'unknown'> {
    const registry = this.byKind.get(`${groupOf(ref.apiVersion)}/${ref.kind}`);
    if (!registry) return 'unknown';
    const ns = registry.info.namespaced ? (dependent.metadata?.namespace ?? '') : '';
    const cached = registry.cache.get(registry.key(ns, ref.name));
    if (cached?.metadata?.uid === ref.uid) return cached;
    const live = await registry.tryGet(ns, ref.name);
    return live?.metadata?.uid === ref.uid ? live : undefined;
  }
}

export async function runDependentsController(c: DependentsControllerConfig, signal: AbortSignal): Promise<void> {
  const bell = new Doorbell();
  const subscribed = new Map<GenericRegistry, () => void>();
  const resyncMs = c.resyncMs ?? 30_000;
  let waiting = false;
  let deleted = new Set<string>();
  let lastSweep = 0;
  const follow = () => {
    for (const r of c.registries()) {
      if (subscribed.has(r)) continue;
      const sub = r.cache.subscribe(r.cache.revision, {
        deliver: (events) => {
          let ring = waiting;
          for (const e of events) {
            if (e.type === 'DELETED' && e.object.metadata?.uid) {
              deleted.add(e.object.metadata.uid);
              ring = true;
            } else if (hasGcFinalizer(e.object)) ring = true;
          }
          if (ring) bell.ring();
        },
        end: () => {
          // The cache restarted: subscribe again on the next pass.
          subscribed.delete(r);
          bell.ring();
        },
      });
      subscribed.set(r, sub.unsubscribe);
    }
  };
  try {
    await Promise.all(c.registries().map((r) => r.cache.ready));
    while (!signal.aborted) {
      follow();
      const sweep = Date.now() - lastSweep >= resyncMs;
      if (sweep) lastSweep = Date.now();
      const gone = deleted;
      deleted = new Set();
      try {
        waiting = await syncDependents(c.registries(), c.logger, sweep ? 'all' : gone);
      } catch (err) {
        c.logger?.warn({ err: String(err) }, 'processing dependents');
        waiting = true;
      }
      // Deletions and, while owners wait, every event ring, and each pass reads every cache: at most a few
      // passes a second.
      await realClock.sleep(MIN_PASS_SPACING_MS, signal).catch(() => {});
      const t = AbortSignal.any([signal, AbortSignal.timeout(waiting ? 1000 : resyncMs)]);
      await bell.wait(t).catch(() => {});
    }
  } finally {
    for (const unsubscribe of subscribed.values()) unsubscribe();
  }
}

/**
 * One pass: every object being deleted with a GC finalizer, then the dependents of the objects deleted since the
 * last pass (`'all'`: every object with owners). Returns whether an owner is still waiting (for dependents to
 * go), so the caller looks again soon. Exported for tests.
 */
export async function syncDependents(registries: GenericRegistry[], logger?: Logger, ownersGone: Set<string> | 'all' = 'all'): Promise<boolean> {
  const snap = new Snapshot(registries);
  for (const { registry, object } of snap.deleting) {
    const deps = snap.dependentsOf(object);
    if (object.metadata?.finalizers?.includes(ORPHAN_FINALIZER)) {
      const ok = await orphanDependents(object, deps, logger);
      if (ok) await removeFinalizer(registry, object, ORPHAN_FINALIZER, logger);
      continue;
    }
    for (const dep of deps) {
      if (!dep.object.metadata?.deletionTimestamp) await attemptToDelete(snap, dep, logger);
    }
    const uid = object.metadata?.uid;
    const blocking = deps.filter((d) => d.object.metadata?.ownerReferences?.some((r) => r.uid === uid && r.blockOwnerDeletion === true));
    if (blocking.length === 0) await removeFinalizer(registry, object, FOREGROUND_FINALIZER, logger);
  }
  const candidates = ownersGone === 'all' ? snap.owned : [...ownersGone].flatMap((uid) => snap.dependents.get(uid) ?? []);
  const seen = new Set<string>();
  for (const dep of candidates) {
    const uid = dep.object.metadata?.uid ?? '';
    if (seen.has(uid) || dep.object.metadata?.deletionTimestamp) continue;
    seen.add(uid);
    await attemptToDelete(snap, dep, logger);
  }
  return snap.deleting.length > 0;
}

/** Removes the references to `owner` from each dependent; false when one could not be written yet. */
async function orphanDependents(owner: KubeObject, deps: Entry[], logger: Logger | undefined): Promise<boolean> {
  let ok = true;
  for (const dep of deps) {
    try {
      await dropReferences(dep, new Set([owner.metadata!.uid!]));
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) continue;
      ok = false;
      ignoreLostRace(err, logger, 'orphaning a dependent');
    }
  }
  return ok;
}

async function dropReferences({ registry, object }: Entry, uids: Set<string>): Promise<void> {
  const meta = object.metadata!;
  await registry.guaranteedUpdate(meta.namespace ?? '', meta.name!, {}, (cur) => {
    const next = cur!;
    if (next.metadata?.uid !== meta.uid) return next;
    const refs = (next.metadata!.ownerReferences ?? []).filter((r) => !uids.has(r.uid));
    if (refs.length) next.metadata!.ownerReferences = refs;
    else delete next.metadata!.ownerReferences;
    return next;
  });
}

/**
 * A dependent some of whose owners may be gone or deleting in the foreground (upstream's attemptToDeleteItem):
 * with all owners standing nothing happens; with another owner that still stands, only the references to gone
 * or foreground-deleting owners are dropped; otherwise it is deleted, in the foreground when it has dependents
 * itself and an owner waits for it, else as its own finalizers say (background by default).
 */
async function attemptToDelete(snap: Snapshot, dep: Entry, logger: Logger | undefined): Promise<void> {
  const solid: OwnerReference[] = [];
  const drop = new Set<string>();
  let waitingOwner = false;
  const meta = dep.object.metadata!;
  try {
    for (const ref of meta.ownerReferences ?? []) {
      const owner = await snap.owner(dep.object, ref);
      // An owner of a kind this server does not serve cannot be checked: it keeps the dependent.
      if (owner === 'unknown') solid.push(ref);
      else if (!owner) drop.add(ref.uid);
      else if (isDeleting(owner, FOREGROUND_FINALIZER)) {
        waitingOwner = true;
        drop.add(ref.uid);
      } else solid.push(ref);
    }
    if (drop.size === 0) return;
    if (solid.length) {
      await dropReferences(dep, drop);
      return;
    }
    const own = meta.finalizers ?? [];
    const policy = waitingOwner && snap.dependentsOf(dep.object).length > 0 ? 'Foreground'
      : own.includes(ORPHAN_FINALIZER) ? 'Orphan' : own.includes(FOREGROUND_FINALIZER) ? 'Foreground' : 'Background';
    // Exactly the version judged: one changed since (orphaned, adopted) is a 409 and judged again next pass.
    await dep.registry.delete(meta.namespace ?? '', meta.name!, { propagationPolicy: policy, preconditions: { uid: meta.uid, resourceVersion: meta.resourceVersion } });
  } catch (err) {
    ignoreLostRace(err, logger, 'deleting a dependent');
  }
}

async function removeFinalizer(registry: GenericRegistry, obj: KubeObject, finalizer: string, logger: Logger | undefined): Promise<void> {
  const meta = obj.metadata!;
  try {
    await registry.guaranteedUpdate(meta.namespace ?? '', meta.name!, {}, (cur) => {
      const next = cur!;
      if (next.metadata?.uid !== meta.uid) return next;
      const rest = (next.metadata!.finalizers ?? []).filter((f) => f !== finalizer);
      if (rest.length) next.metadata!.finalizers = rest;
      else delete next.metadata!.finalizers;
      return next;
    });
  } catch (err) {
    ignoreLostRace(err, logger, `removing the ${finalizer} finalizer`);
  }
}
