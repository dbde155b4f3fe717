/**
 * The dashboard's read-only answers that need more than one API object: `why` (the first thing keeping a
 * pod, workload, Service or node from healthy, cli/why's explain-* answers) and a pod's timeline (cli/why's
 * TimelineStep list). The page cannot run that TypeScript itself (no build step), so the server runs it on
 * the page's behalf, through the API and with the caller's own bearer token: RBAC decides what it may read,
 * exactly as for the page's other requests.
 *
 *   GET /dashboard/api/why/namespaces/NS/pods/NAME        → { sentence, evidence[], healthy }
 *   GET /dashboard/api/why/namespaces/NS/deployments/NAME → { sentence, evidence[], healthy }
 *       (likewise statefulsets, daemonsets, replicasets, jobs, cronjobs and services)
 *   GET /dashboard/api/why/nodes/NAME                      → { sentence, evidence[], healthy }
 *   GET /dashboard/api/timeline/namespaces/NS/pods/NAME   → { created, steps: TimelineStep[], recordedBy? }
 *
 * The timeline is `why --timeline`'s: the kubelet's record (ms) when the pod's node answers, else rebuilt.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Pod } from '../api/index.ts';
import { ApiError, Client, type Status } from '../client/index.ts';
import { explain, podTimeline, type WhyKind } from '../cli/why/why.ts';

export interface AnswersConfig {
  /** The API server's URL as the server itself reaches it (known once it listens). */
  apiServer: () => string | undefined;
  /** The CA that signed its serving certificate. */
  caPem: string;
  now?: () => number;
}

function failure(code: number, reason: string, message: string): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code } as Status;
}

function send(res: ServerResponse, code: number, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': bytes.length, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  res.end(bytes);
}

export type AnswerRoute =
  | { what: 'why'; kind: Exclude<WhyKind, 'node'>; namespace: string; name: string }
  | { what: 'why'; kind: 'node'; name: string }
  | { what: 'timeline'; namespace: string; name: string };

/** The namespaced resources `why` answers for, by their plural (the page's path segment). */
const WHY_RESOURCES: Record<string, Exclude<WhyKind, 'node'>> = {
  pods: 'pod', deployments: 'deployment', statefulsets: 'statefulset', daemonsets: 'daemonset', replicasets: 'replicaset',
  jobs: 'job', cronjobs: 'cronjob', services: 'service',
};

/** The route `rest` (the path after `/dashboard/api/`) names, or undefined. */
export function parseAnswerRoute(rest: string): AnswerRoute | undefined {
  const p = rest.split('/').map(decodeURIComponent);
  if (p.some((s) => s === '')) return undefined;
  if (p.length === 3 && p[0] === 'why' && p[1] === 'nodes') return { what: 'why', kind: 'node', name: p[2]! };
  if (p.length !== 5 || p[1] !== 'namespaces') return undefined;
  const [what, , namespace, resource, name] = p as [string, string, string, string, string];
  if (what === 'why' && Object.hasOwn(WHY_RESOURCES, resource)) return { what, kind: WHY_RESOURCES[resource]!, namespace, name };
  if (what === 'timeline' && resource === 'pods') return { what, namespace, name };
  return undefined;
}

export async function serveAnswer(config: AnswersConfig, req: IncomingMessage, res: ServerResponse, rest: string): Promise<void> {
  if (req.method !== 'GET') return send(res, 405, failure(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`));
  const route = parseAnswerRoute(rest);
  if (!route) return send(res, 404, failure(404, 'NotFound', 'the server could not find the requested resource'));
  const token = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
  const server = config.apiServer();
  if (!token) return send(res, 401, failure(401, 'Unauthorized', 'Unauthorized'));
  if (!server) return send(res, 503, failure(503, 'ServiceUnavailable', 'the API server is not listening yet'));
  const now = config.now ?? Date.now;
  const client = new Client({ server, caData: config.caPem, token, userAgent: 'kubeling-dashboard', qps: 0 });
  try {
    if (route.what === 'timeline') {
      const pod = await client.resource<Pod>('pods', route.namespace).get(route.name);
      const { steps, recordedBy } = await podTimeline(client, pod);
      return send(res, 200, { created: pod.metadata?.creationTimestamp, steps, recordedBy });
    }
    return send(res, 200, await explain(client, { kind: route.kind, name: route.name, namespace: route.kind === 'node' ? '' : route.namespace }, now));
  } catch (err) {
    if (err instanceof ApiError) return send(res, err.code, err.status);
    return send(res, 500, failure(500, 'InternalError', (err as Error).message));
  } finally {
    client.close();
  }
}
