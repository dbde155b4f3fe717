/**
 * The allocators' repair pass (upstream's ipallocator and portallocator repair controllers, in one): run at
 * start and then periodically, it makes the allocation keys agree with the stored Services.
 *
 * - A key whose owner is gone (no Service by that name and uid, or one that no longer holds the item) is freed,
 *   but only once it is older than `graceMs`: another API server may be between taking it and storing its
 *   Service. The delete is conditional on the key not having changed since it was read.
 * - An item a Service holds without a key (objects written before allocation keys existed, a restore) gets
 *   its key back; an item two Services hold is reported, never silently reassigned.
 */
import type { Service } from '../../api/index.ts';
import type { Logger } from '../../machinery/index.ts';
import type { StoreAllocator } from './allocator.ts';
import type { ServiceAllocators } from './allocators.ts';
import { heldIPs, heldPorts } from './service-allocation.ts';

export interface RepairResult {
  freed: string[];
  restored: string[];
  conflicts: string[];
}

export interface RepairConfig {
  allocators: ServiceAllocators;
  /** Every stored Service, read after the allocations (so a Service created meanwhile is seen). */
  listServices: () => Promise<Service[]>;
  now: () => number;
  /** How old an ownerless key must be before it is freed (default 60 s). */
  graceMs?: number;
  logger?: Logger;
}

const DEFAULT_GRACE_MS = 60_000;

async function repairOne(c: RepairConfig, allocator: StoreAllocator, held: (s: Service) => string[], services: Service[], kind: string, result: RepairResult): Promise<void> {
  const allocations = await allocator.list();
  const holders = new Map<string, Service[]>();
  for (const s of services) {
    for (const item of held(s)) {
      if (!allocator.contains(item)) continue;
      const list = holders.get(item) ?? [];
      list.push(s);
      holders.set(item, list);
    }
  }
  const grace = c.graceMs ?? DEFAULT_GRACE_MS;
  const keyed = new Set<string>();
  for (const a of allocations) {
    keyed.add(a.item);
    const owners = holders.get(a.item) ?? [];
    if (owners.some((s) => s.metadata?.uid === a.owner.uid)) continue;
    if (c.now() - a.at < grace) continue;
    if (await allocator.releaseIfUnchanged(a)) {
      result.freed.push(`${kind} ${a.item}`);
      c.logger?.info({ item: a.item, owner: `${a.owner.namespace}/${a.owner.name}` }, `freed a leaked ${kind}`);
    }
  }
  for (const [item, owners] of holders) {
    if (owners.length > 1) {
      result.conflicts.push(`${kind} ${item}`);
      c.logger?.warn({ item, services: owners.map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`) }, `${kind} held by more than one Service`);
    }
    if (keyed.has(item)) continue;
    const s = owners[0]!;
    try {
      await allocator.allocate(item, { namespace: s.metadata?.namespace ?? '', name: s.metadata?.name ?? '', uid: s.metadata?.uid ?? '' });
      result.restored.push(`${kind} ${item}`);
    } catch (err) {
      c.logger?.warn({ item, err: String(err) }, `could not restore the allocation of a ${kind}`);
    }
  }
}

/** One repair pass over both allocators. */
export async function repairAllocations(c: RepairConfig): Promise<RepairResult> {
  const result: RepairResult = { freed: [], restored: [], conflicts: [] };
  // Services first, allocations after: a key taken after this list looks ownerless, and the grace period keeps it.
  const services = await c.listServices();
  await repairOne(c, c.allocators.ips, heldIPs, services, 'service IP', result);
  await repairOne(c, c.allocators.ports, (s) => heldPorts(s).map(String), services, 'node port', result);
  return result;
}
