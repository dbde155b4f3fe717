/**
 * Which requests are long-running, as kube-apiserver's BasicLongRunningRequestCheck decides: the `watch` and
 * `proxy` verbs, and the `attach`, `exec`, `proxy`, `log` and `portforward` subresources. They take no
 * in-flight slot and have no request timeout; everything else has both.
 */

const LONG_RUNNING_SUBRESOURCES = new Set(['attach', 'exec', 'proxy', 'log', 'portforward']);

export interface RequestShape {
  verb: string;
  subresource: string;
}

export function isLongRunning(info: RequestShape | undefined): boolean {
  if (!info) return false;
  if (info.verb === 'watch' || info.verb === 'proxy') return true;
  const sub = info.subresource.split('/')[0]!;
  return LONG_RUNNING_SUBRESOURCES.has(sub);
}
