#!/usr/bin/env node
// Builds the test images tests and demos use (no internet needed) and prints their paths:
//   .cache/images/busybox-1.35.oci.tar      — docker.io/library/busybox:1.35, an OCI archive from busybox-static.
//   .cache/images/busybox-variants.oci.tar  — kubeling.test/{entrypoint,config,named-user}:1 on busybox's layer
//                                             (entrypoint+cmd, user, workdir, env, stop signal, exposed port).
// Idempotent: a cached archive is kept while the busybox binary is unchanged.
// `node scripts/test-images.ts [--out PATH] [--push HOST:PORT]`: --push also uploads it to a registry as
// library/busybox:1.35 (plain HTTP; e.g. one started with `node scripts/registry.ts`).
import { parseArgs } from 'node:util';
import { BUSYBOX_ARCHIVE, ensureBusyboxArchive, ensureVariantsArchive } from '../test/fixtures/busybox.ts';
import { pushImage } from './registry.ts';

try {
  const { values } = parseArgs({ options: { out: { type: 'string' }, push: { type: 'string' } } });
  const out = await ensureBusyboxArchive(values.out ?? BUSYBOX_ARCHIVE);
  console.log(out);
  if (!values.out) console.log(await ensureVariantsArchive());
  if (values.push) {
    const digest = await pushImage(values.push, 'library/busybox:1.35', out);
    console.log(`${values.push}/library/busybox:1.35@${digest}`);
  }
} catch (err) {
  console.error(`test-images: ${(err as Error).message}`);
  process.exit(1);
}
