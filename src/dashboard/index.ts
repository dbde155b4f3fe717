/**
 * The web dashboard, served by the API server under `/dashboard/` on its own address (`kubeling server
 * --dashboard`, on by default). The page logs in with a bearer token and talks to the Kubernetes API
 * itself, as that user (list+watch streams, follow=true logs, exec over a v5/v4.channel.k8s.io WebSocket),
 * so RBAC applies to everything it shows. This module serves the static shell (static-files.ts) and the
 * few answers the page cannot compute itself (answers.ts: why, the pod timeline).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { serveAnswer, type AnswersConfig } from './answers.ts';
import { StaticFiles } from './static-files.ts';

export const DASHBOARD_PREFIX = '/dashboard';

export type DashboardConfig = AnswersConfig;

/** A handler of everything under /dashboard (the API server's PublicHandler shape). */
export interface Dashboard {
  prefix: string;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export function createDashboard(config: DashboardConfig): Dashboard {
  const files = new StaticFiles();
  return {
    prefix: DASHBOARD_PREFIX,
    async handle(req, res) {
      const url = new URL(req.url ?? '/', 'https://localhost');
      const rest = url.pathname.slice(DASHBOARD_PREFIX.length);
      if (rest === '') {
        res.writeHead(301, { Location: `${DASHBOARD_PREFIX}/${url.search}`, 'Content-Length': 0 }).end();
        return;
      }
      if (rest.startsWith('/api/')) return serveAnswer(config, req, res, rest.slice('/api/'.length));
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Length': 0 }).end();
        return;
      }
      if (await files.serve(req, res, rest)) return;
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' }).end('404 page not found\n');
    },
  };
}
