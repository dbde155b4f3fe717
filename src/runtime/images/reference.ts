/**
 * Image references, parsed and normalised the way Docker and containerd do it (distribution/reference's
 * grammar and `ParseNormalizedNamed`): `busybox` is `docker.io/library/busybox:latest`, `user/app` is
 * `docker.io/user/app:latest`, `host:5000/x:tag` keeps its registry, a first component with a dot or a port
 * or `localhost` names a registry, `name@sha256:…` pins a digest. Image ids (`sha256:<64 hex>` or the bare
 * hex) are recognised separately, since the CRI accepts both a reference and an id wherever an image goes.
 */

export interface ImageReference {
  /** Registry host, normalised: `docker.io`, `127.0.0.1:5000`, `quay.io`. */
  domain: string;
  /** Repository path in the registry: `library/busybox`. */
  path: string;
  tag?: string;
  digest?: string;
}

export class ReferenceError extends Error {
  constructor(ref: string, reason: string) {
    super(`couldn't parse image name ${JSON.stringify(ref)}: ${reason}`);
    this.name = 'ReferenceError';
  }
}

const DEFAULT_DOMAIN = 'docker.io';
const OFFICIAL_PREFIX = 'library/';
const NAME_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const SHA256_HEX = /^[a-f0-9]{64}$/;

/** `sha256:<hex>` for an image id given as `sha256:<hex>` or bare 64-hex; undefined for anything else. */
export function parseImageId(text: string): string | undefined {
  if (text.startsWith('sha256:') && SHA256_HEX.test(text.slice(7))) return text;
  if (SHA256_HEX.test(text)) return `sha256:${text}`;
  return undefined;
}

/** Parses and normalises a reference; throws ReferenceError ("invalid reference format", as Docker says). */
export function parseReference(ref: string): ImageReference {
  if (ref === '' || ref.length > 4096 || /\s/.test(ref)) throw new ReferenceError(ref, 'invalid reference format');
  if (SHA256_HEX.test(ref)) {
    throw new ReferenceError(ref, 'invalid repository name (64 hex characters are an image id, not a name)');
  }
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new ReferenceError(ref, 'invalid reference format');
    if (digest.startsWith('sha256:') && !SHA256_HEX.test(digest.slice(7))) {
      throw new ReferenceError(ref, 'invalid checksum digest format');
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new ReferenceError(ref, 'invalid reference format');
  }
  if (rest === '') throw new ReferenceError(ref, 'invalid reference format');

  let domain = DEFAULT_DOMAIN;
  let path = rest;
  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  // distribution's splitDockerDomain: a first component with a dot, a port, `localhost` or an uppercase
  // letter names a registry; anything else is part of a Docker Hub path.
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())) {
    if (!DOMAIN.test(first)) throw new ReferenceError(ref, 'invalid reference format');
    domain = first;
    path = rest.slice(slash + 1);
  }
  if (domain === 'index.docker.io') domain = DEFAULT_DOMAIN;
  if (path !== path.toLowerCase()) throw new ReferenceError(ref, 'invalid reference format: repository name must be lowercase');
  if (!path.split('/').every((c) => NAME_COMPONENT.test(c))) throw new ReferenceError(ref, 'invalid reference format');
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_PREFIX + path;
  if (domain.length + 1 + path.length > 255) throw new ReferenceError(ref, 'repository name must not be more than 255 characters');
  // A name alone means `:latest` (docker.io/library/busybox:latest); a digest alone stays untagged.
  if (tag === undefined && digest === undefined) tag = 'latest';
  return { domain, path, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** `domain/path`: the repository's full name. */
export function repositoryName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The normalised reference as text: `docker.io/library/busybox:1.35`, `host/x@sha256:…`, or both. */
export function formatReference(ref: ImageReference): string {
  return repositoryName(ref) + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

/** `docker.io/library/busybox:1.35` → `docker.io/library/busybox:1.35`; `busybox` → `…:latest`. */
export function normalizeReference(ref: string): string {
  return formatReference(parseReference(ref));
}

/** Short form for display, as Docker prints it: `busybox:1.35` for `docker.io/library/busybox:1.35`. */
export function familiarName(ref: ImageReference): string {
  let name = repositoryName(ref);
  if (ref.domain === DEFAULT_DOMAIN) name = ref.path.startsWith(OFFICIAL_PREFIX) ? ref.path.slice(OFFICIAL_PREFIX.length) : ref.path;
  return name + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

/** True for registries reached over plain HTTP: loopback addresses and localhost. */
export function isLoopbackRegistry(domain: string): boolean {
  const host = domain.startsWith('[') ? domain.slice(1, domain.indexOf(']')) : domain.replace(/:\d+$/, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The registry API endpoint for a domain: Docker Hub's names are served by registry-1.docker.io. */
export function registryEndpoint(domain: string): string {
  const host = domain === DEFAULT_DOMAIN ? 'registry-1.docker.io' : domain;
  return `${isLoopbackRegistry(domain) ? 'http' : 'https'}://${host}`;
}
