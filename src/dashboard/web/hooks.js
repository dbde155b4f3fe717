// Hooks shared by the views: a live list (list+watch), a route from the location hash, a /dashboard/api answer.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, watchList } from './api.js';

/** The objects at `path`, kept live while the component is mounted: [items, error]. */
export function useWatch(api, path) {
  const [items, setItems] = useState(undefined);
  const [error, setError] = useState(undefined);
  useEffect(() => {
    if (!path) return undefined;
    setItems(undefined);
    const ctl = new AbortController();
    watchList(api, path, setItems, setError, ctl.signal);
    return () => ctl.abort();
  }, [api, path]);
  return [items, error];
}

/**
 * A JSON answer fetched again whenever `version` changes, and every `refreshMs` when given: [value, error].
 * A failure that is not the server's answer (the network dropped the request) is asked again after a pause.
 */
export function useAnswer(api, path, version, refreshMs) {
  const [value, setValue] = useState(undefined);
  const [error, setError] = useState(undefined);
  useEffect(() => {
    if (!path) return undefined;
    const ctl = new AbortController();
    let timer;
    const ask = () =>
      api.get(path, ctl.signal).then(
        (v) => { setValue(v); setError(undefined); },
        (e) => {
          if (ctl.signal.aborted) return;
          setError(e);
          if (!(e instanceof ApiError)) timer = setTimeout(ask, 2000);
        },
      );
    ask();
    const every = refreshMs ? setInterval(ask, refreshMs) : undefined;
    return () => { clearTimeout(timer); clearInterval(every); ctl.abort(); };
  }, [api, path, version, refreshMs]);
  return [value, error];
}

export function useHashRoute() {
  const read = () => location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

/** Re-renders every `ms` (ages in tables). */
export function useTick(ms) {
  const [, set] = useState(0);
  useEffect(() => {
    const t = setInterval(() => set((n) => n + 1), ms);
    return () => clearInterval(t);
  }, [ms]);
}
