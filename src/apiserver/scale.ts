/**
 * The `scale` subresource of Deployments, ReplicaSets and ReplicationControllers (autoscaling/v1 Scale), which `kubectl scale` reads
 * and patches: spec.replicas of the parent, status.replicas and the selector as text. Writes change only the
 * parent's spec.replicas, with the parent's resourceVersion as the Scale's.
 */
import type { KubeObject } from '../api/index.ts';
import { evaluateSimpleJsonPath, labelSelectorFromObject, type LabelSelector } from '../api/index.ts';
import { parseObjectBody, readBody, sendJson } from './http.ts';
import { applyPatch, parsePatch, patchTypeOf } from './patch.ts';
import { dryRunOf, fieldManagerOf, type RequestContext } from './request-context.ts';
import { badRequest, invalid, methodNotAllowed } from './status.ts';

interface Scale {
  apiVersion: 'autoscaling/v1';
  kind: 'Scale';
  metadata: KubeObject['metadata'];
  spec: { replicas?: number };
  status: { replicas: number; selector?: string };
}

/** A custom resource's scale subresource: where its replicas and selector are (`.spec.replicas`). */
export interface ScalePaths {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

function customScaleOf(obj: KubeObject, paths: ScalePaths): Scale {
  const m = obj.metadata ?? {};
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  const scale: Scale = {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: num(evaluateSimpleJsonPath(obj, paths.specReplicasPath)) },
    status: { replicas: num(evaluateSimpleJsonPath(obj, paths.statusReplicasPath)) },
  };
  const selector = paths.labelSelectorPath ? evaluateSimpleJsonPath(obj, paths.labelSelectorPath) : undefined;
  if (typeof selector === 'string') scale.status.selector = selector;
  return scale;
}

/** Sets `.spec.replicas` (a simple dotted path) in a copy's place, making the objects on the way. */
function setAtPath(obj: KubeObject, path: string, value: number): void {
  const steps = path.replace(/^\./, '').split('.');
  let o = obj as Record<string, unknown>;
  for (const s of steps.slice(0, -1)) o = (o[s] ??= {}) as Record<string, unknown>;
  o[steps[steps.length - 1]!] = value;
}

function scaleOf(obj: KubeObject, paths?: ScalePaths): Scale {
  if (paths) return customScaleOf(obj, paths);
  const spec = (obj.spec ?? {}) as { replicas?: number; selector?: LabelSelector };
  // A ReplicationController's selector is a plain label map.
  const selector = obj.kind === 'ReplicationController' && spec.selector ? { matchLabels: spec.selector as Record<string, string> } : spec.selector;
  const status = (obj.status ?? {}) as { replicas?: number };
  const m = obj.metadata ?? {};
  const scale: Scale = {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0 },
  };
  if (selector) scale.status.selector = labelSelectorFromObject(selector).toString();
  return scale;
}

export async function handleScale(ctx: RequestContext, paths?: ScalePaths): Promise<void> {
  const r = ctx.registry;
  const { namespace, name } = ctx.info;
  const method = ctx.req.method;
  if (method === 'GET') {
    sendJson(ctx.res, 200, scaleOf(await r.get(namespace, name), paths));
    return;
  }
  if (method !== 'PUT' && method !== 'PATCH') throw methodNotAllowed(method ?? '', r.qualified);
  const raw = await readBody(ctx.req);
  const type = method === 'PATCH' ? patchTypeOf(ctx.req.headers['content-type']) : undefined;
  const input = type ? parsePatch(type, raw) : parseObjectBody(raw, ctx.req.headers['content-type']);
  const expectedRv = type ? (input as KubeObject).metadata?.resourceVersion : (input as KubeObject).metadata?.resourceVersion;
  // Tracked on the parent as the manager's `scale` subresource entry owning spec.replicas (upstream's ScaleHandler).
  const fieldManager = fieldManagerOf(ctx, { kind: type ? 'PatchOptions' : 'UpdateOptions', apply: type === 'apply' });
  const result = await r.guaranteedUpdate(namespace, name, { dryRun: dryRunOf(ctx.query), subresource: 'scale', user: ctx.user.name, fieldManager }, (current) => {
    const desired = (type ? applyPatch(type, scaleOf(current!, paths) as unknown as KubeObject, input, 'Scale') : input) as unknown as Scale;
    const replicas = desired.spec?.replicas;
    if (replicas === undefined || !Number.isInteger(replicas)) throw badRequest('spec.replicas must be an integer');
    if (replicas < 0) {
      throw invalid('Scale', 'autoscaling', name, [{ type: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${replicas}: must be greater than or equal to 0` }]);
    }
    const next = structuredClone(current!);
    if (paths) setAtPath(next, paths.specReplicasPath, replicas);
    else (next.spec as { replicas?: number }).replicas = replicas;
    return next;
  }, expectedRv);
  sendJson(ctx.res, 200, scaleOf(result.object, paths));
}
