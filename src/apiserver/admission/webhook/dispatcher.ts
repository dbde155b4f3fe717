/**
 * MutatingAdmissionWebhook and ValidatingAdmissionWebhook, as upstream's plugins: the configurations (sorted by
 * name, webhooks in order) are read from the API server's watch cache on every request; a webhook is called
 * when a rule, both selectors and all matchConditions (CEL) match. Mutating webhooks run one after another and
 * their JSONPatch answers change the object (defaulted again, as upstream decodes it); with `reinvocationPolicy: IfNeeded` a webhook is called once more
 * when a later one changed the object. Validating webhooks run side by side; the first refusal in order wins.
 * A call that fails (unreachable, timeout, bad answer) is ignored under `failurePolicy: Ignore` and otherwise
 * refuses the request with upstream's `Internal error occurred: failed calling webhook "x": …`. Warnings go to
 * the request's Warning headers, audit annotations under `<webhook name>/<key>`.
 */
import type { KubeObject, MatchCondition, MutatingWebhook, ValidatingWebhook, WebhookClientConfig } from '../../../api/index.ts';
import { applyJsonPatch } from '../../../api/patch/index.ts';
import { applyDefaults } from '../../../api/defaults.ts';
import { internalError } from '../../status.ts';
import type { AdmissionAttributes, AdmissionLookup, AdmissionPlugin } from '../chain.ts';
import { CelEvalError, evaluate } from '../cel/cel.ts';
import { postReview, WebhookCallError, type WebhookTarget } from './client.ts';
import { isExemptResource, namespaceSelectorMatches, objectSelectorMatches, rulesMatch } from './matching.ts';
import { buildRequest, denial, readResponse, reviewBody, type AdmissionResponse } from './review.ts';

type Webhook = (MutatingWebhook | ValidatingWebhook) & { reinvocationPolicy?: string };

export interface WebhookSources {
  mutating: () => KubeObject[];
  validating: () => KubeObject[];
}

/** upstream's ErrCallingWebhook text. */
class CallingWebhookError extends Error {
  constructor(webhook: string, reason: string) {
    super(`failed calling webhook "${webhook}": ${reason}`);
  }
}

function webhooksOf(configs: KubeObject[]): Webhook[] {
  const sorted = [...configs].sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
  return sorted.flatMap((c) => ((c as { webhooks?: Webhook[] }).webhooks ?? []));
}

export class AdmissionWebhooks implements AdmissionPlugin {
  readonly name = 'AdmissionWebhooks';
  readonly #sources: WebhookSources;
  readonly #lookup: AdmissionLookup;

  constructor(sources: WebhookSources, lookup: AdmissionLookup) {
    this.#sources = sources;
    this.#lookup = lookup;
  }

