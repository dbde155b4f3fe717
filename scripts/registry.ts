/**
 * A throwaway OCI distribution registry on loopback for tests and demos: Debian's `docker-registry serve`
 * on a free 127.0.0.1 port with filesystem storage in a temp dir, stopped by PID and removed by `stop()`.
 * `pushImage` uploads an image (built in memory by test/fixtures/oci-image.ts, or read from an OCI archive)
 * with the distribution API's own upload calls; `startRegistryProxy` sits in front of a registry, records
 * the requests it forwards and can demand bearer tokens (Docker Hub's flow: 401 + WWW-Authenticate, a token
 * endpoint with basic auth).
 *
 *   const reg = await startRegistry();            // reg.host = '127.0.0.1:PORT'
 *   await pushImage(reg.host, 'busybox:1.35', '.cache/images/busybox-1.35.oci.tar');
 *   ...; await reg.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tar from 'tar-stream';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { blobsOf, type BuiltImage, type BuiltIndex } from '../test/fixtures/oci-image.ts';
import { isIndexMediaType, type ImageIndex, type ImageManifest } from '../src/runtime/images/media-types.ts';

export interface RunningRegistry {
  /** `127.0.0.1:PORT`, to use in image references (`${host}/busybox:1.35`). */
  host: string;
  /** The storage directory (removed by stop()). */
  dir: string;
  pid: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve, reject) => server.listen(0, '127.0.0.1', resolve).once('error', reject));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** The status of a GET over https without verifying the server (a readiness probe). */
function httpsStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { rejectUnauthorized: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', reject);
    req.end();
  });
}

/**
 * Starts `docker-registry serve` on 127.0.0.1 (a free port), storage in a fresh temp dir. `htpasswd`: the
 * lines of an htpasswd file (`user:$2b$...`, bcrypt only, as distribution wants): the registry then demands
 * basic auth (a 401 with `WWW-Authenticate: Basic realm=...`) for every request. `tls`: serve https with this
 * PEM certificate and key (readiness is checked without verifying it). `storage`: serve another registry's
 * storage directory (its `dir`/data) instead of a fresh one, read-only in practice: a TLS registry holding
 * what was pushed to a plain one.
 */
export async function startRegistry(
  options: { binary?: string; htpasswd?: string[]; tls?: { certFile: string; keyFile: string }; storage?: string } = {},
): Promise<RunningRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'kubeling-registry-'));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const config = [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${options.storage ?? join(dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: ${host}`,
      ...(options.tls ? ['  tls:', `    certificate: ${options.tls.certFile}`, `    key: ${options.tls.keyFile}`] : []),
      ...(options.htpasswd ? ['auth:', '  htpasswd:', '    realm: kubeling-test', `    path: ${join(dir, 'htpasswd')}`] : []),
      '',
    ].join('\n');
    if (options.htpasswd) await writeFile(join(dir, 'htpasswd'), `${options.htpasswd.join('\n')}\n`);
    await writeFile(join(dir, 'config.yml'), config);
    const child = spawn(options.binary ?? 'docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const spawned = await new Promise<Error | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', (err) => resolve(err));
    });
    if (spawned) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`cannot start docker-registry: ${spawned.message} (install it with scripts/setup-host.sh)`);
    }
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        if (!(await waitExit(child, 5000))) {
          child.kill('SIGKILL');
          await waitExit(child, 5000);
        }
      }
      await rm(dir, { recursive: true, force: true });
    };
    const deadline = Date.now() + 15_000;
    let ready = false;
    while (Date.now() < deadline && child.exitCode === null) {
      try {
        const status = options.tls ? await httpsStatus(`https://${host}/v2/`) : await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(1000) }).then(async (res) => (await res.arrayBuffer(), res.status));
        if (status === 200 || (options.htpasswd && status === 401)) {
          ready = true;
          break;
        }
      } catch {
        // Not listening yet.
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    if (ready) return { host, dir, pid: child.pid!, stop };
    const exited = child.exitCode !== null;
    if (exited && attempt < 2 && /address already in use/.test(stderr)) continue; // lost the port race
    if (exited) await rm(dir, { recursive: true, force: true });
    else await stop();
    throw new Error(`docker-registry did not become ready on ${host}: ${stderr.trim() || 'timeout'}`);
  }
}

/**
 * A registry already holding the busybox test image as `library/busybox:1.35`, for tests that pull it:
 * `${host}/library/busybox:1.35` directly, or `busybox:1.35` through `mirrors` (an OciImageService option
 * that sends docker.io pulls to this registry).
 */
export async function startBusyboxRegistry(): Promise<RunningRegistry & { image: string; digest: string; mirrors: Record<string, string> }> {
  const { ensureBusyboxArchive } = await import('../test/fixtures/busybox.ts');
  const archive = await ensureBusyboxArchive();
  const reg = await startRegistry();
  try {
    const digest = await pushImage(reg.host, 'library/busybox:1.35', archive);
    return { ...reg, image: `${reg.host}/library/busybox:1.35`, digest, mirrors: { 'docker.io': `http://${reg.host}` } };
  } catch (err) {
    await reg.stop();
    throw err;
  }
}

// ---------------------------------------------------------------- push

interface Blobs {
  top: { mediaType: string; digest: string };
  get(digest: string): Buffer;
}

/** Reads an OCI archive (tar of an OCI layout) into memory: its first image (test images are small). */
export async function readOciArchive(path: string): Promise<Blobs> {
  const files = new Map<string, Buffer>();
  const extract = tar.extract();
  const reading = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      if (entry.header.type === 'file') files.set(entry.header.name.replace(/^\.\//, ''), Buffer.concat(chunks));
    }
  })();
  await Promise.all([pipeline(createReadStream(path), extract), reading]);
  const index = JSON.parse(files.get('index.json')?.toString() ?? 'null') as ImageIndex | null;
  const top = index?.manifests?.[0];
  if (!top) throw new Error(`${path}: not an OCI archive (no index.json with a manifest)`);
  return {
    top,
    get(digest) {
      const data = files.get(`blobs/${digest.replace(':', '/')}`);
      if (!data) throw new Error(`${path}: blob ${digest} missing`);
      return data;
    },
  };
}

