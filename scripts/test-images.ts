#!/usr/bin/env node
// Builds the test images tests and demos use (no internet needed) and prints their paths:
//   .cache/images/busybox-1.35.oci.tar  — docker.io/library/busybox:1.35, an OCI archive from busybox-static.
// Idempotent: a cached archive is kept while the busybox binary is unchanged.
// `node scripts/test-images.ts [--out PATH]`
import { BUSYBOX_ARCHIVE, ensureBusyboxArchive } from '../test/fixtures/busybox.ts';

const outAt = process.argv.indexOf('--out');
const out = outAt > 0 ? process.argv[outAt + 1] : BUSYBOX_ARCHIVE;
if (!out) {
  console.error('usage: node scripts/test-images.ts [--out PATH]');
  process.exit(2);
}
try {
  console.log(await ensureBusyboxArchive(out));
} catch (err) {
  console.error(`test-images: ${(err as Error).message}`);
  process.exit(1);
}
