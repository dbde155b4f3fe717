/**
 * Who this node's peers are, read from Node objects (pure). Each node publishes in its own annotations what
 * the others need to reach its pods, as flannel does with `flannel.alpha.coreos.com/*`; kubeling uses names of
 * its own (`kubeling.io/public-ip`, `backend-type`, `backend-data`) so a flannel running on the same nodes never
 * reads ours. `backend-data` has flannel's vxlan shape: `{"VNI":1,"VtepMAC":"aa:bb:..."}`.
 *
 * A peer is a node other than this one with a podCIDR and an address (the public-ip annotation, else its
 * InternalIP) other than this node's own. A vxlan peer also needs its VTEP MAC; a node that announces another
 * backend is no peer (the manager logs it), since neither side could reach the other. Nodes at this node's own
 * address run on this very host (test servers, several agents on one machine): their pods are reached through
 * their own bridges, and a route to them would shadow that bridge's connected route.
 */
import type { INode } from 'kubernetes-models/v1/Node';

export const PUBLIC_IP_ANNOTATION = 'kubeling.io/public-ip';
export const BACKEND_TYPE_ANNOTATION = 'kubeling.io/backend-type';
export const BACKEND_DATA_ANNOTATION = 'kubeling.io/backend-data';

export type Backend = 'host-gw' | 'vxlan';
export const BACKENDS: readonly Backend[] = ['host-gw', 'vxlan'];

/** flannel's vxlan backend data. */
export interface VxlanBackendData {
  VNI: number;
  VtepMAC: string;
}

export interface Peer {
  name: string;
  /** The node's address on the network between hosts. */
  ip: string;
  /** Its spec.podCIDR, e.g. `10.42.1.0/24`. */
  podCidr: string;
  /** vxlan: the MAC of its `kubeling.vxlan` device. */
  vtepMac?: string;
}

/** The annotations a node publishes for its peers. */
export function nodeAnnotations(backend: Backend, ip: string, vtepMac?: string): Record<string, string> {
  const out: Record<string, string> = { [PUBLIC_IP_ANNOTATION]: ip, [BACKEND_TYPE_ANNOTATION]: backend };
  if (backend === 'vxlan' && vtepMac) out[BACKEND_DATA_ANNOTATION] = JSON.stringify({ VNI: 1, VtepMAC: vtepMac } satisfies VxlanBackendData);
  return out;
}

export interface PeerScan {
  peers: Peer[];
  /** Nodes left out, with why (for the log). */
  skipped: { name: string; reason: string }[];
  /** Whether any node on another host runs this backend (vxlan: this node needs its device, to announce its MAC). */
  remote: boolean;
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** The peers of node `self` (at address `selfIp`) among `nodes`, sorted by name. */
export function peersOf(nodes: readonly INode[], self: string, selfIp: string, backend: Backend): PeerScan {
  const peers: Peer[] = [];
  const skipped: PeerScan['skipped'] = [];
  let remote = false;
  for (const node of nodes) {
    const name = node.metadata?.name ?? '';
    if (!name || name === self) continue;
    const podCidr = node.spec?.podCIDR;
    if (!podCidr) continue; // not allocated yet: nothing to route
    const ann = node.metadata?.annotations ?? {};
    const ip = ann[PUBLIC_IP_ANNOTATION] ?? node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    if (!ip) {
      skipped.push({ name, reason: 'no address yet' });
      continue;
    }
    if (ip === selfIp) continue; // on this host (see the header)
    const theirs = ann[BACKEND_TYPE_ANNOTATION];
    if (theirs === undefined) {
      skipped.push({ name, reason: 'its pod network has not started yet' });
      continue;
    }
    if (theirs !== backend) {
      skipped.push({ name, reason: `it uses the ${theirs} pod network, this node ${backend}` });
      continue;
    }
    remote = true;
    if (backend === 'host-gw') {
      peers.push({ name, ip, podCidr });
      continue;
    }
    let mac: string | undefined;
    try {
      const data = JSON.parse(ann[BACKEND_DATA_ANNOTATION] ?? '') as Partial<VxlanBackendData>;
      mac = typeof data.VtepMAC === 'string' ? data.VtepMAC.toLowerCase() : undefined;
    } catch {
      mac = undefined;
    }
    if (!mac || !MAC.test(mac)) {
      skipped.push({ name, reason: 'no VTEP MAC in its backend data' });
      continue;
    }
    peers.push({ name, ip, podCidr, vtepMac: mac });
  }
  peers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { peers, skipped, remote };
}

/** The network address of a CIDR (`10.42.1.0/24` → `10.42.1.0`): the address a vxlan node gives its device. */
export function networkAddress(cidr: string): string {
  const [addr, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  const n = addr!.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const mask = bits === 0 ? 0 : (2 ** 32 - 2 ** (32 - bits));
  const net = Number((BigInt(n) & BigInt(mask)));
  return [24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.');
}