function blobsFromBuilt(image: BuiltImage | BuiltIndex): Blobs {
  const map = new Map(blobsOf(image).map((b) => [b.digest, b.data]));
  const top = 'index' in image ? image.index : image.manifest;
  return {
    top: { mediaType: top.mediaType, digest: top.digest },
    get(digest) {
      const data = map.get(digest);
      if (!data) throw new Error(`blob ${digest} missing`);
      return data;
    },
  };
}

/**
 * Pushes an image or image index to `host` as `repo:tag` (e.g. `busybox:1.35`, `library/busybox:1.35`) over
 * plain HTTP, using the distribution API (HEAD to skip present blobs, POST + PUT monolithic uploads, PUT of
 * manifests, children of an index first). `headers` adds e.g. an Authorization header. Returns the digest of
 * the pushed manifest or index.
 */
export async function pushImage(
  host: string,
  repoTag: string,
  source: string | BuiltImage | BuiltIndex,
  options: { headers?: Record<string, string> } = {},
): Promise<string> {
  const at = repoTag.lastIndexOf(':');
  if (at <= 0 || repoTag.slice(at).includes('/')) throw new Error(`pushImage: want repo:tag, got ${JSON.stringify(repoTag)}`);
  const repo = repoTag.slice(0, at);
  const tag = repoTag.slice(at + 1);
  const blobs = typeof source === 'string' ? await readOciArchive(source) : blobsFromBuilt(source);
  const base = `http://${host}/v2/${repo}`;
  const headers = options.headers ?? {};

  const check = async (res: Response, what: string) => {
    if (!res.ok) throw new Error(`push ${what}: HTTP ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  };
  const pushBlob = async (digest: string) => {
    const head = await fetch(`${base}/blobs/${digest}`, { method: 'HEAD', headers });
    if (head.ok) return;
    const start = await fetch(`${base}/blobs/uploads/`, { method: 'POST', headers });
    await check(start, `upload start for ${digest}`);
    const location = new URL(start.headers.get('location')!, `http://${host}`);
    location.searchParams.set('digest', digest);
    const data = blobs.get(digest);
    const put = await fetch(location, {
      method: 'PUT',
      headers: { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(data.length) },
      body: data,
    });
    await check(put, `blob ${digest}`);
  };
  const pushManifest = async (digest: string, mediaType: string, reference: string) => {
    const data = blobs.get(digest);
    const doc = JSON.parse(data.toString()) as ImageManifest | ImageIndex;
    if (isIndexMediaType(mediaType)) {
      for (const m of (doc as ImageIndex).manifests) await pushManifest(m.digest, m.mediaType, m.digest);
    } else {
      const manifest = doc as ImageManifest;
      for (const d of [manifest.config, ...manifest.layers]) await pushBlob(d.digest);
    }
    const put = await fetch(`${base}/manifests/${reference}`, { method: 'PUT', headers: { ...headers, 'content-type': mediaType }, body: data });
    await check(put, `manifest ${reference}`);
  };
  await pushManifest(blobs.top.digest, blobs.top.mediaType, tag);
  return blobs.top.digest;
}

// ---------------------------------------------------------------- a proxy in front of a registry

export interface RegistryProxy {
  /** `127.0.0.1:PORT` of the proxy: pull through it (with credentials when it demands a token). */
  host: string;
  /** Every request that reached the upstream registry, in order (`GET /v2/x/blobs/sha256:…`). */
  requests: { method: string; path: string }[];
  /** Token requests seen (service, scope, the user that asked). */
  tokenRequests: { service: string; scope: string; user: string }[];
  stop(): Promise<void>;
}

export interface RegistryProxyOptions {
  /**
   * Demand bearer tokens, as Docker Hub does: `/v2/...` without a valid token answers 401 with
   * `WWW-Authenticate: Bearer realm="http://HOST/token",service="SERVICE",scope="repository:NAME:pull"`;
   * `GET /token` checks basic auth against `username`/`password` and returns `{"token": ...}`. Anonymous
   * token requests get 401 unless `allowAnonymous`.
   */
  token?: { username: string; password: string; service?: string; allowAnonymous?: boolean };
}

/**
 * Serves `upstream` (a registry host) through a loopback proxy that records the requests it forwards (tests
 * count blob downloads with it) and optionally demands bearer-token auth.
 */
export async function startRegistryProxy(upstream: string, options: RegistryProxyOptions = {}): Promise<RegistryProxy> {
  const token = options.token;
  const service = token?.service ?? 'kubeling-test';
  const tokens = new Map<string, string>(); // token -> scope
  const tokenRequests: RegistryProxy['tokenRequests'] = [];
  const requests: RegistryProxy['requests'] = [];
  let host = '';
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', `http://${host}`);
    if (token && url.pathname === '/token') {
      const auth = req.headers.authorization ?? '';
      let user = '';
      if (auth.startsWith('Basic ')) {
        const [u, ...p] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
        if (u !== token.username || p.join(':') !== token.password) {
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"incorrect username or password"}');
          return;
        }
        user = u!;
      } else if (!token.allowAnonymous) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"authentication required"}');
        return;
      }
      const scope = url.searchParams.get('scope') ?? '';
      tokenRequests.push({ service: url.searchParams.get('service') ?? '', scope, user });
      const issued = randomBytes(16).toString('hex');
      tokens.set(issued, scope);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: issued, access_token: issued, expires_in: 300 }));
      return;
    }
    if (token) {
      const name = /^\/v2\/(.+?)\/(manifests|blobs|tags)\//.exec(url.pathname)?.[1];
      const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      const granted = tokens.get(bearer);
      const wanted = name ? `repository:${name}:pull` : '';
      if (granted === undefined || (name && !granted.split(' ').some((s) => s === wanted || s.startsWith(`repository:${name}:`)))) {
        const scope = name ? `,scope="${wanted}"` : '';
        res
          .writeHead(401, {
            'content-type': 'application/json',
            'www-authenticate': `Bearer realm="http://${host}/token",service="${service}"${scope}`,
          })
          .end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required', detail: null }] }));
        return;
      }
    }
    requests.push({ method: req.method ?? 'GET', path: url.pathname });
    // The upstream gets no Authorization (it demands none) and its own Host.
    const rest = { ...req.headers };
    delete rest.authorization;
    delete rest.host;
    const upstreamReq = httpRequest(`http://${upstream}${req.url}`, { method: req.method, headers: rest }, (up) => {
      const headers = { ...up.headers };
      // Redirects and upload locations name the upstream; rewrite them to us.
      if (typeof headers.location === 'string') headers.location = headers.location.replace(`http://${upstream}`, `http://${host}`);
      res.writeHead(up.statusCode ?? 502, headers);
      up.pipe(res);
    });
    upstreamReq.on('error', (err) => res.writeHead(502).end(String(err)));
    req.pipe(upstreamReq);
  });
  await new Promise<void>((resolve, reject) => server.listen(0, '127.0.0.1', resolve).once('error', reject));
  host = `127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    host,
    requests,
    tokenRequests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// `node scripts/registry.ts`: a registry for demos, holding the busybox test image, until Ctrl-C.
if (process.argv[1] && import.meta.filename === (await import('node:fs')).realpathSync(process.argv[1])) {
  const reg = await startBusyboxRegistry();
  console.log(`registry ${reg.host} (pid ${reg.pid}) serves ${reg.image}@${reg.digest}; Ctrl-C stops it`);
  const stop = () => void reg.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
