/**
 * Sysctl names as Kubernetes checks them (component-helpers' sysctl namespace table and validation's name
 * regex): which kernel namespace a sysctl lives in (net.* in the network namespace; kernel.shm*, kernel.msg*,
 * kernel.sem and fs.mqueue.* in the IPC namespace; anything else is node-wide), and `/`-separated names.
 */

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
export const SYSCTL_PATTERN_FMT = `^(${SYSCTL_SEGMENT}[\\./])*(${SYSCTL_SEGMENT}\\*?|\\*)$`;
export const SYSCTL_MAX_LENGTH = 253;
const SYSCTL_NAME = new RegExp(SYSCTL_NAME_FMT);
const SYSCTL_PATTERN = new RegExp(SYSCTL_PATTERN_FMT);

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
  return name.length <= SYSCTL_MAX_LENGTH && SYSCTL_NAME.test(name);
}

export function isValidSysctlPattern(pattern: string): boolean {
  return pattern.length <= SYSCTL_MAX_LENGTH && SYSCTL_PATTERN.test(pattern);
}
