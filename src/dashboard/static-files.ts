/**
 * The dashboard's static shell: its own files (web/) and the front-end libraries it loads straight from
 * node_modules as ES modules (no build step), each under a fixed name, so only files of those packages can
 * be asked for. Served to anyone, as the upstream dashboard serves its shell; every piece of data the page
 * shows comes from the API with the user's own token.
 *
 * Every answer carries a Content-Security-Policy that allows scripts from this origin only (plus the hash of
 * index.html's import map, the one inline script), connections to this origin only (the API, its watch,
 * log and exec streams), and no framing. Library files may be cached for a day; the dashboard's own files
 * are revalidated (ETag) on every load, so an upgraded server is picked up at once.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB_ROOT = fileURLToPath(new URL('./web/', import.meta.url));

/** The folder of the file a package specifier resolves to. */
const folderOf = (specifier: string) => dirname(fileURLToPath(import.meta.resolve(specifier)));

/** `/dashboard/vendor/<name>/<file>` → a folder inside one package. */
const VENDOR: Record<string, string> = {
  preact: folderOf('preact'),
  'preact-hooks': folderOf('preact/hooks'),
  htm: folderOf('htm'),
  xterm: dirname(folderOf('@xterm/xterm')),
  'xterm-addon-fit': folderOf('@xterm/addon-fit'),
  uplot: folderOf('uplot'),
  yaml: join(dirname(folderOf('yaml')), 'browser'),
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
  cacheControl: string;
}

/** The policy for index.html's one inline script (its import map), by hash. */
export function contentSecurityPolicy(indexHtml: string): string {
  const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(indexHtml)?.[1];
  const hash = importMap === undefined ? '' : ` 'sha256-${createHash('sha256').update(importMap).digest('base64')}'`;
  return [
    "default-src 'self'",
    `script-src 'self'${hash}`,
    // xterm and uPlot size their elements with inline styles.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Finds the file a path under the dashboard names, or undefined (never a file outside the allowed folders). */
export function resolveStaticPath(rest: string): { file: string; vendor: boolean } | undefined {
  if (rest === '' || rest === '/') return { file: join(WEB_ROOT, 'index.html'), vendor: false };
  const parts = rest.replace(/^\//, '').split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\') || p.includes('\0'))) return undefined;
  let root = WEB_ROOT;
  let vendor = false;
  if (parts[0] === 'vendor') {
    const folder = VENDOR[parts[1] ?? ''];
    if (!folder) return undefined;
    root = folder;
    parts.splice(0, 2);
    vendor = true;
  }
  if (!CONTENT_TYPES[extname(parts.at(-1) ?? '')]) return undefined;
  const file = normalize(join(root, ...parts));
  return file.startsWith(root.endsWith(sep) ? root : root + sep) ? { file, vendor } : undefined;
}

export class StaticFiles {
  readonly #cache = new Map<string, StaticFile>();
  #csp: string | undefined;

  async #load(file: string, vendor: boolean): Promise<StaticFile | undefined> {
    const cached = this.#cache.get(file);
    if (cached) return cached;
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return undefined;
    }
    const loaded = {
      body,
      type: CONTENT_TYPES[extname(file)]!,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
      cacheControl: vendor ? 'public, max-age=86400' : 'no-cache',
    };
    this.#cache.set(file, loaded);
    return loaded;
  }

  async csp(): Promise<string> {
    this.#csp ??= contentSecurityPolicy((await this.#load(join(WEB_ROOT, 'index.html'), false))?.body.toString('utf8') ?? '');
    return this.#csp;
  }

  /** Answers a GET or HEAD for `rest` (the path after `/dashboard`); false when there is no such file. */
  async serve(req: IncomingMessage, res: ServerResponse, rest: string): Promise<boolean> {
    const found = resolveStaticPath(rest);
    const file = found && (await this.#load(found.file, found.vendor));
    if (!file) return false;
    const headers = {
      'Content-Type': file.type,
      'Cache-Control': file.cacheControl,
      ETag: file.etag,
      'Content-Security-Policy': await this.csp(),
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
    };
    if (req.headers['if-none-match'] === file.etag) {
      res.writeHead(304, headers).end();
      return true;
    }
    res.writeHead(200, { ...headers, 'Content-Length': file.body.length });
    res.end(req.method === 'HEAD' ? undefined : file.body);
    return true;
  }
}