  /** MutatingAdmissionWebhook. */
  async admit(a: AdmissionAttributes): Promise<void> {
    if (isExemptResource(a)) return;
    const hooks = webhooksOf(this.#sources.mutating());
    if (!hooks.length) return;
    let changes = 0;
    const seenAt = new Map<Webhook, number>();
    for (const h of hooks) {
      if (!(await this.#matches(h, a))) continue;
      seenAt.set(h, changes);
      if (await this.#mutate(h, a)) changes++;
    }
    // Reinvocation: an IfNeeded webhook that ran before some later change sees the final object once more.
    for (const [h, at] of seenAt) {
      if (h.reinvocationPolicy === 'IfNeeded' && at < changes && (await this.#matches(h, a))) await this.#mutate(h, a);
    }
  }

  /** ValidatingAdmissionWebhook. */
  async validate(a: AdmissionAttributes): Promise<void> {
    if (isExemptResource(a)) return;
    const hooks = webhooksOf(this.#sources.validating());
    if (!hooks.length) return;
    const matched: Webhook[] = [];
    for (const h of hooks) if (await this.#matches(h, a)) matched.push(h);
    const results = await Promise.all(matched.map((h) => this.#call(h, a).then(
      (r) => ({ h, r, err: undefined as unknown }),
      (err: unknown) => ({ h, r: undefined, err }),
    )));
    for (const { h, r, err } of results) {
      if (err !== undefined) {
        if (err instanceof CallingWebhookError && h.failurePolicy === 'Ignore') continue;
        throw err instanceof CallingWebhookError ? internalError(err) : err;
      }
      this.#record(h, r!, a);
      if (!r!.allowed) throw denial(h.name, r!.status);
    }
  }

  /** Calls a mutating webhook and applies its patch; true when the object changed. */
  async #mutate(h: Webhook, a: AdmissionAttributes): Promise<boolean> {
    let r: AdmissionResponse;
    try {
      r = await this.#call(h, a);
    } catch (err) {
      if (err instanceof CallingWebhookError) {
        if (h.failurePolicy === 'Ignore') return false;
        throw internalError(err);
      }
      throw err;
    }
    this.#record(h, r, a);
    if (!r.allowed) throw denial(h.name, r.status);
    if (!r.patch) return false;
    if (r.patchType !== 'JSONPatch') {
      const err = new CallingWebhookError(h.name, `unsupported patch type "${r.patchType ?? ''}"`);
      if (h.failurePolicy === 'Ignore') return false;
      throw internalError(err);
    }
    if (!a.object) return false;
    let patched: KubeObject;
    try {
      patched = applyJsonPatch(a.object, JSON.parse(Buffer.from(r.patch, 'base64').toString('utf8')));
    } catch (err) {
      throw internalError(err);
    }
    // Upstream decodes the patched object, which defaults what the patch added (a container's pull policy).
    applyDefaults(a.resource, patched);
    if (JSON.stringify(patched) === JSON.stringify(a.object)) return false;
    // The registry holds this object: change it in place.
    for (const k of Object.keys(a.object)) delete (a.object as Record<string, unknown>)[k];
    Object.assign(a.object, patched);
    return true;
  }

  #record(h: Webhook, r: AdmissionResponse, a: AdmissionAttributes): void {
    for (const w of r.warnings ?? []) a.warnings?.push(w);
    for (const [k, v] of Object.entries(r.auditAnnotations ?? {})) if (a.auditAnnotations) a.auditAnnotations[`${h.name}/${k}`] = v;
  }

  async #matches(h: Webhook, a: AdmissionAttributes): Promise<boolean> {
    if (!rulesMatch(h.rules, a)) return false;
    if (!(await namespaceSelectorMatches(h.namespaceSelector, a, (n) => this.#lookup.get('namespaces', '', n)))) return false;
    if (!objectSelectorMatches(h.objectSelector, a)) return false;
    return this.#conditionsMatch(h, a);
  }

  /** matchConditions: all true → call; one false → skip; an error fails the request unless failurePolicy is Ignore. */
  #conditionsMatch(h: Webhook, a: AdmissionAttributes): boolean {
    const conds: readonly MatchCondition[] = h.matchConditions ?? [];
    if (!conds.length) return true;
    const request = buildRequest(a);
    const errors: string[] = [];
    for (const c of conds) {
      try {
        const v = evaluate(c.expression, { object: a.object ?? null, oldObject: a.oldObject ?? null, request });
        if (v === false) return false;
        if (v !== true) errors.push(`matchConditions[${c.name}]: expected a boolean, got ${String(v)}`);
      } catch (err) {
        if (!(err instanceof CelEvalError)) throw err;
        errors.push(`matchConditions[${c.name}]: ${err.message}`);
      }
    }
    if (!errors.length) return true;
    if (h.failurePolicy === 'Ignore') return false;
    throw internalError(new CallingWebhookError(h.name, errors.join(', ')));
  }

  async #call(h: Webhook, a: AdmissionAttributes): Promise<AdmissionResponse> {
    const request = buildRequest(a);
    let target: WebhookTarget;
    try {
      target = await this.#target(h.clientConfig, h.timeoutSeconds ?? 10);
    } catch (err) {
      throw new CallingWebhookError(h.name, (err as Error).message);
    }
    let body: unknown;
    try {
      body = await postReview(target, reviewBody(request));
    } catch (err) {
      if (err instanceof WebhookCallError) throw new CallingWebhookError(h.name, `failed to call webhook: ${err.message}`);
      throw err;
    }
    try {
      return readResponse(body, request.uid);
    } catch (err) {
      throw new CallingWebhookError(h.name, (err as Error).message);
    }
  }

  /** The URL to call: the configured url, or a ready endpoint of the configured Service. */
  async #target(c: WebhookClientConfig, timeoutSeconds: number): Promise<WebhookTarget> {
    const ca = c.caBundle ? Buffer.from(c.caBundle, 'base64').toString('utf8') : undefined;
    if (c.url) return { url: c.url, ca, timeoutSeconds };
    const ref = c.service!;
    const port = ref.port ?? 443;
    const serverName = `${ref.name}.${ref.namespace}.svc`;
    const svc = await this.#lookup.get('services', ref.namespace, ref.name) as { spec?: { ports?: { name?: string; port: number; targetPort?: number | string }[] } } | undefined;
    if (!svc) throw new Error(`service "${ref.name}" not found`);
    const sp = svc.spec?.ports?.find((p) => p.port === port);
    if (!sp) throw new Error(`service ${ref.name}.${ref.namespace} has no port ${port}`);
    const eps = await this.#lookup.get('endpoints', ref.namespace, ref.name) as { subsets?: { addresses?: { ip: string }[]; ports?: { name?: string; port: number }[] }[] } | undefined;
    for (const s of eps?.subsets ?? []) {
      const ep = (s.ports ?? []).find((p) => (p.name ?? '') === (sp.name ?? ''));
      const ip = s.addresses?.[0]?.ip;
      if (ep && ip) {
        const host = ip.includes(':') ? `[${ip}]` : ip;
        return { url: `https://${host}:${ep.port}${ref.path ?? ''}`, serverName, ca, timeoutSeconds };
      }
    }
    throw new Error(`no endpoints available for service "${ref.name}"`);
  }
}
