/**
 * What a Service write takes from and gives back to the allocators (upstream's registry/core/service/storage
 * alloc.go, single-stack IPv4): on create a cluster IP (the one asked for, or any) and node ports for NodePort
 * and LoadBalancer Services; on update what a type or port change adds; on delete everything the Service held.
 *
 * `begin*` runs after validation and before the store write and returns a finish function (upstream's
 * FinishFunc): `finish(true)` once the write landed (an update then frees what the old object held and the new
 * one does not), `finish(false)` when it did not (what was just taken is freed). A crash between the two leaves
 * at most a key whose owner never got stored; the repair pass frees it.
 */
import { goStringSlice, invalid as invalidField, type Service, type ServicePort } from '../../api/index.ts';
import { invalid, internalError, type FieldCause } from '../status.ts';
import { AllocationError, type AllocationOwner } from './allocator.ts';
import { ipAllocationMessage, portAllocationMessage, type ServiceAllocators } from './allocators.ts';

export type FinishFunc = (success: boolean) => Promise<void>;

export function needsClusterIP(svc: Service): boolean {
  return svc.spec?.type !== 'ExternalName' && svc.spec?.clusterIP !== 'None';
}

/** Type NodePort, or LoadBalancer unless allocateLoadBalancerNodePorts is false: every port gets a node port. */
export function allocatesNodePorts(svc: Service): boolean {
  const t = svc.spec?.type;
  return t === 'NodePort' || (t === 'LoadBalancer' && svc.spec?.allocateLoadBalancerNodePorts !== false);
}

export function needsHealthCheckNodePort(svc: Service): boolean {
  return svc.spec?.type === 'LoadBalancer' && svc.spec.externalTrafficPolicy === 'Local';
}

/** The cluster IPs a Service holds from the allocator. */
export function heldIPs(svc: Service): string[] {
  if (svc.spec?.type === 'ExternalName') return [];
  return (svc.spec?.clusterIPs ?? []).filter((ip) => ip !== 'None');
}

/** The node ports a Service holds (service ports and the health check port). */
export function heldPorts(svc: Service): number[] {
  if (svc.spec?.type === 'ExternalName' || svc.spec?.type === 'ClusterIP') return [];
  const ports = new Set((svc.spec?.ports ?? []).map((p) => p.nodePort ?? 0).filter((p) => p > 0));
  if (svc.spec?.healthCheckNodePort) ports.add(svc.spec.healthCheckNodePort);
  return [...ports];
}

function ownerOf(svc: Service): AllocationOwner {
  return { namespace: svc.metadata?.namespace ?? '', name: svc.metadata?.name ?? '', uid: svc.metadata?.uid ?? '' };
}

function invalidService(svc: Service, causes: FieldCause[]) {
  return invalid('Service', '', svc.metadata?.name ?? '', causes);
}

/** Taken during one write, so a failed write gives them back. */
class Taken {
  readonly ips: string[] = [];
  readonly ports: number[] = [];
}

export class ServiceAllocation {
  readonly #a: ServiceAllocators;

  constructor(allocators: ServiceAllocators) {
    this.#a = allocators;
  }

  get allocators(): ServiceAllocators {
    return this.#a;
  }

  async beginCreate(svc: Service, dryRun: boolean): Promise<FinishFunc> {
    const taken = new Taken();
    try {
      this.#initIPFamilies(svc);
      if (needsClusterIP(svc)) await this.#allocateClusterIP(svc, taken, dryRun);
      await this.#allocateNodePorts(svc, new Set(), taken, dryRun);
    } catch (err) {
      await this.#giveBack(svc, taken, dryRun);
      throw err;
    }
    return async (success) => {
      if (!success) await this.#giveBack(svc, taken, dryRun);
    };
  }

  async beginUpdate(svc: Service, old: Service, dryRun: boolean): Promise<FinishFunc> {
    const taken = new Taken();
    try {
      if (svc.spec?.type !== 'ExternalName') {
        if (old.spec?.type === 'ExternalName' || !svc.spec?.ipFamilies?.length) {
          if (old.spec?.type !== 'ExternalName' && old.spec?.ipFamilies?.length && !svc.spec?.ipFamilies?.length) {
            svc.spec!.ipFamilies = [...old.spec.ipFamilies];
            svc.spec!.ipFamilyPolicy ??= old.spec.ipFamilyPolicy;
          }
          this.#initIPFamilies(svc);
        }
        if (needsClusterIP(svc) && heldIPs(svc).length === 0) await this.#allocateClusterIP(svc, taken, dryRun);
      }
      await this.#allocateNodePorts(svc, new Set(heldPorts(old)), taken, dryRun);
    } catch (err) {
      await this.#giveBack(svc, taken, dryRun);
      throw err;
    }
    return async (success) => {
      if (!success) return this.#giveBack(svc, taken, dryRun);
      if (dryRun) return;
      const keepIPs = new Set(heldIPs(svc));
      const keepPorts = new Set(heldPorts(svc));
      const owner = ownerOf(old);
      for (const ip of heldIPs(old)) if (!keepIPs.has(ip)) await this.#a.ips.release(ip, owner);
      for (const p of heldPorts(old)) if (!keepPorts.has(p)) await this.#a.ports.release(String(p), owner);
    };
  }

