/**
 * Zones and their disruption states (upstream's computeZoneStateFunc and setLimiterInZone): nodes are grouped
 * by their `topology.kubernetes.io/region` and `zone` labels; a zone where no node is Ready is in full
 * disruption, one where more than two nodes and at least `--unhealthy-zone-threshold` of them are not Ready
 * in partial disruption. The state picks the rate at which the zone's nodes are tainted NoExecute:
 *
 *   Normal             --node-eviction-rate
 *   PartialDisruption  --secondary-node-eviction-rate when the zone has more than
 *                      --large-cluster-size-threshold nodes, else 0 (tainting stops)
 *   FullDisruption     --node-eviction-rate (a zone that is all down is likely really down), unless every zone
 *                      is fully disrupted: then the controller itself is probably the one cut off, and it
 *                      taints nobody and lifts its NoExecute taints (the "master disruption mode")
 */
import type { Node } from '../../api/index.ts';
import { readyStatus } from './taints.ts';

export type ZoneState = 'Initial' | 'Normal' | 'PartialDisruption' | 'FullDisruption';

export const LABEL_REGION = 'topology.kubernetes.io/region';
export const LABEL_ZONE = 'topology.kubernetes.io/zone';

/** The zone key of a node (region and zone; nodes without labels share the key ""). */
export function zoneKey(node: Node): string {
  const labels = node.metadata?.labels ?? {};
  const region = labels[LABEL_REGION] ?? labels['failure-domain.beta.kubernetes.io/region'] ?? '';
  const zone = labels[LABEL_ZONE] ?? labels['failure-domain.beta.kubernetes.io/zone'] ?? '';
  return region === '' && zone === '' ? '' : `${region}:\x00:${zone}`;
}

export function computeZoneState(readyStatuses: string[], unhealthyZoneThreshold: number): ZoneState {
  let ready = 0;
  let notReady = 0;
  for (const s of readyStatuses) {
    if (s === 'True') ready++;
    else notReady++;
  }
  if (ready === 0 && notReady > 0) return 'FullDisruption';
  if (notReady > 2 && notReady / (ready + notReady) >= unhealthyZoneThreshold) return 'PartialDisruption';
  return 'Normal';
}

export interface EvictionRates {
  /** --node-eviction-rate (nodes per second). */
  nodeEvictionRate: number;
  /** --secondary-node-eviction-rate. */
  secondaryNodeEvictionRate: number;
  /** --large-cluster-size-threshold. */
  largeClusterSizeThreshold: number;
}

/** The tainting rate (per second) of a zone of `size` nodes in `state`. */
export function zoneEvictionRate(state: ZoneState, size: number, rates: EvictionRates): number {
  if (state === 'PartialDisruption') return size > rates.largeClusterSizeThreshold ? rates.secondaryNodeEvictionRate : 0;
  return rates.nodeEvictionRate;
}

/** Nodes by zone key. */
export function nodesByZone(nodes: Node[]): Map<string, Node[]> {
  const out = new Map<string, Node[]>();
  for (const n of nodes) {
    const k = zoneKey(n);
    const list = out.get(k) ?? [];
    list.push(n);
    out.set(k, list);
  }
  return out;
}

/** Each zone's state from its nodes' Ready conditions. */
export function zoneStates(nodes: Node[], unhealthyZoneThreshold: number): Map<string, { state: ZoneState; size: number }> {
  const out = new Map<string, { state: ZoneState; size: number }>();
  for (const [k, list] of nodesByZone(nodes)) {
    out.set(k, { state: computeZoneState(list.map(readyStatus), unhealthyZoneThreshold), size: list.length });
  }
  return out;
}
