/**
 * Stale UDP flows, as upstream's conntrack cleanup (pkg/proxy/conntrack): NAT is decided on a flow's first
 * packet, and a UDP "connection" lives on in conntrack as long as packets keep coming, so a client that keeps
 * sending to a Service (a resolver to DNS) would keep reaching an endpoint that is gone, or keep being
 * rejected after endpoints appeared. After each sync the proxy deletes, with `conntrack -D`:
 *   - flows DNATed to an endpoint a UDP Service port no longer uses (by service IP and port, or node port);
 *   - flows to a UDP Service port that had no endpoint and now has one (they were rejected or dropped).
 * TCP needs nothing: its flows end, and new connections take the new rules. Pure: the arguments only.
 */
import { usableEndpoints, type ServicePortInfo } from './service-ports.ts';

const portKey = (p: ServicePortInfo) => `${p.namespace}/${p.name}/${p.portName}/${p.protocol}`;

/** `conntrack` argument lists that delete the flows `prev` -> `next` left stale, in a stable order. */
export function staleUdpFlows(prev: ServicePortInfo[], next: ServicePortInfo[]): string[][] {
  const now = new Map(next.map((p) => [portKey(p), p]));
  const out: string[][] = [];
  for (const before of prev) {
    if (before.protocol !== 'UDP') continue;
    const after = now.get(portKey(before));
    const had = new Set(usableEndpoints(before.endpoints, false).map((e) => e.ip));
    const has = new Set(after ? usableEndpoints(after.endpoints, false).map((e) => e.ip) : []);
    for (const ip of [...had].filter((e) => !has.has(e)).sort()) {
      for (const svcIP of [before.clusterIP, ...before.externalIPs]) {
        out.push(['-D', '-p', 'udp', '--orig-dst', svcIP, '--orig-port-dst', String(before.port), '--dst-nat', ip]);
      }
      if (before.nodePort !== undefined) out.push(['-D', '-p', 'udp', '--orig-port-dst', String(before.nodePort), '--dst-nat', ip]);
    }
  }
  const earlier = new Map(prev.map((p) => [portKey(p), p]));
  for (const after of next) {
    if (after.protocol !== 'UDP' || usableEndpoints(after.endpoints, false).length === 0) continue;
    const before = earlier.get(portKey(after));
    if (before && usableEndpoints(before.endpoints, false).length > 0) continue;
    for (const svcIP of [after.clusterIP, ...after.externalIPs]) {
      out.push(['-D', '-p', 'udp', '--orig-dst', svcIP, '--orig-port-dst', String(after.port)]);
    }
    if (after.nodePort !== undefined) out.push(['-D', '-p', 'udp', '--orig-port-dst', String(after.nodePort)]);
  }
  return out;
}
