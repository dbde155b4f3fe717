/**
 * Pod subresources beyond status: `binding` (the scheduler's POST that sets spec.nodeName, also reachable as
 * the `bindings` collection), `eviction` (a delete that goes through the eviction API), `ephemeralcontainers`
 * (only spec.ephemeralContainers changes, and only by adding), and the kubelet-backed `log`, `exec`, `attach`
 * and `portforward`, which are checked here and proxied by kubelet-proxy.ts.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Binding, DeleteOptions, EphemeralContainer, KubeObject, Node, Pod } from '../api/index.ts';
import { applyDefaults } from '../api/index.ts';
import { parseObjectBody, readBody, sendJson } from './http.ts';
import { checkDeleteOptions } from './delete-options.ts';
import { validatePodEphemeralContainersUpdate } from './api-bridge.ts';
import { applyPatch, parsePatch, patchTypeOf } from './patch.ts';
import { checkUnknownFields, dryRunOf, fieldManagerOf, warningHeader, type RequestContext } from './request-context.ts';
import type { GenericRegistry } from './registry/generic.ts';
import { timestamp } from './registry/generic.ts';
import { badRequest, conflict, invalid, methodNotAllowed, successStatus, toStatus } from './status.ts';
import { checkDisruptionBudget } from './eviction.ts';
import { kubeletTarget, pickContainer, proxyStream, proxyUpgrade, writeUpgradeError } from './kubelet-proxy.ts';

export interface PodDeps {
  nodes: GenericRegistry;
  /** For the eviction subresource's budget check. */
  podDisruptionBudgets: GenericRegistry;
  kubeletToken: string;
  now: () => number;
}

/** Sets spec.nodeName once (409 when already bound or being deleted) and records PodScheduled. */
export async function bind(pods: GenericRegistry, namespace: string, name: string, binding: Binding, deps: { now: () => number }, dryRun: boolean): Promise<void> {
  const node = binding.target?.name;
  if (!node) throw invalid('Binding', '', name, [{ type: 'FieldValueRequired', field: 'target.name', message: 'Required value' }]);
  const bindingRef = { group: '', resource: 'pods/binding' };
  await pods.guaranteedUpdate(namespace, name, { subresource: 'binding', dryRun }, (current) => {
    const pod = current as unknown as Pod;
    if (binding.metadata?.uid && binding.metadata.uid !== pod.metadata?.uid) {
      throw conflict(bindingRef, name, `Precondition failed: UID in precondition: ${binding.metadata.uid}, UID in object meta: ${pod.metadata?.uid}`);
    }
    if (pod.metadata?.deletionTimestamp) throw conflict(bindingRef, name, `pod ${name} is being deleted, cannot be assigned to a host`);
    if (pod.spec?.nodeName) throw conflict(bindingRef, name, `pod ${name} is already assigned to node ${JSON.stringify(pod.spec.nodeName)}`);
    pod.spec!.nodeName = node;
    if (binding.metadata?.annotations) {
      pod.metadata!.annotations = { ...pod.metadata!.annotations, ...binding.metadata.annotations };
    }
    const status = (pod.status ??= {});
    const conditions = (status.conditions ??= []).filter((c) => c.type !== 'PodScheduled');
    conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null as unknown as string, lastTransitionTime: timestamp(deps.now()) });
    status.conditions = conditions;
    return current!;
  });
}

