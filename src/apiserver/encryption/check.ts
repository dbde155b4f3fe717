/**
 * The start-up read of every stored object through the encrypting store: a value no configured provider can
 * read (a key removed before all data was rewritten with the new one) stops the server with one line naming
 * the store key, instead of a server whose watch caches never fill. Pages of 500 keys per resource, so memory
 * stays flat; the watch caches read everything once more right after.
 */
import type { ResourceInfo } from '../../api/index.ts';
import type { Store } from '../../storage/index.ts';

const PAGE = 500;

export async function checkStoredValuesReadable(store: Store, resources: readonly ResourceInfo[]): Promise<void> {
  for (const info of resources) {
    const prefix = info.group ? `/registry/${info.group}/${info.plural}/` : `/registry/${info.plural}/`;
    let startAfter: string | undefined;
    for (;;) {
      const page = await store.list(prefix, { limit: PAGE, ...(startAfter !== undefined ? { startAfter } : {}) });
      const last = page.kvs[page.kvs.length - 1];
      if (!page.more || !last) break;
      startAfter = last.key;
    }
  }
}
