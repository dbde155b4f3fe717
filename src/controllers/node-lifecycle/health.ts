/**
 * Node health as the node lifecycle controller sees it (upstream's tryUpdateNodeHealth): a node is alive
 * while its kubelet keeps renewing its Lease in kube-node-lease or keeps changing its Ready condition's
 * heartbeat. The controller remembers, per node, when it last saw either move (the probe time); once the
 * grace period has passed without a sign of life, it sets Ready, MemoryPressure, DiskPressure and PIDPressure
 * to `Unknown`. Pure: the caller owns the remembered state and the clock.
 *
 *   lease renewed ──┐
 *   heartbeat moved ┴─▶ probeTime = now ──(now > probeTime + grace)──▶ conditions Unknown
 */
import type { Node, NodeCondition } from '../../api/index.ts';
import { readyCondition } from './taints.ts';

/** What the controller remembers about one node between passes. */
export interface NodeHealth {
  /** When the controller last saw the kubelet alive (ms). */
  probeTime: number;
  /** The Ready condition's heartbeat and transition as last seen (or as the controller last wrote them). */
  readyHeartbeat?: string;
  readyTransition?: string;
  /** The Lease's renewTime as last seen. */
  leaseRenewTime?: string;
}

export const CONDITIONS_SET_UNKNOWN = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];
export const REASON_STATUS_UNKNOWN = 'NodeStatusUnknown';
export const MESSAGE_STATUS_UNKNOWN = 'Kubelet stopped posting node status.';
export const REASON_NEVER_UPDATED = 'NodeStatusNeverUpdated';
export const MESSAGE_NEVER_UPDATED = 'Kubelet never posted node status.';

export interface HealthInput {
  node: Node;
  leaseRenewTime?: string;
  saved?: NodeHealth;
  now: number;
  /** --node-monitor-grace-period (ms). */
  gracePeriodMs: number;
  /** The grace a node that never posted a Ready condition gets (upstream's node-startup-grace-period, 60 s). */
  startupGracePeriodMs: number;
}

export interface HealthResult {
  health: NodeHealth;
  /** The conditions to write (every one, Unknown where the kubelet went silent); undefined = leave as is. */
  conditions?: NodeCondition[];
}

export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function observeHealth(input: HealthInput): HealthResult {
  const { node, now } = input;
  const ready = readyCondition(node);
  let health: NodeHealth;
  if (!input.saved) {
    health = { probeTime: now, readyHeartbeat: ready?.lastHeartbeatTime, readyTransition: ready?.lastTransitionTime, leaseRenewTime: input.leaseRenewTime };
  } else {
    health = { ...input.saved };
    if (ready?.lastHeartbeatTime !== health.readyHeartbeat || ready?.lastTransitionTime !== health.readyTransition) {
      health.probeTime = now;
      health.readyHeartbeat = ready?.lastHeartbeatTime;
      health.readyTransition = ready?.lastTransitionTime;
    }
    if (input.leaseRenewTime && input.leaseRenewTime !== health.leaseRenewTime) {
      if (!health.leaseRenewTime || Date.parse(input.leaseRenewTime) >= Date.parse(health.leaseRenewTime)) health.probeTime = now;
      health.leaseRenewTime = input.leaseRenewTime;
    }
  }
  const grace = ready ? input.gracePeriodMs : input.startupGracePeriodMs;
  if (now <= health.probeTime + grace) return { health };

  const at = rfc3339(now);
  const current = node.status?.conditions ?? [];
  let changed = false;
  const conditions = current.map((c) => {
    if (!CONDITIONS_SET_UNKNOWN.includes(c.type) || c.status === 'Unknown') return c;
    changed = true;
    return { ...c, status: 'Unknown', reason: REASON_STATUS_UNKNOWN, message: MESSAGE_STATUS_UNKNOWN, lastTransitionTime: at };
  });
  for (const type of CONDITIONS_SET_UNKNOWN) {
    if (current.some((c) => c.type === type)) continue;
    changed = true;
    conditions.push({
      type, status: 'Unknown', reason: REASON_NEVER_UPDATED, message: MESSAGE_NEVER_UPDATED,
      lastHeartbeatTime: node.metadata?.creationTimestamp, lastTransitionTime: at,
    });
  }
  if (!changed) return { health };
  const written = conditions.find((c) => c.type === 'Ready');
  return { health: { ...health, readyHeartbeat: written?.lastHeartbeatTime, readyTransition: written?.lastTransitionTime }, conditions };
}