export async function handleBinding(ctx: RequestContext, deps: PodDeps, podName: string): Promise<void> {
  const body = parseObjectBody(await readBody(ctx.req), ctx.req.headers['content-type']) as unknown as Binding;
  const name = podName || body.metadata?.name || '';
  if (!name) throw badRequest('the binding must name a pod in metadata.name');
  if (podName && body.metadata?.name && body.metadata.name !== podName) {
    throw badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${podName})`);
  }
  await bind(ctx.registry, ctx.info.namespace, name, body, deps, dryRunOf(ctx.query));
  sendJson(ctx.res, 201, successStatus(undefined, 201));
}

export async function handleEviction(ctx: RequestContext, deps: PodDeps): Promise<void> {
  const body = parseObjectBody(await readBody(ctx.req), ctx.req.headers['content-type']) as { metadata?: { name?: string }; deleteOptions?: DeleteOptions };
  if (body.metadata?.name && body.metadata.name !== ctx.info.name) {
    throw badRequest(`name in URL does not match name in Eviction object`);
  }
  const options: unknown = body.deleteOptions;
  if (options !== undefined && options !== null) {
    if (typeof options !== 'object' || Array.isArray(options)) {
      throw badRequest(`json: cannot unmarshal ${Array.isArray(options) ? 'array' : typeof options} into Go struct field Eviction.deleteOptions of type v1.DeleteOptions`);
    }
    checkDeleteOptions(options as Record<string, unknown>);
  }
  // A PodDisruptionBudget selecting the pod may refuse (429) before anything is deleted.
  const pod = (await ctx.registry.get(ctx.info.namespace, ctx.info.name)) as unknown as Pod;
  await checkDisruptionBudget(deps.podDisruptionBudgets, pod, deps.now(), dryRunOf(ctx.query));
  await ctx.registry.delete(ctx.info.namespace, ctx.info.name, (options ?? {}) as DeleteOptions, { dryRun: dryRunOf(ctx.query), user: ctx.user.name, groups: ctx.user.groups, subresource: 'eviction' });
  sendJson(ctx.res, 201, successStatus(undefined, 201));
}

export async function handleEphemeralContainers(ctx: RequestContext): Promise<void> {
  const method = ctx.req.method;
  const r = ctx.registry;
  if (method === 'GET') {
    sendJson(ctx.res, 200, await r.get(ctx.info.namespace, ctx.info.name));
    return;
  }
  if (method !== 'PATCH' && method !== 'PUT') throw methodNotAllowed(method ?? '', r.qualified);
  const raw = await readBody(ctx.req);
  const type = method === 'PATCH' ? patchTypeOf(ctx.req.headers['content-type']) : undefined;
  const input = type ? parsePatch(type, raw) : parseObjectBody(raw, ctx.req.headers['content-type']);
  const result = await r.guaranteedUpdate(ctx.info.namespace, ctx.info.name, { subresource: 'ephemeralcontainers', dryRun: dryRunOf(ctx.query), user: ctx.user.name, warnings: ctx.warnings, auditAnnotations: ctx.auditAnnotations, groups: ctx.user.groups, fieldManager: fieldManagerOf(ctx, { kind: ctx.req.method === 'PATCH' ? 'PatchOptions' : 'UpdateOptions' }) }, (current) => {
    const desired = (type ? applyPatch(type, current!, input, 'Pod') : input) as KubeObject as unknown as Pod;
    checkUnknownFields(ctx, desired as unknown as KubeObject);
    const pod = structuredClone(current) as unknown as Pod;
    const added: EphemeralContainer[] = desired.spec?.ephemeralContainers ?? [];
    pod.spec!.ephemeralContainers = added;
    if (added.length === 0) delete pod.spec!.ephemeralContainers;
    applyDefaults(r.info, pod);
    // Only additions are allowed: api's rule, with Kubernetes' messages.
    const errors = validatePodEphemeralContainersUpdate(pod, current as unknown as Pod);
    if (errors.length) throw invalid('Pod', '', ctx.info.name, errors);
    return pod as unknown as KubeObject;
  }, type ? undefined : (input as KubeObject).metadata?.resourceVersion);
  if (ctx.warnings.length) ctx.res.setHeader('Warning', warningHeader(ctx.warnings));
  sendJson(ctx.res, 200, result.object);
}

/** Checks the pod and container of a log/exec/attach/portforward request; returns the kubelet path. */
async function kubeletPath(pods: GenericRegistry, deps: PodDeps, namespace: string, name: string, subresource: string, query: URLSearchParams): Promise<{ target: ReturnType<typeof kubeletTarget>; path: string }> {
  const pod = (await pods.get(namespace, name)) as unknown as Pod;
  const nodeName = pod.spec?.nodeName;
  if (!nodeName) throw badRequest(`pod ${name} does not have a host assigned`);
  const node = (await deps.nodes.tryGet('', nodeName)) as unknown as Node | undefined;
  if (!node) throw badRequest(`node ${JSON.stringify(nodeName)} not found`);
  const target = kubeletTarget(node);
  const ns = encodeURIComponent(namespace);
  const pn = encodeURIComponent(name);
  if (subresource === 'portforward') return { target, path: `/portForward/${ns}/${pn}${kubeletPortForwardQuery(query)}` };
  const container = pickContainer(pod, query.get('container'));
  const rest = new URLSearchParams(query);
  rest.delete('container');
  const base = subresource === 'log' ? 'containerLogs' : subresource;
  const qs = rest.toString();
  return { target, path: `/${base}/${ns}/${pn}/${encodeURIComponent(container)}${qs ? `?${qs}` : ''}` };
}

/**
 * The kubelet's query for a pods/portforward request: PodPortForwardOptions' `ports` (repeated) become the
 * kubelet's one `port` list, as upstream's PortForwardLocation writes it (WebSocket clients such as client-node
 * name their ports there; kubectl's SPDY names them per stream and sends none).
 */
export function kubeletPortForwardQuery(query: URLSearchParams): string {
  const ports = query.getAll('ports');
  return ports.length ? `?${new URLSearchParams({ port: ports.join(',') }).toString()}` : '';
}

export const KUBELET_SUBRESOURCES = new Set(['log', 'exec', 'attach', 'portforward']);

export async function handleLog(ctx: RequestContext, deps: PodDeps): Promise<void> {
  if (ctx.req.method !== 'GET') throw methodNotAllowed(ctx.req.method ?? '', ctx.registry.qualified);
  const { target, path } = await kubeletPath(ctx.registry, deps, ctx.info.namespace, ctx.info.name, 'log', ctx.query);
  await proxyStream(target, path, deps.kubeletToken, ctx.req, ctx.res);
}

/** exec/attach/portforward arrive as upgrades; a plain request gets the real apiserver's 400. */
export function rejectNonUpgrade(): never {
  throw badRequest('Upgrade request required');
}

export async function handleUpgrade(pods: GenericRegistry, deps: PodDeps, req: IncomingMessage, socket: Duplex, head: Buffer, namespace: string, name: string, subresource: string, query: URLSearchParams): Promise<void> {
  try {
    const { target, path } = await kubeletPath(pods, deps, namespace, name, subresource, query);
    proxyUpgrade(target, path, deps.kubeletToken, req, socket, head);
  } catch (err) {
    writeUpgradeError(socket, toStatus(err));
  }
}
