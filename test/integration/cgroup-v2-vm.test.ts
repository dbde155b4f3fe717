/**
 * The runtime on a cgroup v2 machine, from any host: boots a qemu VM (test/vm/qemu.ts) whose kernel has a
 * pure v2 hierarchy with every controller, runs the cgroup-relevant oci integration tests inside it on real
 * containers (the host's node, crun, conmon and CNI plugins, shared read-only), and asserts that every one
 * of them passed there and none skipped. oci-cgroup-v2.test.ts is the focused one (it fails on v1 in the
 * VM); oci-container and oci-pod take their cgroup v2 branches (limits, OOMKilled) and the rest of the pod
 * plumbing (netns, CNI bridge, portmap, shared namespaces) along; stats-summary checks what `kubectl top`
 * reads (the kubelet's Summary) against a busy container on v2's counters.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ensureBusyboxArchive, ensureVariantsArchive } from '../fixtures/busybox.ts';
import { runTestsInCgroupV2Vm } from '../vm/qemu.ts';
import { missingRealContainers, missingVm } from '../prerequisites.ts';

const GUEST_TESTS = [
  'test/integration/oci-cgroup-v2.test.ts',
  'test/integration/oci-container.test.ts',
  'test/integration/oci-pod.test.ts',
  'test/integration/qos-cgroups.test.ts',
  'test/integration/stats-summary.test.ts',
];
const skip = missingVm() ?? missingRealContainers();

/** The `# key N` summary lines node's TAP reporter ends with. */
function tapSummary(tap: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of tap.matchAll(/^# (tests|suites|pass|fail|cancelled|skipped|todo) (\d+)$/gm))
    out[m[1]!] = Number(m[2]);
  return out;
}

/** The failing tests' TAP blocks (what to show when the guest reports failures). */
function failures(tap: string): string {
  const lines = tap.split('\n');
  const shown: string[] = [];
  lines.forEach((l, i) => {
    if (/^\s*not ok /.test(l) && !/# TODO/.test(l)) shown.push(...lines.slice(i, i + 14));
  });
  return shown.join('\n');
}

describe('cgroup v2 VM', { skip, timeout: 20 * 60_000 }, () => {
  it("runs the runtime's cgroup tests on a pure cgroup v2 kernel, all passing", async (t) => {
    // The guest sees the repository read-only: the test images must exist before it boots.
    await ensureBusyboxArchive();
    await ensureVariantsArchive();
    const r = await runTestsInCgroupV2Vm({ tests: GUEST_TESTS, signal: t.signal });
    t.diagnostic(`guest kernel ${r.kernel}, ${r.accel}, ${(r.ms / 1000).toFixed(1)} s`);
    // Each guest file's time (its top-level test's duration_ms in the TAP): where the VM's minutes go.
    for (const m of r.tap.matchAll(/^(?:not )?ok \d+ - (.+)\n {2}---\n {2}duration_ms: ([\d.]+)/gm)) {
      t.diagnostic(`guest: ${m[1]} ${(Number(m[2]) / 1000).toFixed(1)} s`);
    }
    const traps = r.dmesg.split('\n').filter((l) => /traps:|segfault/.test(l));
    const context = () =>
      `\n--- guest error: ${r.error}\n--- guest stderr:\n${r.stderr.slice(-2000)}\n--- guest kernel traps:\n${traps.join('\n')}\n--- console (tail):\n${r.console.slice(-3000)}`;
    assert.equal(r.error, '', `the guest failed before the tests${context()}`);
    assert.match(
      r.info,
      /^cgroup mount: cgroup2 \/sys\/fs\/cgroup cgroup2 /m,
      `the guest mounts cgroup v2 at /sys/fs/cgroup${context()}`,
    );
    for (const c of ['cpu', 'memory', 'pids']) assert.match(r.info, new RegExp(`^controllers: .*\\b${c}\\b`, 'm'));
    const sum = tapSummary(r.tap);
    assert.ok(sum.tests !== undefined, `no TAP summary from the guest (exit ${r.exitCode})${context()}`);
    assert.equal(sum.fail, 0, `guest tests failed:\n${failures(r.tap)}${context()}`);
    assert.equal(sum.cancelled, 0, `guest tests cancelled:\n${failures(r.tap)}${context()}`);
    assert.equal(
      sum.skipped,
      0,
      `guest tests skipped (a prerequisite is missing in the VM):\n${r.tap
        .split('\n')
        .filter((l) => /# SKIP/.test(l))
        .join('\n')}`,
    );
    // Known gaps are `todo` tests in the guest files: listed here, not failed on.
    for (const l of r.tap.split('\n').filter((l) => /# TODO/.test(l))) t.diagnostic(`guest todo: ${l.trim()}`);
    assert.ok((sum.pass ?? 0) >= 15, `expected the guest to pass its tests, got ${JSON.stringify(sum)}`);
    assert.match(r.tap, /^ok \d+ - oci cgroup v2 \(real containers\)$/m, 'the focused cgroup v2 suite ran and passed');
    assert.equal(r.exitCode, 0);
  });
});
