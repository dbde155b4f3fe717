/**
 * The API server's in-process list and watch (apiserver/in-process-reads.ts) as the client's `InProcessReads`
 * for one identity: what `kubeling server` gives the informers of its controller manager and scheduler, so
 * they share the watch caches' objects instead of decoding their own copies. The server's errors become the
 * client's `ApiError`s with the Status the HTTP answer would carry (410 Expired → `isGone`, 403, 400).
 */
import { toStatus, type ApiServer, type InProcessWatchEvent } from '../apiserver/index.ts';
import type { User } from '../apiserver/auth/tokens.ts';
import { ApiError, type InProcessReads, type KubeObjectLike, type ObjectList, type Status, type WatchEvent } from '../client/index.ts';

function clientError(err: unknown): unknown {
  return new ApiError(toStatus(err) as Status, { cause: err });
}

export function inProcessReadsFor(apiserver: ApiServer, user: User): InProcessReads {
  const reader = apiserver.inProcessReader;
  const target = (r: { resource: { group: string; version: string; plural: string } }) => ({ group: r.resource.group, version: r.resource.version, plural: r.resource.plural });
  return {
    async list(req) {
      try {
        return (await reader.list(user, { ...target(req), namespace: req.namespace, labelSelector: req.labelSelector, fieldSelector: req.fieldSelector })) as ObjectList<KubeObjectLike>;
      } catch (err) {
        throw clientError(err);
      }
    },
    async *watch(req) {
      const events = reader.watch(user, {
        ...target(req), namespace: req.namespace, labelSelector: req.labelSelector, fieldSelector: req.fieldSelector,
        resourceVersion: req.resourceVersion, allowWatchBookmarks: req.allowWatchBookmarks, timeoutSeconds: req.timeoutSeconds, signal: req.signal,
      });
      let it: IteratorResult<InProcessWatchEvent>;
      try {
        for (;;) {
          try {
            it = await events.next();
          } catch (err) {
            throw clientError(err);
          }
          if (it.done) return;
          yield it.value as WatchEvent<KubeObjectLike>;
        }
      } finally {
        // A reader that stops early (break) must unsubscribe the server's watch too.
        await events.return(undefined);
      }
    },
  };
}
