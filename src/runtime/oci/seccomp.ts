/**
 * The `RuntimeDefault` seccomp profile: allow by default, refuse (EPERM) the syscalls container runtimes
 * refuse by default because they reach outside the container (kernel modules, kexec, clock, keyring, swap,
 * reboot, BPF, perf, handle-based opens, namespace changes, tracing other processes). Syscalls that a
 * capability grants are allowed again when the container adds that capability, as Docker's profile does.
 */

const ALWAYS_BLOCKED = [
  'acct', 'add_key', 'bpf', 'clock_adjtime', 'clock_settime', 'create_module', 'delete_module', 'finit_module',
  'get_kernel_syms', 'get_mempolicy', 'init_module', 'ioperm', 'iopl', 'kcmp', 'kexec_file_load', 'kexec_load',
  'keyctl', 'lookup_dcookie', 'mbind', 'move_pages', 'name_to_handle_at', 'nfsservctl', 'open_by_handle_at',
  'perf_event_open', 'pivot_root', 'process_vm_readv', 'process_vm_writev', 'query_module', 'quotactl', 'reboot',
  'request_key', 'set_mempolicy', 'settimeofday', 'swapoff', 'swapon', 'sysfs', '_sysctl', 'uselib', 'userfaultfd',
  'ustat', 'vm86', 'vm86old', 'fsconfig', 'fsmount', 'fsopen', 'fspick', 'move_mount', 'open_tree',
];

/** Syscalls allowed only with the named capability. */
const BY_CAPABILITY: Record<string, string[]> = {
  CAP_SYS_ADMIN: ['mount', 'umount', 'umount2', 'unshare', 'setns', 'clone3'],
  CAP_SYS_PTRACE: ['ptrace'],
  CAP_SYS_TIME: ['settimeofday', 'clock_settime', 'clock_adjtime'],
  CAP_SYS_MODULE: ['init_module', 'finit_module', 'delete_module'],
  CAP_SYS_BOOT: ['reboot'],
};

function architectures(): string[] {
  switch (process.arch) {
    case 'x64':
      return ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'];
    case 'arm64':
      return ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'];
    default:
      return [];
  }
}

/** The OCI `linux.seccomp` object for a container holding `capabilities` (CAP_-prefixed names). */
export function runtimeDefaultSeccomp(capabilities: string[]): Record<string, unknown> {
  const allowed = new Set<string>();
  for (const cap of capabilities) for (const s of BY_CAPABILITY[cap] ?? []) allowed.add(s);
  const blocked = new Set(ALWAYS_BLOCKED);
  for (const [cap, calls] of Object.entries(BY_CAPABILITY)) if (!capabilities.includes(cap)) for (const s of calls) blocked.add(s);
  for (const s of allowed) blocked.delete(s);
  const names = [...blocked].sort();
  // clone3 is refused with ENOSYS (not EPERM) so that libcs fall back to clone, as Docker's profile does.
  const enosys = names.filter((n) => n === 'clone3');
  const eperm = names.filter((n) => n !== 'clone3');
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: architectures(),
    syscalls: [
      { names: eperm, action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
      ...(enosys.length ? [{ names: enosys, action: 'SCMP_ACT_ERRNO', errnoRet: 38 }] : []),
    ],
  };
}
