// The page's only way to the cluster: the Kubernetes API on this origin, with the user's bearer token.
// Lists are kept live by list+watch over HTTP streaming (one newline-delimited JSON event a line),
// relisting after a 410 Gone, as client-go's reflector does.

export class ApiError extends Error {
  constructor(code, status) {
    super(status?.message || `HTTP ${code}`);
    this.code = code;
    this.status = status;
  }
}

export class Api {
  constructor(token) {
    this.token = token;
  }

  headers(extra = {}) {
    return { Authorization: `Bearer ${this.token}`, Accept: 'application/json', ...extra };
  }

  async request(path, { method = 'GET', body, signal } = {}) {
    const init = { method, headers: this.headers(body ? { 'Content-Type': 'application/json' } : {}), signal };
    if (body) init.body = JSON.stringify(body);
    const res = await fetch(path, init);
    const text = await res.text();
    let json;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = { message: text };
    }
    if (!res.ok) throw new ApiError(res.status, json);
    return json;
  }

  get(path, signal) {
    return this.request(path, { signal });
  }

  /** Who the token is (SelfSubjectReview): throws ApiError 401 for a token the server does not take. */
  async whoAmI() {
    const review = await this.request('/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      method: 'POST',
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    });
    return review.status?.userInfo?.username ?? '(unknown)';
  }

  /** Lines of a stream (a watch, followed logs) as they come, until it ends or `signal` aborts. */
  async *lines(path, signal) {
    const res = await fetch(path, { headers: this.headers(), signal });
    if (!res.ok) {
      let status;
      try {
        status = await res.json();
      } catch {
        status = undefined;
      }
      throw new ApiError(res.status, status);
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let nl;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          yield buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
        }
      }
      if (buffer) yield buffer;
    } finally {
      reader.releaseLock();
    }
  }
}

const keyOf = (o) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
const sleep = (ms, signal) => new Promise((resolve) => {
  const t = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
});

/**
 * Keeps the objects at `path` (a list URL, query allowed) live: calls onItems(array) after the list and
 * after every watch event, onError(error) when a list or watch fails (it retries after a pause).
 */
export function watchList(api, path, onItems, onError, signal) {
  const sep = path.includes('?') ? '&' : '?';
  const run = async () => {
    while (!signal.aborted) {
      try {
        const list = await api.get(path, signal);
        const items = new Map(list.items.map((o) => [keyOf(o), o]));
        onItems([...items.values()]);
        onError(undefined);
        let rv = list.metadata?.resourceVersion;
        let gone = false;
        while (!signal.aborted && !gone) {
          for await (const line of api.lines(`${path}${sep}watch=1&allowWatchBookmarks=true&resourceVersion=${rv}`, signal)) {
            if (!line.trim()) continue;
            const ev = JSON.parse(line);
            if (ev.type === 'ERROR') {
              if (ev.object?.code === 410) { gone = true; break; }
              throw new ApiError(ev.object?.code ?? 500, ev.object);
            }
            rv = ev.object?.metadata?.resourceVersion ?? rv;
            if (ev.type === 'BOOKMARK') continue;
            if (ev.type === 'DELETED') items.delete(keyOf(ev.object));
            else items.set(keyOf(ev.object), ev.object);
            onItems([...items.values()]);
          }
        }
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof ApiError && err.code === 410) continue;
        onError(err);
        await sleep(2000, signal);
      }
    }
  };
  run();
}

/** A bearer token as the WebSocket subprotocol the API server reads it from (browsers cannot set headers). */
export function bearerProtocol(token) {
  const bytes = new TextEncoder().encode(token);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return `base64url.bearer.authorization.k8s.io.${btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`;
}
