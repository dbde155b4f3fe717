/**
 * Small control loops the API server runs itself, each reconciling from the watch caches and writing through
 * the registries (so admission and validation apply as for any client):
 *
 * - `runServiceAccountsController`: every Active namespace has the `default` ServiceAccount and the
 *   `kube-root-ca.crt` ConfigMap (the CA bundle pods find at .../serviceaccount/ca.crt).
 * - `runNamespaceController`: a Terminating namespace is emptied of every served namespaced resource (pods
 *   gracefully, like any DELETE), its status conditions say what is left and why (namespace-conditions.ts),
 *   and once nothing is left its `kubernetes` finalizer is cleared through /finalize, which removes it (or
 *   leaves it to its metadata.finalizers).
 *
 * - `runEventTtlController`: Events are removed an hour after they were last seen, as the real apiserver's
 *   `--event-ttl` does through etcd leases, so a long-running cluster's store does not fill with them.
 *
 * The first two are level-triggered: any event on the resources they read rings a doorbell, and a timer
 * re-checks.
 *
 * Several API servers on one etcd all run these loops, so each is idempotent rather than leader-elected:
 * creates that find the object already there (409) are done, deletes carry a resourceVersion precondition,
 * and the finalize is a compare-and-swap on the stored object.
 */
import type { KubeObject, Namespace } from '../api/index.ts';
import { Doorbell, type Logger } from '../machinery/index.ts';
import type { GenericRegistry } from './registry/generic.ts';
import { prepareForFinalize, timestamp } from './registry/index.ts';
import { nextConditions, type ContentTotals } from './namespace-conditions.ts';
import { ApiError } from './status.ts';

function ringOnChange(registries: GenericRegistry[], bell: Doorbell): () => void {
  const subs = registries.map((r) =>
    r.cache.subscribe(r.cache.revision, { deliver: () => bell.ring(), end: () => bell.ring() }),
  );
  return () => subs.forEach((s) => s.unsubscribe());
}

async function tick(bell: Doorbell, ms: number, signal: AbortSignal): Promise<void> {
  const t = AbortSignal.any([signal, AbortSignal.timeout(ms)]);
  try {
    await bell.wait(t);
  } catch {
    // timeout or stop: either way, look again (the caller checks signal)
  }
}

function ignoreExpected(err: unknown, logger: Logger | undefined, what: string): void {
  if (err instanceof ApiError && (err.code === 409 || err.code === 404 || err.code === 403)) return;
  logger?.warn({ err: String(err) }, what);
}

export interface ServiceAccountsControllerConfig {
  namespaces: GenericRegistry;
  serviceAccounts: GenericRegistry;
  configMaps: GenericRegistry;
  caPem: string;
  logger?: Logger;
}

