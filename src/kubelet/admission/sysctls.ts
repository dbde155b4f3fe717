/**
 * The kubelet's sysctl allowlist (upstream's `sysctl.patternAllowlist` admit handler): a pod may set only the
 * safe sysctls (namespaced, isolated from other pods) and those the node's `--allowed-unsafe-sysctls` names,
 * exactly or as a `prefix*` pattern. Anything else rejects the pod at the node with reason `SysctlForbidden`
 * (`forbidden sysctl: "kernel.msgmax" not allowlisted`). Only sysctls the kernel namespaces (net.* in the
 * pod's network namespace, kernel.shm*, kernel.msg*, kernel.sem and fs.mqueue.* in its IPC namespace) can be
 * allowed at all; a pattern naming another is refused when the node starts.
 */
import type { IPod } from 'kubernetes-models/v1/Pod';
import {
  SYSCTL_PATTERN_FMT,
  isValidSysctlPattern,
  normalizeSysctlName,
  sysctlNamespace,
  type SysctlNamespace,
} from '../../api/index.ts';
import type { AdmitResult } from './predicates.ts';

export { normalizeSysctlName, sysctlNamespace };

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
      if (!isValidSysctlPattern(s))
        throw new SysctlAllowlistError(
          `sysctl ${JSON.stringify(s)} must have at most 253 characters and match regex ${SYSCTL_PATTERN_FMT}`,
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
