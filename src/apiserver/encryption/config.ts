/**
 * `--encryption-provider-config FILE`: the EncryptionConfiguration (`apiserver.config.k8s.io/v1`), parsed and
 * validated as kube-apiserver 1.32 does (`apis/apiserver/validation/validation_encryption.go` and
 * `server/options/encryptionconfig/config.go`), with its error strings, then turned into one transformer
 * chain per group-resource: for each rule, in order, its providers (the first writes, all read by prefix
 * `k8s:enc:<provider>:v1:<key>:`); a resource named by several rules gets their providers one after another;
 * a rule masked by an earlier `*.group` or `*.*` rule is refused. Lookups try the exact resource, then
 * `*.<group>`, then `*.*`; a resource no rule names is stored plain (identity).
 *
 * Errors name fields and never echo a key's secret ("REDACTED", as upstream). KMS providers are refused: there
 * is no KMS plugin client here.
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import {
  AesCbcTransformer, AesGcmTransformer, IdentityTransformer, PrefixTransformers, SecretboxTransformer,
  type PrefixTransformer, type Transformer,
} from '../../storage/index.ts';

export interface GroupResource {
  group: string;
  resource: string;
}

/** The config file's fault, as one line (apimachinery's aggregate: one error as is, several as `[a, b]`). */
export class EncryptionConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncryptionConfigError';
  }
}

/** schema.ParseGroupResource: `secrets` → core, `deployments.apps` → apps, `*.` → every core resource. */
export function parseGroupResource(s: string): GroupResource {
  const dot = s.indexOf('.');
  return dot < 0 ? { group: '', resource: s } : { group: s.slice(dot + 1), resource: s.slice(0, dot) };
}

