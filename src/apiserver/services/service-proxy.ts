/**
 * The `services/proxy` subresource: `/api/v1/namespaces/NS/services/[SCHEME:]NAME[:PORT]/proxy/PATH` sends the
 * request to one ready endpoint of the Service and streams the answer back (upstream's Service REST
 * ResourceLocation plus the generic upgrade-aware proxy, for plain HTTP). PORT is a service port's name or
 * number (a number is mapped to its port's name, as upstream does); the endpoint comes from the Service's
 * EndpointSlices (label `kubernetes.io/service-name`), a random ready one carrying that port name. `https:`
 * talks TLS to the endpoint without checking its certificate, as the apiserver's proxy transport does.
 */
import http from 'node:http';
import https from 'node:https';
import type { EndpointSlice, Service } from '../../api/index.ts';
import type { GenericRegistry } from '../registry/generic.ts';
import type { RequestContext } from '../request-context.ts';
import { badRequest, serviceUnavailable, toStatus, ApiError } from '../status.ts';
import { sendStatus } from '../http.ts';

export interface ServiceProxyDeps {
  endpointSlices: GenericRegistry;
}

/** SplitSchemeNamePort: `name`, `name:port`, `scheme:name:port`. */
export function splitSchemeNamePort(id: string): { scheme: string; name: string; port: string } | undefined {
  const parts = id.split(':');
  let scheme = '';
  let name: string;
  let port = '';
  if (parts.length === 1) name = parts[0]!;
  else if (parts.length === 2) [name, port] = parts as [string, string];
  else if (parts.length === 3) [scheme, name, port] = parts as [string, string, string];
  else return undefined;
  if (!name || (scheme !== '' && scheme !== 'http' && scheme !== 'https')) return undefined;
  return { scheme, name, port };
}

/** A random ready endpoint of the Service for the port (by name), from its EndpointSlices. */
export function pickEndpoint(svc: Service, slices: readonly EndpointSlice[], portStr: string, random = Math.random): { ip: string; port: number } {
  const name = svc.metadata?.name ?? '';
  let portName = portStr;
  if (/^\d+$/.test(portStr)) {
    const sp = (svc.spec?.ports ?? []).find((p) => p.port === Number(portStr));
    if (!sp) throw serviceUnavailable(`no service port ${portStr} found for service ${JSON.stringify(name)}`);
    portName = sp.name ?? '';
  }
  const family = svc.spec?.ipFamilies?.[0] ?? 'IPv4';
  const candidates: { ip: string; port: number }[] = [];
  for (const slice of slices) {
    if (slice.addressType !== family) continue;
    const port = (slice.ports ?? []).find((p) => (p.name ?? '') === portName)?.port;
    if (port === undefined) continue;
    for (const e of slice.endpoints ?? []) {
      if (e.conditions?.ready === false || !e.addresses?.length) continue;
      candidates.push({ ip: e.addresses[0]!, port });
    }
  }
  if (candidates.length === 0) throw serviceUnavailable(`no endpoints available for service ${JSON.stringify(name)}`);
  return candidates[Math.floor(random() * candidates.length)]!;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection']);

export async function handleServiceProxy(ctx: RequestContext, deps: ServiceProxyDeps): Promise<void> {
  const { info } = ctx;
  const target = splitSchemeNamePort(info.name);
  if (!target || /^\d+$/.test(target.name)) throw badRequest(`invalid service request ${JSON.stringify(info.name)}`);
  const svc = (await ctx.registry.get(info.namespace, target.name)) as unknown as Service;
  const { items } = await deps.endpointSlices.list(info.namespace, {
    filter: (o) => o.metadata?.labels?.['kubernetes.io/service-name'] === target.name,
  });
  const endpoint = pickEndpoint(svc, items as unknown as EndpointSlice[], target.port);
  // The path after `/proxy`, as sent (still percent-encoded; a trailing slash kept).
  const m = /\/services\/[^/]+\/proxy(\/.*)?$/.exec(ctx.url.pathname);
  const path = (m?.[1] ?? '/') + ctx.url.search;
  const headers: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(ctx.req.headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || k === 'authorization' || k === 'host') continue;
    headers[k] = v;
  }
  headers.host = endpoint.ip.includes(':') ? `[${endpoint.ip}]:${endpoint.port}` : `${endpoint.ip}:${endpoint.port}`;
  const client = target.scheme === 'https' ? https : http;
  await new Promise<void>((resolve) => {
    const upstream = client.request({
      host: endpoint.ip, port: endpoint.port, method: ctx.req.method, path, headers,
      ...(target.scheme === 'https' ? { rejectUnauthorized: false } : {}),
    }, (res) => {
      const out: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
      ctx.res.writeHead(res.statusCode ?? 502, out);
      res.pipe(ctx.res);
      res.on('end', resolve);
      res.on('error', () => { ctx.res.destroy(); resolve(); });
    });
    upstream.on('error', (err) => {
      if (!ctx.res.headersSent) {
        sendStatus(ctx.res, toStatus(new ApiError(503, 'ServiceUnavailable', `error trying to reach service: ${err.message}`)));
      } else {
        ctx.res.destroy();
      }
      resolve();
    });
    ctx.req.pipe(upstream);
    ctx.res.on('close', () => upstream.destroy());
  });
}
