/**
 * k3s's `local-storage` in `kubeling server`: the default StorageClass `local-path` (provisioner
 * rancher.io/local-path, WaitForFirstConsumer, reclaim policy Delete), made at start unless it exists (a
 * user's edits to it are left alone); `--disable local-storage` leaves it out, as in k3s. The provisioner
 * that serves it runs on every node (src/cmd/components/node.ts), since the directories are there.
 */
import { localPathStorageClass } from '../../controllers/index.ts';
import { isAlreadyExists, type Client } from '../../client/index.ts';
import type { StorageClass } from '../../api/index.ts';
import { realClock, type Logger } from '../../machinery/index.ts';
import type { Component, ComponentContext } from './component.ts';

export async function ensureLocalPathStorageClass(client: Client, logger: Logger, signal: AbortSignal): Promise<void> {
  const classes = client.resource<StorageClass>('storageclasses');
  let delay = 200;
  while (!signal.aborted) {
    try {
      await classes.create(localPathStorageClass(), { signal });
      logger.info('created storageclass local-path');
      return;
    } catch (err) {
      if (isAlreadyExists(err) || signal.aborted) return;
      logger.warn({ err: (err as Error).message }, 'creating storageclass local-path failed; retrying');
      await realClock.sleep(delay, signal).catch(() => {});
      delay = Math.min(delay * 2, 5000);
    }
  }
}

export const localStorageComponent: Component = {
  name: 'local-storage',
  async run(ctx: ComponentContext): Promise<void> {
    await ensureLocalPathStorageClass(ctx.client, ctx.logger, ctx.signal);
  },
};
