/**
 * Container image references, parsed as the Docker distribution reference grammar does
 * (`ParseNormalizedNamed`): `busybox` → `docker.io/library/busybox`, tag `latest` when neither a tag
 * nor a digest is given. Used by defaulting (imagePullPolicy) and by the kubelet/image service.
 */

export interface ImageReference {
  /** Registry host[:port], `docker.io` when none is given. */
  domain: string;
  /** Repository path inside the registry, `library/busybox` for official images. */
  path: string;
  /** `domain/path`: the normalized repository name. */
  name: string;
  tag?: string;
  digest?: string;
}

const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const PATH_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const DOMAIN_RE = new RegExp(`^${DOMAIN}$`);
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;
const NAME_TOTAL_LENGTH_MAX = 255;

export class InvalidImageReference extends Error {
  constructor(image: string, reason: string) {
    super(`couldn't parse image name ${JSON.stringify(image)}: ${reason}`);
    this.name = 'InvalidImageReference';
  }
}

/** Parses and normalizes an image reference; throws InvalidImageReference when it is malformed. */
export function parseImageReference(image: string): ImageReference {
  if (image === '') throw new InvalidImageReference(image, 'repository name must have at least one component');
  if (/^[a-f0-9]{64}$/.test(image)) {
    throw new InvalidImageReference(image, `invalid repository name (${image}), cannot specify 64-byte hexadecimal strings`);
  }
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) throw new InvalidImageReference(image, 'invalid reference format');
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon >= 0 && !rest.slice(colon + 1).includes('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw new InvalidImageReference(image, 'invalid reference format');
  }
  // splitDockerDomain: the first component is a registry if it looks like a host.
  let domain = 'docker.io';
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first) {
      domain = first;
      path = rest.slice(slash + 1);
    }
  }
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (domain === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  if (path.toLowerCase() !== path) throw new InvalidImageReference(image, 'invalid reference format: repository name must be lowercase');
  if (!DOMAIN_RE.test(domain) || !PATH_RE.test(path)) throw new InvalidImageReference(image, 'invalid reference format');
  const name = `${domain}/${path}`;
  if (name.length > NAME_TOTAL_LENGTH_MAX) {
    throw new InvalidImageReference(image, `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  const ref: ImageReference = { domain, path, name };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** The tag kubelet's ParseImageName reports: the given tag, `latest` when neither tag nor digest, else ''. */
export function imageTag(image: string): string {
  try {
    const ref = parseImageReference(image);
    if (ref.tag !== undefined) return ref.tag;
    return ref.digest === undefined ? 'latest' : '';
  } catch {
    return '';
  }
}

/** The fully qualified form (`docker.io/library/busybox:latest`), as CRI image services store it. */
export function normalizeImageReference(image: string): string {
  const ref = parseImageReference(image);
  let s = ref.name;
  if (ref.tag !== undefined || ref.digest === undefined) s += `:${ref.tag ?? 'latest'}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}
