/**
 * A pod's `imagePullSecrets` as registry credentials for one image (upstream credentialprovider's
 * BasicDockerKeyring): each `kubernetes.io/dockerconfigjson` (`{"auths": {...}}`) or `kubernetes.io/dockercfg`
 * (the entries at top level) secret holds entries keyed by a registry, written as docker config files write them
 * (`127.0.0.1:5000`, `https://index.docker.io/v1/`, `registry.example.com/team`, `*.example.com`). An entry
 * matches an image when its host matches the image's registry host (`*` globs one DNS label), its port is the
 * same, and its path, if any, is a prefix of the image's repository path. The result lists every match: the
 * secrets in the pod's order, within one secret the more specific keys first; the kubelet tries them in turn.
 * The node's own docker config (`<kubelet root>/config.json`, upstream's DockerConfigProvider) adds its
 * matches after the pod's (`nodeCredentialsFor`).
 * Pure: parsing and matching only; no I/O.
 */
import { parseImageReference, type Secret } from '../../api/index.ts';
import type { AuthConfig } from '../../runtime/runtime.ts';

/** The registry host (with port) and repository path of an image reference, Docker's defaults applied. */
export function imageLocation(image: string): { host: string; path: string } {
  const ref = parseImageReference(image);
  return { host: ref.domain.toLowerCase(), path: ref.path };
}

/** A docker config key as host (with port) and path; Docker Hub's old spellings become `docker.io`. */
function keyLocation(key: string): { host: string; path: string } {
  const bare = key.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
  const slash = bare.indexOf('/');
  let host = (slash < 0 ? bare : bare.slice(0, slash)).toLowerCase();
  let path = slash < 0 ? '' : bare.slice(slash + 1);
  if (host === 'index.docker.io' || host === 'registry-1.docker.io') host = 'docker.io';
  if (host === 'docker.io' && path === 'v1') path = '';
  return { host, path };
}

function hostMatches(pattern: string, host: string): boolean {
  const [pName, pPort = ''] = pattern.split(/:(?=\d+$)/);
  const [hName, hPort = ''] = host.split(/:(?=\d+$)/);
  if (pPort !== hPort) return false;
  const p = pName!.split('.');
  const h = hName!.split('.');
  if (p.length !== h.length) return false;
  return p.every((label, i) => new RegExp(`^${label.split('*').map(escape).join('[^.]*')}$`).test(h[i]!));
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

interface DockerConfigEntry {
  username?: string;
  password?: string;
  auth?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** The entries of one pull secret, by key; empty for other secret types or unparsable data. */
function entriesOf(secret: Secret): Record<string, DockerConfigEntry> {
  const read = (key: string): unknown => {
    const text =
      secret.data?.[key] !== undefined ? Buffer.from(secret.data[key], 'base64').toString('utf8') : secret.stringData?.[key];
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  };
  if (secret.type === 'kubernetes.io/dockerconfigjson') {
    const doc = read('.dockerconfigjson') as { auths?: Record<string, DockerConfigEntry> } | undefined;
    return doc?.auths ?? {};
  }
  if (secret.type === 'kubernetes.io/dockercfg') return (read('.dockercfg') as Record<string, DockerConfigEntry>) ?? {};
  return {};
}

function toAuth(e: DockerConfigEntry): AuthConfig {
  let { username, password } = e;
  if (e.auth && username === undefined) {
    const decoded = Buffer.from(e.auth, 'base64').toString('utf8');
    const at = decoded.indexOf(':');
    if (at >= 0) {
      username = decoded.slice(0, at);
      password = decoded.slice(at + 1);
    }
  }
  const auth: AuthConfig = {};
  if (username !== undefined) auth.username = username;
  if (password !== undefined) auth.password = password;
  if (e.auth) auth.auth = e.auth;
  const token = e.registrytoken ?? e.identitytoken;
  if (token) auth.registryToken = token;
  return auth;
}

/** The entries of one docker config that apply to `image`, the more specific keys first. */
function matching(image: string, entries: Record<string, DockerConfigEntry>): AuthConfig[] {
  const target = imageLocation(image);
  return Object.entries(entries)
    .map(([key, entry]) => ({ loc: keyLocation(key), entry }))
    .filter(({ loc }) => hostMatches(loc.host, target.host))
    .filter(({ loc }) => loc.path === '' || target.path === loc.path || target.path.startsWith(`${loc.path}/`))
    .sort((a, b) => b.loc.path.length - a.loc.path.length || b.loc.host.length - a.loc.host.length)
    .map(({ entry }) => toAuth(entry));
}

/** Every credential of `secrets` (in the pod's order) that applies to `image`; empty: pull anonymously. */
export function credentialsFor(image: string, secrets: readonly Secret[]): AuthConfig[] {
  return secrets.flatMap((secret) => matching(image, entriesOf(secret)));
}

/**
 * The credentials of the node's docker config file for `image`: `config.json` text (`{"auths": {...}}`)
 * or, with `legacy`, `.dockercfg` text (entries at top level). Unparsable text gives none.
 */
export function nodeCredentialsFor(image: string, text: string, legacy = false): AuthConfig[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return [];
  }
  if (typeof doc !== 'object' || doc === null) return [];
  const entries = legacy ? doc : (doc as { auths?: unknown }).auths;
  return typeof entries === 'object' && entries !== null ? matching(image, entries as Record<string, DockerConfigEntry>) : [];
}
