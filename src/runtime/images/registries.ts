/**
 * The node's registry settings, k3s's `registries.yaml` (read by `kubeling server|agent` from
 * DIR/registries.yaml or `--private-registry FILE`, as k3s reads /etc/rancher/k3s/registries.yaml):
 *
 *   mirrors:
 *     docker.io:
 *       endpoint: ["https://mirror.example:5000"]
 *       rewrite: {"^library/(.*)": "hub/$1"}
 *   configs:
 *     "mirror.example:5000":
 *       auth: {username: puller, password: s3cret}    # or auth: <base64 user:password>, identity_token
 *
 * A pull of an image in a mirrored registry (or in any, under the mirror `"*"`) tries each mirror endpoint in
 * order with the repository rewritten, then the registry itself (the default endpoint). Each endpoint gets
 * the credentials the pod gave when it is the registry itself, else the `configs` entry for the endpoint's
 * host (containerd's CRI rule: node credentials are used when the kubelet passes none). An endpoint is
 * `scheme://host[:port]` (an optional trailing `/v2` is dropped); without a scheme it is https.
 * `configs.<host>.tls` (`ca_file`, `cert_file` + `key_file`, `insecure_skip_verify`) goes with every https
 * endpoint of that host, as containerd's hosts config does for k3s; plain-http endpoints ignore it.
 * Pure: parsing and endpoint selection only; the caller reads the file (and the registry client the TLS files).
 */
import { parse as parseYaml } from 'yaml';
import type { AuthConfig } from '../runtime.ts';
import { registryEndpoint } from './reference.ts';

export interface RegistryMirror {
  /** `scheme://host[:port]`, tried in order before the registry itself. */
  endpoints: string[];
  /** Applied in order to the repository path sent to a mirror; the first that matches wins. */
  rewrite: { pattern: RegExp; replacement: string }[];
}

export interface RegistriesConfig {
  /** By registry domain (`docker.io`, `registry.example:5000`), or `*` for every registry. */
  mirrors: Record<string, RegistryMirror>;
  /** Node credentials and TLS settings by endpoint host (`host[:port]`). */
  configs: Record<string, { auth?: AuthConfig; tls?: RegistryTLS }>;
}

/** k3s's `configs.<host>.tls`: file paths as written; the registry client reads them. */
export interface RegistryTLS {
  /** PEM CA certificates trusted in addition to the system's. */
  caFile?: string;
  /** PEM client certificate and key, sent when the registry asks for one. */
  certFile?: string;
  keyFile?: string;
  insecureSkipVerify?: boolean;
}

/** One place a pull may fetch an image from, with the repository path and credentials to use there. */
export interface PullEndpoint {
  /** `scheme://host[:port]`. */
  url: string;
  repository: string;
  auth?: AuthConfig;
  /** TLS settings for the endpoint's host (https endpoints only). */
  tls?: RegistryTLS;
}

export const EMPTY_REGISTRIES: RegistriesConfig = { mirrors: {}, configs: {} };