  /** Gives back everything a deleted Service held. */
  async release(svc: Service): Promise<void> {
    const owner = ownerOf(svc);
    for (const ip of heldIPs(svc)) await this.#a.ips.release(ip, owner);
    for (const p of heldPorts(svc)) await this.#a.ports.release(String(p), owner);
  }

  /**
   * ipFamilyPolicy and ipFamilies as the single-stack IPv4 server fills them: SingleStack and [IPv4], except a
   * headless Service without a selector, which gets RequireDualStack (and still [IPv4] here).
   */
  #initIPFamilies(svc: Service): void {
    const spec = svc.spec!;
    if (spec.type === 'ExternalName') return;
    const headlessNoSelector = spec.clusterIP === 'None' && Object.keys(spec.selector ?? {}).length === 0;
    const causes: FieldCause[] = [];
    if (spec.ipFamilyPolicy === undefined) spec.ipFamilyPolicy = headlessNoSelector ? 'RequireDualStack' : 'SingleStack';
    else if (spec.ipFamilyPolicy === 'RequireDualStack' && !headlessNoSelector) {
      causes.push(invalidField('spec.ipFamilyPolicy', 'RequireDualStack', 'this cluster is not configured for dual-stack services'));
    }
    const families = spec.ipFamilies ?? [];
    families.forEach((f, i) => {
      if (f !== 'IPv4' && (i === 0 || spec.ipFamilyPolicy === 'SingleStack')) {
        causes.push(invalidField(`spec.ipFamilies[${i}]`, f, 'not configured on this cluster'));
      }
    });
    if (causes.length) throw invalidService(svc, causes);
    // PreferDualStack on a single-stack cluster keeps the cluster's one family.
    spec.ipFamilies = ['IPv4'];
  }

  async #allocateClusterIP(svc: Service, taken: Taken, dryRun: boolean): Promise<void> {
    const spec = svc.spec!;
    const asked = spec.clusterIPs?.[0] ?? spec.clusterIP;
    const owner = ownerOf(svc);
    let ip: string;
    if (asked) {
      try {
        await this.#a.ips.allocate(asked, owner, dryRun);
      } catch (err) {
        if (!(err instanceof AllocationError)) throw err;
        throw invalidService(svc, [invalidField('spec.clusterIPs', goStringSlice(spec.clusterIPs ?? [asked]), ipAllocationMessage(asked, err))]);
      }
      ip = asked;
    } else {
      try {
        ip = await this.#a.ips.allocateNext(owner, dryRun);
      } catch (err) {
        if (err instanceof AllocationError) throw internalError(new Error(`failed to allocate a serviceIP: ${err.message}`));
        throw err;
      }
    }
    if (!dryRun) taken.ips.push(ip);
    spec.clusterIP = ip;
    spec.clusterIPs = [ip];
  }

  async #allocateNodePorts(svc: Service, held: Set<number>, taken: Taken, dryRun: boolean): Promise<void> {
    const spec = svc.spec!;
    if (spec.type !== 'NodePort' && spec.type !== 'LoadBalancer') return;
    const owner = ownerOf(svc);
    const mine = new Set(held);
    const take = async (port: number, field: string) => {
      if (mine.has(port)) return;
      try {
        await this.#a.ports.allocate(String(port), owner, dryRun);
      } catch (err) {
        if (!(err instanceof AllocationError)) throw err;
        throw invalidService(svc, [invalidField(field, port, portAllocationMessage(err))]);
      }
      mine.add(port);
      if (!dryRun) taken.ports.push(port);
    };
    const next = async (): Promise<number> => {
      try {
        const p = Number(await this.#a.ports.allocateNext(owner, dryRun));
        mine.add(p);
        if (!dryRun) taken.ports.push(p);
        return p;
      } catch (err) {
        if (err instanceof AllocationError) throw internalError(new Error(`failed to allocate a nodePort: ${err.message}`));
        throw err;
      }
    };
    const ports: ServicePort[] = spec.ports ?? [];
    for (const [i, p] of ports.entries()) if (p.nodePort) await take(p.nodePort, `spec.ports[${i}].nodePort`);
    if (allocatesNodePorts(svc)) {
      // A port number served over two protocols shares one node port, as upstream allocates it.
      const byPort = new Map<number, number>();
      for (const p of ports) if (p.nodePort) byPort.set(p.port, p.nodePort);
      for (const p of ports) {
        if (p.nodePort) continue;
        p.nodePort = byPort.get(p.port) ?? (await next());
        byPort.set(p.port, p.nodePort);
      }
    }
    if (needsHealthCheckNodePort(svc)) {
      if (spec.healthCheckNodePort) await take(spec.healthCheckNodePort, 'spec.healthCheckNodePort');
      else spec.healthCheckNodePort = await next();
    }
  }

  async #giveBack(svc: Service, taken: Taken, dryRun: boolean): Promise<void> {
    if (dryRun) return;
    const owner = ownerOf(svc);
    await Promise.all([
      ...taken.ips.map((ip) => this.#a.ips.release(ip, owner)),
      ...taken.ports.map((p) => this.#a.ports.release(String(p), owner)),
    ]);
  }
}
