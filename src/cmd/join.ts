/**
 * How an agent joins a server, the two halves in one place (the server's `join` component publishes, the
 * agent discovers). The server keeps one join secret, the node token in DIR/node-token; an agent is given it
 * with `--token` and needs three things: the cluster CA (to trust the server), a credential (the node token
 * itself is a bearer token the API server accepts) and the kubelet client token (the API server presents it
 * when it proxies logs/exec to a kubelet).
 *
 * Discovery follows kubeadm's bootstrap-token discovery: the server publishes ConfigMap
 * `kube-public/cluster-info` holding a kubeconfig with the server URL and CA, and a detached JWS (HS256,
 * keyed with the node token) over that kubeconfig in `jws-kubeconfig-kubeling`. The agent fetches it
 * without trusting the server's certificate, checks the signature with its token (only a holder of the token
 * could have made it), and from then on verifies the server against that CA. The kubelet client token is a
 * Secret `kube-system/kubeling-kubelet-client`, read over the verified connection.
 *
 * Pod networks: the server hands out one /24 per node from its cluster CIDR (`--cluster-cidr`, default
 * 10.42.0.0/16, as in k3s) into `node.spec.podCIDR` (node-ipam component); the first /24 is the server's own
 * node. Each node's CNI bridge is named after its /24 (bridgeForPodCidr), so several nodes, and several
 * servers with different cluster CIDRs, on one machine never share a bridge.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const CLUSTER_INFO = { namespace: 'kube-public', name: 'cluster-info' } as const;
export const KUBELET_CLIENT_SECRET = { namespace: 'kube-system', name: 'kubeling-kubelet-client' } as const;
/** The token id in `jws-kubeconfig-<id>` (kubeadm puts the public half of a bootstrap token here). */
export const JWS_KEY_ID = 'kubeling';
export const JWS_DATA_KEY = `jws-kubeconfig-${JWS_KEY_ID}`;

/** k3s's default `--cluster-cidr`. */
export const CLUSTER_CIDR = '10.42.0.0/16';

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** A detached JWS (`header..signature`) over `payload`, HS256 with `token` as the key. */
export function signDetached(payload: string, token: string): string {
  const header = b64url(JSON.stringify({ alg: 'HS256', kid: JWS_KEY_ID }));
  const sig = createHmac('sha256', token)
    .update(`${header}.${b64url(payload)}`)
    .digest();
  return `${header}..${b64url(sig)}`;
}

/** Whether `jws` is a detached HS256 signature over `payload` made with `token`. */
export function verifyDetached(payload: string, jws: string, token: string): boolean {
  const parts = jws.split('.');
  if (parts.length !== 3 || parts[1] !== '') return false;
  let header: { alg?: unknown };
  try {
    header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as { alg?: unknown };
  } catch {
    return false;
  }
  if (header.alg !== 'HS256') return false;
  const want = createHmac('sha256', token)
    .update(`${parts[0]}.${b64url(payload)}`)
    .digest();
  const given = Buffer.from(parts[2]!, 'base64url');
  return given.length === want.length && timingSafeEqual(given, want);
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

function parseCidr(cidr: string): { base: number; bits: number } {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32)
    throw new Error(`invalid IPv4 CIDR ${JSON.stringify(cidr)}`);
  const bits = Number(m[5]);
  const size = 2 ** (32 - bits);
  return {
    base: ipToInt(`${m[1]}.${m[2]}.${m[3]}.${m[4]}`) - (ipToInt(`${m[1]}.${m[2]}.${m[3]}.${m[4]}`) % size),
    bits,
  };
}

/**
 * The lowest /`nodeBits` subnet of `clusterCidr` that no node uses (`used` holds the nodes' podCIDRs in
 * canonical form), or undefined when the cluster CIDR is full.
 */
export function allocatePodCidr(used: Iterable<string>, clusterCidr = CLUSTER_CIDR, nodeBits = 24): string | undefined {
  const { base, bits } = parseCidr(clusterCidr);
  if (nodeBits < bits || nodeBits > 30) throw new Error(`cannot cut /${nodeBits} subnets from ${clusterCidr}`);
  const taken = new Set<number>();
  for (const c of used) {
    try {
      taken.add(parseCidr(c).base);
    } catch {
      // Someone else's odd value: it cannot collide with a subnet we would give out.
    }
  }
  const step = 2 ** (32 - nodeBits);
  for (let i = 0; i < 2 ** (nodeBits - bits); i++) {
    const net = base + i * step;
    if (!taken.has(net)) return `${intToIp(net)}/${nodeBits}`;
  }
  return undefined;
}

/**
 * Checks a `--cluster-cidr` value: an IPv4 network (no host bits set) from /8 to /24, so whole /24s can be cut
 * from it. Returns it unchanged; throws an Error whose message is one line for the user.
 */
export function validateClusterCidr(text: string): string {
  let parsed: { base: number; bits: number };
  try {
    parsed = parseCidr(text);
  } catch {
    throw new Error(`invalid value for --cluster-cidr: ${JSON.stringify(text)} (want an IPv4 CIDR such as 10.42.0.0/16)`);
  }
  if (parsed.bits < 8 || parsed.bits > 24)
    throw new Error(`invalid value for --cluster-cidr: ${JSON.stringify(text)} (the prefix must be /8 to /24: nodes get /24s)`);
  const want = `${intToIp(parsed.base)}/${parsed.bits}`;
  if (want !== text) throw new Error(`invalid value for --cluster-cidr: ${JSON.stringify(text)} (host bits set; did you mean ${want}?)`);
  return text;
}

/** The server's own node's pod CIDR: the first /24 of the cluster CIDR (10.42.0.0/24 by default). */
export function serverNodePodCidr(clusterCidr = CLUSTER_CIDR): string {
  return allocatePodCidr([], clusterCidr)!;
}

/**
 * The CNI bridge of the node with this pod CIDR, at most 15 characters (IFNAMSIZ - 1): `kubeling0` for
 * 10.42.0.0/24 and `kubeling7` for 10.42.7.0/24 (the default cluster CIDR keeps its names), `kubeling43-5`
 * for 10.43.5.0/24 in other 10.x ranges, `kl172-16-5` outside 10/8. Distinct /24s get distinct names.
 */
export function bridgeForPodCidr(podCidr: string): string {
  const { base } = parseCidr(podCidr);
  const [a, b, c] = intToIp(base).split('.');
  if (a === '10' && b === '42') return `kubeling${c}`;
  if (a === '10') return `kubeling${b}-${c}`;
  return `kl${a}-${b}-${c}`;
}

/** First three octets of a /24 (the fake runtime's pod subnet). */
export function subnetPrefix(podCidr: string): string {
  return intToIp(parseCidr(podCidr).base).split('.').slice(0, 3).join('.');
}