export class RegistriesConfigError extends Error {
  override name = 'RegistriesConfigError';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalString(v: unknown, where: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new RegistriesConfigError(`${where} must be a string`);
  return v;
}

/** `https://host:5000`, `http://host/v2/`, `host:5000` → `scheme://host[:port]`. */
export function normalizeEndpoint(raw: string, where: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new RegistriesConfigError(`${where}: ${JSON.stringify(raw)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RegistriesConfigError(`${where}: ${JSON.stringify(raw)} must be http or https`);
  const path = url.pathname.replace(/\/+$/, '');
  if (path !== '' && path !== '/v2') throw new RegistriesConfigError(`${where}: ${JSON.stringify(raw)}: endpoint paths other than /v2 are not supported`);
  if (url.username || url.password || url.search || url.hash) throw new RegistriesConfigError(`${where}: ${JSON.stringify(raw)} must be scheme://host[:port]`);
  return `${url.protocol}//${url.host}`;
}

/** Go's `${1}` in a replacement is JavaScript's `$1`. */
function replacementOf(go: string): string {
  return go.replace(/\$\{(\d+)\}/g, '$$$1');
}

function parseAuth(v: unknown, where: string): AuthConfig | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v)) throw new RegistriesConfigError(`${where} must be a mapping`);
  const username = optionalString(v.username, `${where}.username`);
  const password = optionalString(v.password, `${where}.password`);
  const auth = optionalString(v.auth, `${where}.auth`);
  const token = optionalString(v.identity_token, `${where}.identity_token`);
  const out: AuthConfig = {};
  if (username !== undefined) out.username = username;
  if (password !== undefined) out.password = password;
  if (auth) {
    out.auth = auth;
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const at = decoded.indexOf(':');
    if (username === undefined && at >= 0) {
      out.username = decoded.slice(0, at);
      out.password = decoded.slice(at + 1);
    }
  }
  if (token) out.registryToken = token;
  return out;
}

function parseTls(v: unknown, where: string): RegistryTLS | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v)) throw new RegistriesConfigError(`${where} must be a mapping`);
  for (const key of Object.keys(v)) {
    if (!['ca_file', 'cert_file', 'key_file', 'insecure_skip_verify'].includes(key)) throw new RegistriesConfigError(`${where}: unknown key ${JSON.stringify(key)}`);
  }
  const out: RegistryTLS = {};
  const caFile = optionalString(v.ca_file, `${where}.ca_file`);
  const certFile = optionalString(v.cert_file, `${where}.cert_file`);
  const keyFile = optionalString(v.key_file, `${where}.key_file`);
  if (caFile) out.caFile = caFile;
  if (certFile) out.certFile = certFile;
  if (keyFile) out.keyFile = keyFile;
  if (!!out.certFile !== !!out.keyFile) throw new RegistriesConfigError(`${where}: cert_file and key_file go together`);
  const skip = v.insecure_skip_verify;
  if (skip !== undefined && skip !== null && typeof skip !== 'boolean') throw new RegistriesConfigError(`${where}.insecure_skip_verify must be true or false`);
  if (skip === true) out.insecureSkipVerify = true;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Parses registries.yaml; `source` names the file in errors. An empty file is no settings. */
