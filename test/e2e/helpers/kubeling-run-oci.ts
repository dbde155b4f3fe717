/**
 * `kubeling run FILE --runtime oci` as a user runs it, for the e2e files that check a run on real containers:
 * a temp dir of its own (its mounts undone and the dir removed after the test) holding the manifest and a data
 * dir with the busybox test image imported, the run interrupted with SIGINT if it outlasts `timeoutMs`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { unmountUnder } from '../../../src/runtime/oci/mounts.ts';
import { KUBELING_BIN } from './server.ts';

export interface OciRun {
  /** The run's `--data-dir`, to look into while it runs and after. */
  data: string;
  /** The run's exit code and everything it printed. */
  exited: Promise<{ code: number | null; out: string; err: string }>;
}

export async function runKubelingOci(t: TestContext, fileName: string, manifest: string, timeoutMs: number): Promise<OciRun> {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-run-oci-'));
  t.after(() => {
    unmountUnder(dir);
    rmSync(dir, { recursive: true, force: true });
  });
  const data = join(dir, 'data');
  const { ensureBusyboxArchive } = await import('../../fixtures/busybox.ts');
  execFileSync(process.execPath, [KUBELING_BIN, 'image', 'import', await ensureBusyboxArchive(), '--data-dir', data], { stdio: 'pipe' });
  const file = join(dir, fileName);
  writeFileSync(file, manifest);

  const child = spawn(process.execPath, [KUBELING_BIN, 'run', file, '--runtime', 'oci', '--data-dir', data], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
  const exited = once(child, 'exit').then(([code]) => {
    clearTimeout(timer);
    return { code: code as number | null, out, err };
  });
  return { data, exited };
}
