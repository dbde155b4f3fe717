// Hooks shared by the views: a live list (list+watch), a route from the location hash, a /dashboard/api answer.
import { useEffect, useState } from 'preact/hooks';
import { watchList } from './api.js';

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

/** A JSON answer fetched again whenever `version` changes: [value, error]. */
export function useAnswer(api, path, version) {
  const [value, setValue] = useState(undefined);
  const [error, setError] = useState(undefined);
  useEffect(() => {
    if (!path) return undefined;
    const ctl = new AbortController();
    api.get(path, ctl.signal).then(
      (v) => { setValue(v); setError(undefined); },
      (e) => { if (!ctl.signal.aborted) setError(e); },
    );
    return () => ctl.abort();
  }, [api, path, version]);
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