export function parseRegistriesYaml(text: string, source = 'registries.yaml'): RegistriesConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new RegistriesConfigError(`${source}: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return { mirrors: {}, configs: {} };
  if (!isRecord(doc)) throw new RegistriesConfigError(`${source}: want a mapping with mirrors and configs`);
  const config: RegistriesConfig = { mirrors: {}, configs: {} };
  for (const key of Object.keys(doc)) {
    if (key !== 'mirrors' && key !== 'configs') throw new RegistriesConfigError(`${source}: unknown key ${JSON.stringify(key)}`);
  }
  if (doc.mirrors !== undefined && doc.mirrors !== null && !isRecord(doc.mirrors)) throw new RegistriesConfigError(`${source}: mirrors must be a mapping`);
  for (const [domain, m] of Object.entries((doc.mirrors ?? {}) as Record<string, unknown>)) {
    const where = `${source}: mirrors.${JSON.stringify(domain)}`;
    if (!isRecord(m)) throw new RegistriesConfigError(`${where} must be a mapping`);
    const endpoint = m.endpoint ?? [];
    if (!Array.isArray(endpoint) || endpoint.some((e) => typeof e !== 'string')) throw new RegistriesConfigError(`${where}.endpoint must be a list of URLs`);
    const rewrite: RegistryMirror['rewrite'] = [];
    if (m.rewrite !== undefined && m.rewrite !== null) {
      if (!isRecord(m.rewrite)) throw new RegistriesConfigError(`${where}.rewrite must be a mapping of pattern to replacement`);
      for (const [pattern, replacement] of Object.entries(m.rewrite)) {
        if (typeof replacement !== 'string') throw new RegistriesConfigError(`${where}.rewrite[${JSON.stringify(pattern)}] must be a string`);
        let re: RegExp;
        try {
          re = new RegExp(pattern);
        } catch (err) {
          throw new RegistriesConfigError(`${where}.rewrite: ${(err as Error).message}`);
        }
        rewrite.push({ pattern: re, replacement: replacementOf(replacement) });
      }
    }
    config.mirrors[domain.toLowerCase()] = {
      endpoints: (endpoint as string[]).map((e, i) => normalizeEndpoint(e, `${where}.endpoint[${i}]`)),
      rewrite,
    };
  }
  if (doc.configs !== undefined && doc.configs !== null && !isRecord(doc.configs)) throw new RegistriesConfigError(`${source}: configs must be a mapping`);
  for (const [host, c] of Object.entries((doc.configs ?? {}) as Record<string, unknown>)) {
    const where = `${source}: configs.${JSON.stringify(host)}`;
    if (!isRecord(c)) throw new RegistriesConfigError(`${where} must be a mapping`);
    const auth = parseAuth(c.auth, `${where}.auth`);
    const tls = parseTls(c.tls, `${where}.tls`);
    config.configs[host.toLowerCase().replace(/^[a-z]+:\/\//, '').replace(/\/+$/, '')] = { ...(auth ? { auth } : {}), ...(tls ? { tls } : {}) };
  }
  return config;
}

function rewritten(repository: string, mirror: RegistryMirror): string {
  for (const { pattern, replacement } of mirror.rewrite) {
    if (pattern.test(repository)) return repository.replace(pattern, replacement);
  }
  return repository;
}

/**
 * The TLS settings for an endpoint: the `configs` entry of its host (or of `domain`, the registry's own name,
 * when the endpoint is the registry itself), for https endpoints only: an `http://` endpoint stays plain.
 */
export function endpointTls(config: RegistriesConfig, url: string, domain?: string): RegistryTLS | undefined {
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:') return undefined;
  for (const host of [parsed.host, ...(domain ? [domain] : [])]) {
    const tls = config.configs[host.toLowerCase()]?.tls;
    if (tls) return tls;
  }
  return undefined;
}

/**
 * Where to pull `domain/repository` from, in order: each mirror endpoint (the domain's own mirror, else the
 * `*` mirror) with the repository rewritten, then the registry itself. `podAuth` (from the pod's pull
 * secrets) goes to the registry itself only; every other endpoint, and the registry when the pod gives
 * none, gets the node's `configs` credentials for its host.
 */
export function pullEndpoints(config: RegistriesConfig, domain: string, repository: string, podAuth?: AuthConfig): PullEndpoint[] {
  const nodeAuth = (url: string, ...more: string[]) => {
    for (const host of [new URL(url).host, ...more]) {
      const auth = config.configs[host.toLowerCase()]?.auth;
      if (auth) return auth;
    }
    return undefined;
  };
  const own = registryEndpoint(domain);
  const withAuth = (e: PullEndpoint, auth: AuthConfig | undefined): PullEndpoint => {
    const tls = endpointTls(config, e.url, e.url === own ? domain : undefined);
    return { ...e, ...(auth ? { auth } : {}), ...(tls ? { tls } : {}) };
  };
  const mirror = config.mirrors[domain.toLowerCase()] ?? config.mirrors['*'];
  const out: PullEndpoint[] = [];
  for (const url of mirror?.endpoints ?? []) out.push(withAuth({ url, repository: rewritten(repository, mirror!) }, nodeAuth(url)));
  // A mirror that lists the registry itself is that endpoint, tried once.
  const listed = out.findIndex((e) => e.url === own);
  const self = withAuth({ url: own, repository }, podAuth ?? nodeAuth(own, domain));
  if (listed >= 0) out[listed] = self;
  else out.push(self);
  return out;
}
