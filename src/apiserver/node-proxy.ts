/**
 * The `nodes/proxy` subresource: `GET /api/v1/nodes/NAME/proxy/PATH` reaches the node's kubelet at `/PATH`
 * (its InternalIP and kubelet port, with the kubelet client token), as `kubectl get --raw
 * /api/v1/nodes/NAME/proxy/stats/summary` does upstream. Only GET is proxied; the answer streams back as it comes.
 */
import type { Node } from '../api/index.ts';
import type { RequestContext } from './request-context.ts';
import { kubeletTarget, proxyStream } from './kubelet-proxy.ts';
import { methodNotAllowed } from './status.ts';

export async function handleNodeProxy(ctx: RequestContext, kubeletToken: string): Promise<void> {
  if (ctx.req.method !== 'GET') throw methodNotAllowed(ctx.req.method ?? '', { group: '', resource: 'nodes/proxy' });
  const node = (await ctx.registry.get('', ctx.info.name)) as unknown as Node;
  const target = kubeletTarget(node);
  // The path after `/proxy`, as sent (still percent-encoded).
  const m = /\/nodes\/[^/]+\/proxy(\/.*)?$/.exec(ctx.url.pathname);
  await proxyStream(target, (m?.[1] ?? '/') + ctx.url.search, kubeletToken, ctx.req, ctx.res);
}