/** How upstream names a group-resource in its messages (grYAMLString). */
function grString(gr: GroupResource): string {
  if (gr.group === '' && gr.resource === '*') return '*.';
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

const grKey = (gr: GroupResource) => `${gr.group}/${gr.resource}`;

const AES_KEY_SIZES = [16, 24, 32];
const SECRETBOX_KEY_SIZES = [32];
const PROVIDERS = ['kms', 'aesgcm', 'aescbc', 'secretbox', 'identity'] as const;

interface Key {
  name: string;
  secret: string;
}

/** Go's %q, close enough for the strings in a config file. */
const q = (s: string) => JSON.stringify(s);
/** Go's %#v of a []string, as field.Invalid prints a resource list. */
const goStrings = (list: string[]) => `[]string{${list.map(q).join(', ')}}`;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function asString(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** Go's base64.StdEncoding: padded, standard alphabet, nothing else. */
function decodeBase64(s: string): Buffer | undefined {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
  return Buffer.from(s, 'base64');
}

function hasOverlapOrDuplicate(resources: GroupResource[]): { duplicate: boolean; overlap: boolean } {
  let duplicate = false;
  let overlap = false;
  for (let i = 0; i < resources.length; i++) {
    for (let j = 0; j < resources.length; j++) {
      if (i === j) continue;
      const a = resources[i]!;
      const b = resources[j]!;
      if (a.group === b.group && a.resource === b.resource) {
        duplicate = true;
        continue;
      }
      if (a.group === '*' && a.resource === '*') overlap = true;
      else if (a.group === b.group && (a.resource === '*' || b.resource === '*')) overlap = true;
    }
  }
  return { duplicate: duplicate && resources.length > 1, overlap: overlap && resources.length > 1 };
}

function validateResourceNames(resources: string[], path: string, errs: string[]): void {
  resources.forEach((res, j) => {
    const p = `${path}[${j}]`;
    const gr = parseGroupResource(res);
    if (res.toLowerCase() !== res) errs.push(`${p}: Invalid value: ${q(res)}: resource name should not contain capital letters`);
    else if (res === '*') errs.push(`${p}: Invalid value: ${q(res)}: use '*.' to encrypt all the resources from core API group or *.* to encrypt all resources`);
    else if (['apiserveripinfo', 'serviceipallocations', 'servicenodeportallocations'].includes(res)) {
      errs.push(`${p}: Invalid value: ${q(res)}: resources which do not have REST API/s cannot be encrypted`);
    } else if (gr.group === 'events.k8s.io') {
      errs.push(`${p}: Invalid value: ${q(res)}: '*.events.k8s.io' objects are stored using the 'events' API group in etcd. Use 'events' instead in the config file`);
    } else if (gr.group === 'extensions') errs.push(`${p}: Invalid value: ${q(res)}: 'extensions' group has been removed and cannot be used for encryption`);
    else if (gr.group === '*' && gr.resource !== '*') errs.push(`${p}: Invalid value: ${q(res)}: encrypting the same resource across groups is not supported`);
  });
}

function validateKeys(keys: unknown, path: string, sizes: number[], errs: string[]): void {
  const list = asList(keys);
  if (list.length === 0) {
    errs.push(`${path}: Required value: at least one keys is required`);
    return;
  }
  list.forEach((k, i) => {
    const key = isObject(k) ? k : {};
    const p = `${path}[${i}]`;
    if (!asString(key.name)) errs.push(`${p}.name: Required value: name is a mandatory field for a key`);
    const secret = asString(key.secret);
    if (!secret) {
      errs.push(`${p}.secret: Required value: secret is a mandatory field for a key`);
      return;
    }
    const raw = decodeBase64(secret);
    if (!raw) errs.push(`${p}.secret: Invalid value: "REDACTED": secrets must be base64 encoded`);
    else if (!sizes.includes(raw.length)) {
      errs.push(`${p}.secret: Invalid value: "REDACTED": secret is not of the expected length, got ${raw.length}, expected one of [${sizes.join(' ')}]`);
    }
  });
}

/** Validates the decoded document; returns upstream's field errors, in upstream's order. */
function validate(resources: unknown[]): string[] {
  const errs: string[] = [];
  if (resources.length === 0) return ['resources: Required value: at least one resources is required'];
  resources.forEach((entry, i) => {
    const conf = isObject(entry) ? entry : {};
    const r = `resources[${i}].resources`;
    const p = `resources[${i}].providers`;
    const names = asList(conf.resources).map(asString);
    if (names.length === 0) errs.push(`${r}: Required value: at least one ${r} is required`);
    const { duplicate, overlap } = hasOverlapOrDuplicate(names.map(parseGroupResource));
    if (duplicate) errs.push(`${r}: Invalid value: ${goStrings(names)}: the same resource cannot be specified multiple times`);
    if (overlap) errs.push(`${r}: Invalid value: ${goStrings(names)}: using overlapping resources such as 'secrets' and '*.' in the same resource list is not allowed as they will be masked`);
    validateResourceNames(names, r, errs);
    const providers = asList(conf.providers);
    if (providers.length === 0) errs.push(`${p}: Required value: at least one ${p} is required`);
    providers.forEach((prov, j) => {
      const path = `${p}[${j}]`;
      const provider = isObject(prov) ? prov : {};
      const set = PROVIDERS.filter((name) => provider[name] !== undefined && provider[name] !== null);
      if (set.length === 0) {
        errs.push(`${path}: Invalid value: "object": provider does not contain any of the expected providers: KMS, AESGCM, AESCBC, Secretbox, Identity`);
        return;
      }
      if (set.length > 1) {
        errs.push(`${path}: Invalid value: "object": more than one provider specified in a single element, should split into different list elements`);
        return;
      }
      const name = set[0]!;
      const body = isObject(provider[name]) ? (provider[name] as Record<string, unknown>) : {};
      if (name === 'aesgcm' || name === 'aescbc') validateKeys(body.keys, `${path}.${name}.keys`, AES_KEY_SIZES, errs);
      else if (name === 'secretbox') validateKeys(body.keys, `${path}.secretbox.keys`, SECRETBOX_KEY_SIZES, errs);
      else if (name === 'kms') errs.push(`${path}.kms: Invalid value: ${q(asString(body.name))}: KMS providers are not supported by kubeling; use aescbc, aesgcm or secretbox`);
    });
  });
  return errs;
}

function keyed(provider: 'aescbc' | 'aesgcm' | 'secretbox', keys: Key[]): PrefixTransformer {
  const make = (secret: Buffer): Transformer =>
    provider === 'aescbc' ? new AesCbcTransformer(secret) : provider === 'aesgcm' ? new AesGcmTransformer(secret) : new SecretboxTransformer(secret);
  const noMatch = provider === 'secretbox' ? 'no matching key was found for the provided Secretbox transformer' : 'no matching key was found for the provided AES transformer';
  return {
    prefix: Buffer.from(`k8s:enc:${provider}:v1:`),
    transformer: new PrefixTransformers(noMatch, keys.map((k) => ({ prefix: Buffer.from(`${k.name}:`), transformer: make(Buffer.from(k.secret, 'base64')) }))),
  };
}

function providerChain(providers: unknown[]): PrefixTransformer[] {
  return providers.map((prov) => {
    const provider = prov as Record<string, unknown>;
    if (provider.identity !== undefined && provider.identity !== null) return { prefix: new Uint8Array(), transformer: new IdentityTransformer() };
    const name = (['aescbc', 'aesgcm', 'secretbox'] as const).find((n) => provider[n] !== undefined && provider[n] !== null)!;
    const keys = asList((provider[name] as Record<string, unknown>).keys).map((k) => ({ name: asString((k as Key).name), secret: asString((k as Key).secret) }));
    return keyed(name, keys);
  });
}

/** `aescbc key1`, `identity`: which provider and key a rule writes with. */
function describeWriter(provider: Record<string, unknown>): string {
  const name = PROVIDERS.find((n) => provider[n] !== undefined && provider[n] !== null) ?? 'identity';
  const key = asList((provider[name] as Record<string, unknown> | undefined)?.keys)[0] as Key | undefined;
  return key ? `${name} ${asString(key.name)}` : name;
}

/** The transformers of a parsed EncryptionConfiguration, by group-resource. */
export class EncryptionConfig {
  readonly #byResource: Map<string, Transformer>;
  readonly #identity = new IdentityTransformer();
  /** The provider each rule writes with, for the start-up log line (names only, never secrets). */
  readonly summary: { resources: string[]; writes: string }[];

  constructor(byResource: Map<string, Transformer>, summary: { resources: string[]; writes: string }[]) {
    this.#byResource = byResource;
    this.summary = summary;
  }

  /** The chain for a resource: exact, then `*.<group>`, then `*.*`; identity when no rule names it. */
  transformerFor(gr: GroupResource): Transformer {
    return this.#byResource.get(grKey(gr)) ?? this.#byResource.get(grKey({ group: gr.group, resource: '*' })) ??
      this.#byResource.get(grKey({ group: '*', resource: '*' })) ?? this.#identity;
  }
}

/** Parses and validates a config file's text; throws EncryptionConfigError with upstream's message. */
export function parseEncryptionConfiguration(text: string): EncryptionConfig {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new EncryptionConfigError(`error while parsing file: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!isObject(doc)) throw new EncryptionConfigError("error while parsing file: Object 'Kind' is missing");
  const kind = asString(doc.kind);
  const apiVersion = asString(doc.apiVersion);
  if (!kind) throw new EncryptionConfigError("error while parsing file: Object 'Kind' is missing");
  if (apiVersion !== 'apiserver.config.k8s.io/v1' || kind !== 'EncryptionConfiguration') {
    throw new EncryptionConfigError(`error while parsing file: no kind ${q(kind)} is registered for version ${q(apiVersion)}`);
  }
  const resources = asList(doc.resources);
  const errs = [...new Set(validate(resources))];
  if (errs.length) throw new EncryptionConfigError(`error while parsing file: ${errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`}`);

  const chains = new Map<string, PrefixTransformer[]>();
  const summary: { resources: string[]; writes: string }[] = [];
  for (const entry of resources as Record<string, unknown>[]) {
    const providers = providerChain(asList(entry.providers));
    const names = asList(entry.resources).map(asString);
    for (const gr of names.map(parseGroupResource)) {
      for (const mask of [{ group: gr.group, resource: '*' }, { group: '*', resource: '*' }]) {
        if (chains.has(grKey(mask))) throw new EncryptionConfigError(`resource ${q(grString(gr))} is masked by earlier rule ${q(grString(mask))}`);
      }
      chains.set(grKey(gr), [...(chains.get(grKey(gr)) ?? []), ...providers]);
    }
    summary.push({ resources: names, writes: describeWriter(asList(entry.providers)[0] as Record<string, unknown>) });
  }
  const byResource = new Map<string, Transformer>();
  for (const [key, list] of chains) byResource.set(key, new PrefixTransformers('no matching prefix found', list));
  return new EncryptionConfig(byResource, summary);
}

/** Reads `--encryption-provider-config`; a missing or empty file is an EncryptionConfigError as upstream words it. */
export async function loadEncryptionConfig(path: string): Promise<EncryptionConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new EncryptionConfigError(`error while parsing file: error opening encryption provider configuration file ${q(path)}: ${(err as Error).message}`);
  }
  if (text.length === 0) throw new EncryptionConfigError(`error while parsing file: encryption provider configuration file ${q(path)} is empty`);
  return parseEncryptionConfiguration(text);
}
