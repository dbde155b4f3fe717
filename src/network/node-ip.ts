/**
 * The node's address when `--node-ip` is not given: the IPv4 address of the interface the default route
 * leaves through (the kubelet's and flannel's choice); on a host without a default route (a network namespace
 * made for a test) the first global IPv4 address that is not one of kubeling's or a container's own devices.
 * Read with `ip -j` through the injected exec; the choosing itself is pure (chooseNodeIp).
 */
export type IpExec = (args: string[]) => Promise<{ stdout: string }>;

interface AddrRow {
  ifname?: string;
  addr_info?: { family?: string; local?: string; scope?: string }[];
}

const OURS = /^(kubeling|cni|veth|docker|podman|virbr|flannel|lo$)/;

/** The node IP from `ip -j route show default` and `ip -j -4 addr show` output; undefined if there is none. */
export function chooseNodeIp(defaultRoutesJson: string, addrsJson: string): string | undefined {
  const routes = parse(defaultRoutesJson) as { dev?: string }[];
  const links = parse(addrsJson) as AddrRow[];
  const v4 = (l: AddrRow) => (l.addr_info ?? []).find((a) => a.family === 'inet' && a.scope === 'global' && a.local)?.local;
  const dev = routes.find((r) => r.dev)?.dev;
  const viaDefault = dev ? links.find((l) => l.ifname === dev) : undefined;
  if (viaDefault && v4(viaDefault)) return v4(viaDefault);
  for (const l of links) {
    if (OURS.test(l.ifname ?? '')) continue;
    const ip = v4(l);
    if (ip) return ip;
  }
  return undefined;
}

export async function detectNodeIp(ip: IpExec): Promise<string | undefined> {
  const [routes, addrs] = await Promise.all([ip(['-j', 'route', 'show', 'default']), ip(['-j', '-4', 'addr', 'show'])]);
  return chooseNodeIp(routes.stdout, addrs.stdout);
}

function parse(text: string): unknown[] {
  const t = text.trim();
  if (!t) return [];
  const v = JSON.parse(t) as unknown;
  return Array.isArray(v) ? v : [];
}
