/**
 * The image store against real things: the busybox test image built from busybox-static, Debian's
 * docker-registry on loopback, GNU tar unpacking as root. Import (OCI archive, OCI layout, Docker archive),
 * push + pull by tag and digest, shared layers unpacked once, concurrent pulls downloading once, platform
 * resolution through an index, digest verification, bearer-token auth, registries.yaml mirrors, clear errors,
 * removal and image GC.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/machinery/index.ts';
import { isRuntimeError, type PullProgress } from '../../src/runtime/runtime.ts';
import { imageCommand, OciImageService, parseRegistriesYaml } from '../../src/runtime/images/index.ts';
import { pushImage, startBusyboxRegistry, startRegistry, startRegistryProxy, type RunningRegistry } from '../../scripts/registry.ts';
import { BUSYBOX_IMAGE, buildBusyboxImage, ensureBusyboxArchive, ensureVariantsArchive } from '../fixtures/busybox.ts';
import { buildImage, buildIndex, writeDockerArchive, writeOciLayout, type BuiltImage } from '../fixtures/oci-image.ts';
import { missingRegistry, missingSkopeo } from '../prerequisites.ts';

const skip = missingRegistry();

describe('image store (integration)', { skip }, () => {
  let work: string;
  let registry: RunningRegistry;
  let archive: string;
  let busybox: BuiltImage;
  /** busybox plus one layer: shares busybox's base layer. */
  let derived: BuiltImage;
  let nextRoot = 0;
  const newService = (extra: Partial<ConstructorParameters<typeof OciImageService>[0]> = {}) =>
    new OciImageService({ root: join(work, `store-${nextRoot++}`), ...extra });
  const layerDirsIn = (svc: OciImageService) => readdirSync(join(svc.store.root, 'layers'));

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'kubeling-images-'));
    archive = await ensureBusyboxArchive();
    busybox = await buildBusyboxImage();
    derived = await buildImage({
      layers: [busybox.layers[0]!, [{ type: 'dir', path: 'app' }, { type: 'file', path: 'app/hello.sh', content: '#!/bin/sh\necho hello\n', mode: 0o755 }]],
      config: { Cmd: ['/app/hello.sh'], Env: ['PATH=/bin'], User: '65534', WorkingDir: '/app', ExposedPorts: { '8080/tcp': {} }, StopSignal: 'SIGINT' },
    });
    registry = await startRegistry();
    await pushImage(registry.host, 'library/busybox:1.35', archive);
    await pushImage(registry.host, 'library/busybox:other', busybox);
    await pushImage(registry.host, 'apps/hello:v1', derived);
  });

  after(async () => {
    await registry?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('imports the busybox OCI archive under docker.io/library/busybox:1.35 with a usable root filesystem', async () => {
    const svc = newService();
    const [img] = await svc.importArchive(archive);
    assert.ok(img);
    assert.deepEqual(img.repoTags, [BUSYBOX_IMAGE]);
    assert.equal(img.id, busybox.config.digest);
    assert.deepEqual(img.repoDigests, [`docker.io/library/busybox@${busybox.manifest.digest}`]);
    for (const ref of ['busybox:1.35', BUSYBOX_IMAGE, img.id, img.id.slice(7), img.id.slice(7, 19), `busybox@${busybox.manifest.digest}`]) {
      assert.equal((await svc.imageStatus(ref))?.id, img.id, ref);
    }
    assert.equal(await svc.imageStatus('busybox:latest'), undefined);
    const { layerDirs, config } = await svc.imageLayers('busybox:1.35');
    assert.equal(layerDirs.length, 1);
    const root = layerDirs[0]!;
    assert.equal(statSync(join(root, 'bin/busybox')).mode & 0o777, 0o755);
    assert.equal(readlinkSync(join(root, 'bin/sh')), 'busybox');
    assert.match(readFileSync(join(root, 'etc/passwd'), 'utf8'), /^root:x:0:0:/m);
    assert.match(readFileSync(join(root, 'etc/group'), 'utf8'), /^nobody:x:65534:/m);
    assert.equal(statSync(join(root, 'tmp')).mode & 0o7777, 0o1777);
    assert.deepEqual(config.cmd, ['sh']);
    // The unpacked busybox runs.
    assert.match(execFileSync(join(root, 'bin/busybox'), ['echo', 'ok'], { encoding: 'utf8' }), /ok/);
    const fs = await svc.imageFsInfo();
    assert.ok(fs.usedBytes >= img.size && fs.capacityBytes > 0 && fs.availableBytes > 0);
  });

  test('imports an OCI layout directory and a Docker archive; the same layer is unpacked once', async () => {
    const svc = newService();
    const layout = join(work, 'layout');
    await writeOciLayout(layout, [{ image: busybox, name: 'example.com/tools/bb:layout' }]);
    const dockerTar = join(work, 'docker.tar');
    await writeDockerArchive(dockerTar, [{ image: busybox, repoTags: ['myrepo/bb:dock'] }]);
    const [a] = await svc.importArchive(layout);
    const [b] = await svc.importArchive(dockerTar, { tag: 'extra:tag' });
    assert.equal(a!.id, b!.id);
    const img = await svc.imageStatus('myrepo/bb:dock');
    assert.deepEqual(img?.repoTags.sort(), ['docker.io/library/extra:tag', 'docker.io/myrepo/bb:dock', 'example.com/tools/bb:layout']);
    assert.equal(layerDirsIn(svc).length, 1);
    await assert.rejects(svc.importArchive(join(work, 'nope.tar')), (e) => isRuntimeError(e, 'NotFound'));
    writeFileSync(join(work, 'junk.tar'), 'not a tar');
    await assert.rejects(svc.importArchive(join(work, 'junk.tar')), (e) => isRuntimeError(e, 'InvalidArgument') && /junk\.tar/.test(e.message));
    await assert.rejects(svc.importArchive(layout, { tag: 'Bad:Tag' }), /repository name must be lowercase/);
    // An archive of several images (the busybox variants) imports them all, on the one shared base layer.
    const variants = await svc.importArchive(await ensureVariantsArchive());
    assert.deepEqual(variants.flatMap((v) => v.repoTags).sort(), ['kubeling.test/config:1', 'kubeling.test/entrypoint:1', 'kubeling.test/named-user:1']);
    const cfg = await svc.imageLayers('kubeling.test/config:1');
    assert.deepEqual([cfg.config.user, cfg.config.workingDir, cfg.config.stopSignal], ['65534:65534', '/work', 'SIGUSR1']);
    assert.equal(cfg.layerDirs[0], (await svc.imageLayers(a!.id)).layerDirs[0]);
    assert.deepEqual((await svc.imageStatus('kubeling.test/entrypoint:1'))?.config.entrypoint, ['/bin/echo', 'entrypoint']);
    assert.equal(layerDirsIn(svc).length, 2);
    await assert.rejects(svc.importArchive(await ensureVariantsArchive(), { tag: 'one:tag' }), /exactly one image/);
  });

  test('pulls by tag and by digest; two tags share one unpacked layer; progress is reported', async () => {
    const svc = newService();
    const seen: PullProgress[] = [];
    const id = await svc.pullImage(`${registry.host}/library/busybox:1.35`, { onProgress: (p) => seen.push(p) });
    assert.equal(id, busybox.config.digest);
    const total = busybox.config.size + busybox.layers[0]!.size;
    assert.ok(seen.length > 0);
    assert.deepEqual(seen.at(-1), { downloaded: total, total, layersDone: 1, layers: 1 });
    assert.equal(seen[0]!.layersDone, 0, 'the config lands before the layer');
    assert.ok(seen.every((p, i) => p.downloaded <= total && (i === 0 || p.downloaded >= seen[i - 1]!.downloaded)));

    assert.equal(await svc.pullImage(`${registry.host}/library/busybox:other`), id);
    const byDigest = `${registry.host}/library/busybox@${busybox.manifest.digest}`;
    assert.equal(await svc.pullImage(byDigest), id);
    const img = (await svc.imageStatus(byDigest))!;
    assert.deepEqual(img.repoTags.sort(), [`${registry.host}/library/busybox:1.35`, `${registry.host}/library/busybox:other`]);
    assert.ok(img.repoDigests.includes(byDigest));
    assert.equal((await svc.listImages()).length, 1);
    assert.equal(layerDirsIn(svc).length, 1);

    // An image built on busybox reuses its unpacked base layer and adds one.
    const hello = await svc.imageLayers(await svc.pullImage(`${registry.host}/apps/hello:v1`));
    const base = await svc.imageLayers(id);
    assert.equal(hello.layerDirs.length, 2);
    assert.equal(hello.layerDirs[0], base.layerDirs[0]);
    assert.equal(layerDirsIn(svc).length, 2);
    assert.deepEqual(hello.config, { user: '65534', cmd: ['/app/hello.sh'], env: ['PATH=/bin'], workingDir: '/app', stopSignal: 'SIGINT', exposedPorts: ['8080/tcp'] });
    assert.ok(existsSync(join(hello.layerDirs[1]!, 'app/hello.sh')));
  });

  test('a mirror serves docker.io names from the loopback registry', async () => {
    assert.throws(() => newService({ mirrors: { 'docker.io': 'ftp://x' } }), /must be http\(s\)/);
    const bb = await startBusyboxRegistry();
    try {
      const svc = newService({ mirrors: bb.mirrors });
      assert.equal(await svc.pullImage('busybox:1.35'), busybox.config.digest);
      const img = (await svc.imageStatus('busybox:1.35'))!;
      assert.deepEqual(img.repoTags, [BUSYBOX_IMAGE]);
      assert.deepEqual(img.repoDigests, [`docker.io/library/busybox@${bb.digest}`]);
      // Pinned by digest and present: no registry needed. Registry gone: a present image is found, an
      // absent one fails with the connection error.
      await bb.stop();
      assert.equal(await svc.pullImage(`busybox@${bb.digest}`), img.id);
      assert.equal(await svc.pullImage('busybox:1.35'), img.id);
      await assert.rejects(svc.pullImage('busybox:1.36'), (e) => isRuntimeError(e, 'ImagePullFailed') && /ECONNREFUSED/.test(e.message));
    } finally {
      await bb.stop();
    }
  });

  test('registries.yaml mirrors: tried in order with the rewrite, the first failure reported when none has the image', async (t) => {
    const bb = await startBusyboxRegistry();
    t.after(() => bb.stop());
    const empty = await startRegistry();
    t.after(() => empty.stop());
    const emptyProxy = await startRegistryProxy(empty.host);
    t.after(() => emptyProxy.stop());
    const registries = parseRegistriesYaml(`mirrors:
  example.invalid:5000:
    endpoint: ["http://${emptyProxy.host}", "http://${bb.host}"]
    rewrite: {"^hub/(.*)": "library/$1"}
`);
    const svc = newService({ registries });
    // The first mirror lacks it (asked under the rewritten name); the second has it; the name is kept.
    const id = await svc.pullImage('example.invalid:5000/hub/busybox:1.35');
    assert.equal(id, busybox.config.digest);
    assert.ok(emptyProxy.requests.some((r) => r.path === '/v2/library/busybox/manifests/1.35'), JSON.stringify(emptyProxy.requests));
    assert.deepEqual((await svc.imageStatus(id))!.repoTags, ['example.invalid:5000/hub/busybox:1.35']);
    // No endpoint has the tag (and example.invalid never resolves): the first mirror's answer is the reason.
    await assert.rejects(
      svc.pullImage('example.invalid:5000/hub/busybox:none'),
      (e) => isRuntimeError(e, 'ImagePullFailed') && e.message.startsWith('failed to pull and unpack image "example.invalid:5000/hub/busybox:none": failed to resolve reference "example.invalid:5000/hub/busybox:none": example.invalid:5000/hub/busybox:none: not found'),
    );
  });

  test('pulls Docker schema 2 images pushed by skopeo', async (t) => {
    const noSkopeo = missingSkopeo();
    if (noSkopeo) return t.skip(noSkopeo);
    execFileSync('skopeo', ['copy', '--quiet', '--format', 'v2s2', '--dest-tls-verify=false', `oci-archive:${archive}`, `docker://${registry.host}/skopeo/busybox:v2s2`], { stdio: 'pipe', env: { ...process.env, TMPDIR: work } });
    const raw = await fetch(`http://${registry.host}/v2/skopeo/busybox/manifests/v2s2`, { headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
    assert.equal(raw.headers.get('content-type'), 'application/vnd.docker.distribution.manifest.v2+json');
    await raw.arrayBuffer();
    const svc = newService();
    const id = await svc.pullImage(`${registry.host}/skopeo/busybox:v2s2`);
    const { layerDirs } = await svc.imageLayers(id);
    assert.ok(lstatSync(join(layerDirs[0]!, 'bin/busybox')).isFile());
  });

  test('concurrent pulls download each blob once', async () => {
    const proxy = await startRegistryProxy(registry.host);
    try {
      const svc = newService();
      const last: Record<string, PullProgress> = {};
      const [a, b, c] = await Promise.all([
        svc.pullImage(`${proxy.host}/library/busybox:1.35`, { onProgress: (p) => (last.a = p) }),
        svc.pullImage(`${proxy.host}/library/busybox:1.35`),
        svc.pullImage(`${proxy.host}/apps/hello:v1`, { onProgress: (p) => (last.c = p) }),
      ]);
      // Each pull's progress reaches its total, also for the base layer the other pull downloaded.
      for (const p of Object.values(last)) assert.equal(p.downloaded, p.total);
      assert.equal(Object.keys(last).length, 2);
      assert.equal(a, b);
      assert.equal(c, derived.config.digest);
      const blobGets = proxy.requests.filter((r) => r.method === 'GET' && r.path.includes('/blobs/')).map((r) => r.path.split('/').pop());
      // busybox: config + layer; hello: config + its own layer (the shared base layer once for both).
      assert.equal(blobGets.length, 4, JSON.stringify(blobGets));
      assert.equal(new Set(blobGets).size, 4);
      const manifestGets = proxy.requests.filter((r) => r.path.includes('/manifests/'));
      assert.equal(manifestGets.length, 2, 'one manifest request per distinct reference');
      assert.equal(layerDirsIn(svc).length, 2);
      // One of two callers giving up does not abort the other's pull; the last one to give up aborts it.
      const quitter = new AbortController();
      const svc2 = newService();
      const gaveUp = svc2.pullImage(`${proxy.host}/apps/hello:v1`, { signal: quitter.signal });
      const stayed = svc2.pullImage(`${proxy.host}/apps/hello:v1`);
      quitter.abort();
      await assert.rejects(gaveUp, { name: 'AbortError' });
      assert.equal(await stayed, derived.config.digest);
      const alone = new AbortController();
      const solo = newService();
      const lone = solo.pullImage(`${proxy.host}/apps/hello:v1`, { signal: alone.signal });
      alone.abort();
      await assert.rejects(lone, { name: 'AbortError' });
      assert.deepEqual(await solo.listImages(), []);
      assert.deepEqual(readdirSync(solo.store.tmp), []);
      // Pulling again: manifests only, no blob downloads.
      proxy.requests.length = 0;
      await svc.pullImage(`${proxy.host}/apps/hello:v1`);
      assert.deepEqual(proxy.requests.filter((r) => r.path.includes('/blobs/')), []);
    } finally {
      await proxy.stop();
    }
  });

  test('an image index resolves to the node platform', async () => {
    const other = await buildImage({ layers: [[{ type: 'file', path: 'arch', content: 'other' }]], platform: { os: 'linux', architecture: process.arch === 'x64' ? 'arm64' : 'amd64' } });
    const native = await buildImage({ layers: [[{ type: 'file', path: 'arch', content: 'native' }]], platform: { os: 'linux', architecture: process.arch === 'x64' ? 'amd64' : 'arm64', ...(process.arch === 'arm64' ? { variant: 'v8' } : {}) } });
    const index = buildIndex([other, native], true);
    const digest = await pushImage(registry.host, 'multi/arch:1', index);
    const svc = newService();
    const id = await svc.pullImage(`${registry.host}/multi/arch:1`);
    assert.equal(id, native.config.digest);
    const img = (await svc.imageStatus(`${registry.host}/multi/arch@${digest}`))!;
    assert.equal(img.id, native.config.digest);
    const { layerDirs } = await svc.imageLayers(id);
    assert.equal(readFileSync(join(layerDirs[0]!, 'arch'), 'utf8'), 'native');
    const onlyOther = await pushImage(registry.host, 'multi/foreign:1', buildIndex([other]));
    assert.ok(onlyOther);
    await assert.rejects(svc.pullImage(`${registry.host}/multi/foreign:1`), (e) => isRuntimeError(e, 'ImagePullFailed') && /no match for platform in manifest/.test(e.message));
  });

  test('bad references, unknown tags and repositories, unreachable registries give clear errors', async () => {
    const svc = newService();
    await assert.rejects(svc.pullImage('Busybox'), (e) => isRuntimeError(e, 'InvalidArgument') && /repository name must be lowercase/.test(e.message));
    await assert.rejects(svc.pullImage('busybox:bad tag'), (e) => isRuntimeError(e, 'InvalidArgument') && /invalid reference format/.test(e.message));
    await assert.rejects(svc.imageStatus('a@b'), (e) => isRuntimeError(e, 'InvalidArgument'));
    await assert.rejects(svc.pullImage(`${registry.host}/library/busybox:nope`), (e) => {
      assert.ok(isRuntimeError(e, 'ImagePullFailed'));
      assert.equal(
        e.message,
        `failed to pull and unpack image "${registry.host}/library/busybox:nope": failed to resolve reference "${registry.host}/library/busybox:nope": ${registry.host}/library/busybox:nope: not found: manifest unknown`,
      );
      return true;
    });
    await assert.rejects(svc.pullImage(`${registry.host}/no/such:1`), (e) => isRuntimeError(e, 'ImagePullFailed') && /not found/.test(e.message));
    // A port nothing listens on.
    const { freePort } = await import('../../scripts/registry.ts');
    const port = await freePort();
    await assert.rejects(svc.pullImage(`127.0.0.1:${port}/x:1`), (e) => isRuntimeError(e, 'ImagePullFailed') && /failed to do request: .*ECONNREFUSED/.test(e.message));
    await assert.rejects(svc.imageLayers('busybox:1.35'), (e) => isRuntimeError(e, 'NotFound'));
    await svc.removeImage('busybox:1.35'); // idempotent on absent images
    assert.deepEqual(await svc.listImages(), []);
  });

  test('a blob whose bytes do not match its digest is refused and not stored', async () => {
    const local = await startRegistry();
    try {
      await pushImage(local.host, 'bad/blob:1', derived);
      const layer = derived.layers[1]!;
      const hex = layer.digest.slice(7);
      const data = join(local.dir, 'data/docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
      const bytes = readFileSync(data);
      bytes[bytes.length - 10] ^= 0xff;
      writeFileSync(data, bytes);
      const svc = newService();
      await assert.rejects(svc.pullImage(`${local.host}/bad/blob:1`), (e) => isRuntimeError(e, 'ImagePullFailed') && e.message.includes(`failed to copy layer ${layer.digest}: digest mismatch`));
      assert.ok(!existsSync(svc.store.blobPath(layer.digest)));
      assert.deepEqual(await svc.listImages(), []);
    } finally {
      await local.stop();
    }
  });

  test('bearer-token auth: anonymous pulls are refused, credentials get a scoped token', async () => {
    const proxy = await startRegistryProxy(registry.host, { token: { username: 'alice', password: 's3cret', service: 'test-registry' } });
    try {
      const svc = newService();
      const ref = `${proxy.host}/library/busybox:1.35`;
      await assert.rejects(svc.pullImage(ref), (e) => isRuntimeError(e, 'ImagePullFailed') && /failed to authorize: failed to fetch anonymous token: .*401/.test(e.message));
      await assert.rejects(svc.pullImage(ref, { auth: { username: 'alice', password: 'wrong' } }), (e) => isRuntimeError(e, 'ImagePullFailed') && /failed to fetch oauth token: .*401/.test(e.message));
      assert.equal(await svc.pullImage(ref, { auth: { username: 'alice', password: 's3cret' } }), busybox.config.digest);
      assert.deepEqual(proxy.tokenRequests[0], { service: 'test-registry', scope: 'repository:library/busybox:pull', user: 'alice' });
      // A docker config.json style `auth` works too (a pull secret).
      const auth = Buffer.from('alice:s3cret').toString('base64');
      assert.equal(await svc.pullImage(`${proxy.host}/apps/hello:v1`, { auth: { auth } }), derived.config.digest);
      assert.ok(proxy.tokenRequests.some((t) => t.scope === 'repository:apps/hello:pull'));
    } finally {
      await proxy.stop();
    }
  });

  test('removing an image keeps layers other images use; the last removal empties the store', async () => {
    const containers = new Set<string>();
    const svc = newService({ imagesInUse: async () => new Set(containers) });
    await svc.pullImage(`${registry.host}/library/busybox:1.35`);
    const helloId = await svc.pullImage(`${registry.host}/apps/hello:v1`);
    const hello = await svc.imageLayers(helloId);
    containers.add(busybox.config.digest); // a container made from busybox exists
    await assert.rejects(svc.removeImage(`${registry.host}/library/busybox:1.35`), (e) => isRuntimeError(e, 'FailedPrecondition') && /in use by a container/.test(e.message));
    const gc = await newService({ root: svc.store.root, imagesInUse: async () => new Set(containers), fsStats: async () => ({ capacityBytes: 100, availableBytes: 0 }) }).garbageCollect({ highThresholdPercent: 50, lowThresholdPercent: 0, inUse: new Set([helloId]) });
    assert.deepEqual(gc.removed, []);
    containers.clear();
    await svc.removeImage(`${registry.host}/library/busybox:1.35`);
    assert.equal(await svc.imageStatus(busybox.config.digest), undefined);
    assert.ok(existsSync(hello.layerDirs[0]!), 'shared base layer stays');
    assert.ok(existsSync(svc.store.blobPath(busybox.layers[0]!.digest)));
    assert.ok(!existsSync(svc.store.blobPath(busybox.config.digest)));
    await svc.removeImage(helloId);
    assert.deepEqual(layerDirsIn(svc), []);
    assert.deepEqual(readdirSync(join(svc.store.root, 'blobs/sha256')), []);
    assert.deepEqual(await svc.listImages(), []);
  });

  test('image GC removes least recently used unused images until below the low threshold', async () => {
    const clock = new FakeClock(1_000_000);
    let available = 500;
    let capacity = 1000;
    const svc = newService({ clock, fsStats: async () => ({ capacityBytes: capacity, availableBytes: available }) });
    const older = await svc.pullImage(`${registry.host}/library/busybox:1.35`);
    await clock.step(1000);
    const small = await buildImage({ layers: [[{ type: 'file', path: 'small', content: 'gc me' }]] });
    await pushImage(registry.host, 'gc/small:1', small);
    const multi = await svc.pullImage(`${registry.host}/gc/small:1`);
    await clock.step(1000);
    const hello = await svc.pullImage(`${registry.host}/apps/hello:v1`);
    assert.deepEqual(await svc.garbageCollect({ highThresholdPercent: 85, lowThresholdPercent: 80, inUse: new Set() }), { bytesToFree: 0, freedBytes: 0, removed: [], satisfied: true });
    available = 100; // 90% used: free down to 80%, i.e. 100 bytes
    await clock.step(1000);
    await svc.imageLayers(older); // a container started from busybox: now the most recently used
    const res = await svc.garbageCollect({ highThresholdPercent: 85, lowThresholdPercent: 80, inUse: new Set([hello]) });
    assert.deepEqual(res.removed, [multi]);
    assert.ok(res.satisfied && res.freedBytes >= 100);
    assert.deepEqual((await svc.listImages()).map((i) => i.id).sort(), [older, hello].sort());
    capacity = 1e12; // nothing unused is big enough now
    available = 0;
    const all = await svc.garbageCollect({ highThresholdPercent: 85, lowThresholdPercent: 0, inUse: new Set([hello]) });
    assert.deepEqual(all.removed, [older]);
    assert.equal(all.satisfied, false);
    await assert.rejects(svc.garbageCollect({ highThresholdPercent: 50, lowThresholdPercent: 60, inUse: new Set() }), (e) => isRuntimeError(e, 'InvalidArgument'));
  });

  test('a second process sharing the store sees and adds images', async () => {
    const svc = newService();
    await svc.pullImage(`${registry.host}/apps/hello:v1`);
    const script = `
      import { OciImageService } from ${JSON.stringify(join(import.meta.dirname, '../../src/runtime/images/index.ts'))};
      const svc = new OciImageService({ root: ${JSON.stringify(svc.store.root)} });
      const seen = (await svc.listImages()).map((i) => i.id);
      const [img] = await svc.importArchive(${JSON.stringify(archive)}, { tag: 'imported:by-cli' });
      console.log(JSON.stringify({ seen, imported: img.id }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as { seen: string[]; imported: string };
    assert.deepEqual(out.seen, [derived.config.digest]);
    assert.equal(out.imported, busybox.config.digest);
    // This process picks the other's image up without a restart, and its own later writes keep it.
    assert.equal((await svc.imageStatus('imported:by-cli'))?.id, busybox.config.digest);
    await svc.pullImage(`${registry.host}/library/busybox:other`);
    const again = new OciImageService({ root: svc.store.root });
    assert.deepEqual((await again.imageStatus(busybox.config.digest))?.repoTags.sort(), [BUSYBOX_IMAGE, 'docker.io/library/imported:by-cli', `${registry.host}/library/busybox:other`].sort());
    assert.ok(!existsSync(join(svc.store.root, 'images.lock')));
  });

  test('kubeling image import | ls | pull | rm', async () => {
    const root = join(work, `store-${nextRoot++}`);
    const run = async (...argv: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await imageCommand(argv, { root, out: (l) => out.push(l), err: (l) => err.push(l) });
      return { code, out, err };
    };
    assert.deepEqual(await run('import', archive), { code: 0, out: [`imported ${BUSYBOX_IMAGE} (${busybox.config.digest})`], err: [] });
    assert.deepEqual(await run('pull', `${registry.host}/apps/hello:v1`), { code: 0, out: [`Image is up to date for ${derived.config.digest}`], err: [] });
    const ls = await run('ls');
    assert.equal(ls.code, 0);
    assert.match(ls.out[0]!, /^IMAGE\s+TAG\s+IMAGE ID\s+SIZE$/);
    assert.match(ls.out.join('\n'), new RegExp(`${registry.host}/apps/hello\\s+v1\\s+${derived.config.digest.slice(7, 20)}`));
    assert.match(ls.out.join('\n'), /docker\.io\/library\/busybox\s+1\.35\s+/);
    assert.deepEqual((await run('ls', '-q')).out.sort(), [busybox.config.digest, derived.config.digest].sort());
    assert.deepEqual(await run('rm', 'busybox:1.35', 'nope:1'), { code: 1, out: [`Deleted: ${BUSYBOX_IMAGE}`], err: ['no such image "nope:1" present'] });
    // On a terminal the pull draws its progress line in place and ends it before crictl's line.
    const drawn: string[] = [];
    const out: string[] = [];
    const tty = { write: (t: string) => drawn.push(t), columns: 200 };
    assert.equal(await imageCommand(['pull', `${registry.host}/library/busybox:1.35`], { root, out: (l) => out.push(l), progress: tty }), 0);
    assert.match(drawn.join(''), /^\rPulling \S+\/library\/busybox:1\.35 {2}\[[#.]{20}\] {2}\S+B\/\S+B {2}\d\/1 layer\x1b\[K/);
    assert.match(drawn.at(-2)!, /\[#{20}\] {2}(\S+B)\/\1 {2}1\/1 layer\x1b\[K$/, 'the last state: all bytes, the layer landed');
    assert.equal(drawn.at(-1), '\n');
    assert.deepEqual(out, [`Image is up to date for ${busybox.config.digest}`]);
    const bad = await run('pull', 'Bad');
    assert.equal(bad.code, 1);
    assert.match(bad.err[0]!, /couldn't parse image name "Bad": invalid reference format: repository name must be lowercase/);
    assert.equal((await run('frobnicate')).code, 2);
  });

  test('state survives a restart; leftovers of an interrupted unpack are cleared', async () => {
    const root = join(work, `store-${nextRoot++}`);
    const ref = `${registry.host}/library/busybox:1.35`;
    // The first "node agent" is another process that pulls and exits.
    const script = `
      import { OciImageService } from ${JSON.stringify(join(import.meta.dirname, '../../src/runtime/images/index.ts'))};
      console.log(await new OciImageService({ root: ${JSON.stringify(root)} }).pullImage(${JSON.stringify(ref)}));`;
    const id = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).trim();
    assert.equal(id, busybox.config.digest);
    // What a crash mid-pull leaves: a dead process's scratch dir, a layer directory no image names.
    const deadPid = 4194303;
    mkdirSync(join(root, `tmp/${deadPid}-abcd/layer-half-done`), { recursive: true });
    mkdirSync(join(root, 'layers', 'f'.repeat(64)));
    const again = new OciImageService({ root });
    assert.equal((await again.imageStatus(ref))?.id, id);
    assert.ok(!existsSync(join(root, `tmp/${deadPid}-abcd`)));
    assert.ok(!existsSync(join(root, 'layers', 'f'.repeat(64))));
    // A layer directory that went missing is unpacked again on use.
    const { layerDirs } = await again.imageLayers(id);
    await rm(layerDirs[0]!, { recursive: true });
    const { layerDirs: back } = await again.imageLayers(id);
    assert.ok(lstatSync(join(back[0]!, 'bin/busybox')).isFile());
  });
});
