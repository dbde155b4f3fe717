/**
 * The kubelet's sysctl allowlist (upstream's `sysctl.patternAllowlist` admit handler): a pod may set only the
 * safe sysctls (namespaced, isolated from other pods) and those the node's `--allowed-unsafe-sysctls` names,
 * exactly or as a `prefix*` pattern. Anything else rejects the pod at the node with reason `SysctlForbidden`
 * (`forbidden sysctl: "kernel.msgmax" not allowlisted`). Only sysctls the kernel namespaces (net.* in the
 * pod's network namespace, kernel.shm*, kernel.msg*, kernel.sem and fs.mqueue.* in its IPC namespace) can be
 * allowed at all; a pattern naming another is refused when the node starts.
 */
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { AdmitResult } from './predicates.ts';

export const SYSCTL_FORBIDDEN_REASON = 'SysctlForbidden';

/** The safe set of kubelet 1.32. */
export const SAFE_SYSCTLS = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
];

export type SysctlNamespace = 'IPC' | 'Net';

const NAMESPACED_EXACT: Record<string, SysctlNamespace> = { 'kernel.sem': 'IPC' };
const NAMESPACED_PREFIXES: [string, SysctlNamespace][] = [
  ['kernel.shm', 'IPC'],
  ['kernel.msg', 'IPC'],
  ['fs.mqueue.', 'IPC'],
  ['net.', 'Net'],
];

const SYSCTL_SEGMENT = '[a-z0-9]([-_a-z0-9]*[a-z0-9])?';
export const SYSCTL_NAME_FMT = `^(${SYSCTL_SEGMENT}[\\./])*${SYSCTL_SEGMENT}$`;
const SYSCTL_NAME = new RegExp(SYSCTL_NAME_FMT);
const SYSCTL_PATTERN = new RegExp(`^(${SYSCTL_SEGMENT}[\\./])*(${SYSCTL_SEGMENT}\\*?|\\*)$`);

/** A name whose first separator is `/` has its `/` and `.` swapped (`net/ipv4/conf/eno2.100` → `net.ipv4.conf.eno2/100`). */
export function normalizeSysctlName(name: string): string {
  const m = /[./]/.exec(name);
  if (!m || m[0] === '.') return name;
  return name.replace(/[./]/g, (c) => (c === '/' ? '.' : '/'));
}

/** The namespace a sysctl (or a `prefix*` pattern's prefix) lives in, or undefined when it is node-wide. */
export function sysctlNamespace(name: string): SysctlNamespace | undefined {
  const n = normalizeSysctlName(name).replace(/\*$/, '');
  if (NAMESPACED_EXACT[n]) return NAMESPACED_EXACT[n];
  for (const [prefix, ns] of NAMESPACED_PREFIXES) if (n.startsWith(prefix)) return ns;
  return undefined;
}

export function isValidSysctlName(name: string): boolean {
  return name.length <= 253 && SYSCTL_NAME.test(name);
}

export class SysctlAllowlistError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SysctlAllowlistError';
  }
}

export class SysctlAllowlist {
  readonly #exact = new Map<string, SysctlNamespace>();
  readonly #prefixes = new Map<string, SysctlNamespace>();

  /** `allowedUnsafe`: the `--allowed-unsafe-sysctls` patterns; throws SysctlAllowlistError for a bad one. */
  constructor(allowedUnsafe: string[] = []) {
    for (const s of [...SAFE_SYSCTLS, ...allowedUnsafe]) {
      if (s.length > 253 || !SYSCTL_PATTERN.test(s))
        throw new SysctlAllowlistError(
          `sysctl ${JSON.stringify(s)} must have at most 253 characters and match regex ${SYSCTL_PATTERN.source}`,
        );
      const ns = sysctlNamespace(s);
      if (!ns) throw new SysctlAllowlistError(`the sysctls ${JSON.stringify(s)} are not known to be namespaced`);
      if (s.endsWith('*')) this.#prefixes.set(s.slice(0, -1), ns);
      else this.#exact.set(normalizeSysctlName(s), ns);
    }
  }

  /** Why `name` may not be set in a pod with these host namespaces, or undefined when it may. */
  #forbidden(name: string, hostNetwork: boolean, hostIPC: boolean): string | undefined {
    const n = normalizeSysctlName(name);
    let ns = this.#exact.get(n);
    if (!ns) for (const [p, pns] of this.#prefixes) if (n.startsWith(p)) ns = pns;
    if (!ns) return `${JSON.stringify(n)} not allowlisted`;
    if ((ns === 'IPC' && hostIPC) || (ns === 'Net' && hostNetwork))
      return `${JSON.stringify(n)} not allowed with host ${ns} enabled`;
    return undefined;
  }

  admit(pod: IPod): AdmitResult {
    for (const s of pod.spec?.securityContext?.sysctls ?? []) {
      const why = this.#forbidden(s.name, !!pod.spec?.hostNetwork, !!pod.spec?.hostIPC);
      if (why) return { admit: false, reason: SYSCTL_FORBIDDEN_REASON, message: `forbidden sysctl: ${why}` };
    }
    return { admit: true };
  }
}