export async function runServiceAccountsController(c: ServiceAccountsControllerConfig, signal: AbortSignal): Promise<void> {
  await Promise.all([c.namespaces.cache.ready, c.serviceAccounts.cache.ready, c.configMaps.cache.ready]);
  const bell = new Doorbell();
  const stop = ringOnChange([c.namespaces, c.serviceAccounts, c.configMaps], bell);
  try {
    while (!signal.aborted) {
      for (const ns of c.namespaces.cache.list().items as Namespace[]) {
        if (ns.status?.phase !== 'Active' || ns.metadata?.deletionTimestamp) continue;
        const name = ns.metadata!.name!;
        if (!c.serviceAccounts.cache.get(c.serviceAccounts.key(name, 'default'))) {
          await c.serviceAccounts.create(name, { metadata: { name: 'default' } }).catch((e) => ignoreExpected(e, c.logger, 'creating the default service account'));
        }
        const cm = c.configMaps.cache.get(c.configMaps.key(name, 'kube-root-ca.crt')) as (KubeObject & { data?: Record<string, string> }) | undefined;
        if (!cm) {
          await c.configMaps
            .create(name, { metadata: { name: 'kube-root-ca.crt', annotations: { 'kubernetes.io/description': 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.' } }, data: { 'ca.crt': c.caPem } })
            .catch((e) => ignoreExpected(e, c.logger, 'creating kube-root-ca.crt'));
        } else if (cm.data?.['ca.crt'] !== c.caPem) {
          await c.configMaps
            .guaranteedUpdate(name, 'kube-root-ca.crt', {}, (cur) => ({ ...cur!, data: { ...(cur as { data?: object }).data, 'ca.crt': c.caPem } }))
            .catch((e) => ignoreExpected(e, c.logger, 'updating kube-root-ca.crt'));
        }
      }
      await tick(bell, 30_000, signal);
    }
  } finally {
    stop();
  }
}

export interface NamespaceControllerConfig {
  namespaces: GenericRegistry;
  /** Every served namespaced resource's registry, asked again on each pass (custom resources come and go). */
  namespaced: () => GenericRegistry[];
  now?: () => number;
  logger?: Logger;
}

/**
 * Deletes what is left of one resource in a Terminating namespace and counts what stays (upstream's
 * deleteAllContentForGroupVersionResource): objects held by finalizers, or pods still shutting down, are
 * expected; anything else left is an error for the NamespaceDeletionContentFailure condition.
 */
async function emptyResource(r: GenericRegistry, ns: string, totals: ContentTotals): Promise<void> {
  const { group, version, plural } = r.info;
  try {
    await r.deleteCollection(ns, {}, { propagationPolicy: 'Background' }, {});
  } catch (err) {
    totals.deleteErrors.push(`${err instanceof Error ? err.message : String(err)}`);
  }
  const left = (await r.list(ns)).items;
  if (!left.length) return;
  totals.remaining.set(`${plural}.${group}`, left.length);
  let held = false;
  for (const item of left) {
    for (const f of item.metadata?.finalizers ?? []) {
      totals.finalizers.set(f, (totals.finalizers.get(f) ?? 0) + 1);
      held = true;
    }
  }
  // Pods get their grace period (upstream's estimate); anything else should have gone.
  if (!held && !(group === '' && plural === 'pods')) {
    totals.deleteErrors.push(`unexpected items still remain in namespace: ${ns} for gvr: ${group}/${version}, Resource=${plural}`);
  }
}

export async function runNamespaceController(c: NamespaceControllerConfig, signal: AbortSignal): Promise<void> {
  await c.namespaces.cache.ready;
  const now = c.now ?? Date.now;
  const bell = new Doorbell();
  const stop = ringOnChange([c.namespaces], bell);
  try {
    while (!signal.aborted) {
      let pending = false;
      for (const ns of c.namespaces.cache.list().items as Namespace[]) {
        // Nothing to do before a DELETE, or once the kubernetes finalizer is gone (other finalizers are theirs).
        if (!ns.metadata?.deletionTimestamp || !ns.spec?.finalizers?.includes('kubernetes')) continue;
        pending = true;
        const name = ns.metadata.name!;
        try {
          const totals: ContentTotals = { remaining: new Map(), finalizers: new Map(), deleteErrors: [] };
          for (const r of c.namespaced()) {
            await emptyResource(r, name, totals);
          }
          const conditions = nextConditions(ns.status?.conditions, totals, timestamp(now()));
          if (conditions) {
            await c.namespaces.guaranteedUpdate('', name, { subresource: 'status' }, (cur) => {
              const next = cur! as Namespace;
              if (next.metadata?.uid !== ns.metadata?.uid) return next as KubeObject;
              next.status = { ...next.status, conditions: nextConditions(next.status?.conditions, totals, timestamp(now())) ?? next.status?.conditions };
              return next as KubeObject;
            });
          }
          if (totals.remaining.size > 0 || totals.deleteErrors.length > 0) continue;
          await c.namespaces.guaranteedUpdate('', name, { subresource: 'finalize' }, (cur) => {
            const next = structuredClone(cur!);
            (next.spec as { finalizers?: string[] }).finalizers = ((cur!.spec as { finalizers?: string[] })?.finalizers ?? []).filter((f) => f !== 'kubernetes');
            prepareForFinalize(next, cur!);
            return next;
          });
        } catch (err) {
          ignoreExpected(err, c.logger, `emptying namespace ${name}`);
        }
      }
      await tick(bell, pending ? 1000 : 60_000, signal);
    }
  } finally {
    stop();
  }
}

export interface EventTtlControllerConfig {
  /** Every registry of Event objects (core/v1 and events.k8s.io/v1). */
  events: GenericRegistry[];
  ttlMs?: number;
  intervalMs?: number;
  now: () => number;
  logger?: Logger;
}

function lastSeen(e: KubeObject): number {
  const o = e as KubeObject & { lastTimestamp?: string; eventTime?: string; series?: { lastObservedTime?: string }; deprecatedLastTimestamp?: string };
  const t = o.series?.lastObservedTime ?? o.lastTimestamp ?? o.deprecatedLastTimestamp ?? o.eventTime ?? o.metadata?.creationTimestamp;
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? 0 : ms;
}

export async function runEventTtlController(c: EventTtlControllerConfig, signal: AbortSignal): Promise<void> {
  const ttl = c.ttlMs ?? 3600_000;
  await Promise.all(c.events.map((r) => r.cache.ready));
  while (!signal.aborted) {
    const cutoff = c.now() - ttl;
    for (const r of c.events) {
      for (const e of r.cache.list().items) {
        // Only events that were not touched again since they got old (a recorder may be updating the count).
        if (lastSeen(e) >= cutoff || Date.parse(e.metadata?.creationTimestamp ?? '') >= cutoff) continue;
        await r.delete(e.metadata!.namespace ?? '', e.metadata!.name!, { preconditions: { resourceVersion: e.metadata!.resourceVersion } })
          .catch((err) => ignoreExpected(err, c.logger, 'expiring an event'));
      }
    }
    await tick(new Doorbell(), c.intervalMs ?? Math.min(60_000, Math.max(100, ttl / 2)), signal);
  }
}
