/**
 * Small stream helpers shared by attach and TTY exec: following a CRI-format log file as it grows, and
 * writing control messages to conmon's fifos without ever blocking.
 */
import { constants as fsConstants, statSync, watch, type FSWatcher } from 'node:fs';
import { open } from 'node:fs/promises';

/** Writes to a fifo that conmon reads; fails at once (ENXIO) instead of blocking when nobody reads it. */
export async function writeFifo(path: string, text: string): Promise<void> {
  const fh = await open(path, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
  try {
    await fh.write(text);
  } finally {
    await fh.close();
  }
}

/**
 * Follows a CRI-format log file from its current end (or its start), calling `onData` with each line's payload (full lines
 * get their newline back; partial `P` lines do not).
 */
export function followCriLog(
  path: string,
  onData: (stream: 'stdout' | 'stderr', data: Buffer) => void,
  options: { fromStart?: boolean } = {},
): { stop(): Promise<void> } {
  let offset = 0;
  if (!options.fromStart) {
    try {
      offset = statSync(path).size;
    } catch {}
  }
  let rest = '';
  let stopped = false;
  let reading: Promise<void> = Promise.resolve();
  const read = async () => {
    let fh;
    try {
      fh = await open(path, 'r');
      for (;;) {
        const buf = Buffer.alloc(65536);
        const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
        if (bytesRead <= 0) break;
        offset += bytesRead;
        rest += buf.subarray(0, bytesRead).toString();
        let nl;
        while ((nl = rest.indexOf('\n')) >= 0) {
          const line = rest.slice(0, nl);
          rest = rest.slice(nl + 1);
          const m = /^(\S+) (stdout|stderr) ([FP])(?: ([\s\S]*))?$/.exec(line);
          if (m) onData(m[2] as 'stdout' | 'stderr', Buffer.from(m[3] === 'F' ? `${m[4] ?? ''}\n` : (m[4] ?? '')));
        }
      }
    } catch {
    } finally {
      await fh?.close();
    }
  };
  const kick = () => {
    if (!stopped) reading = reading.then(read);
  };
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(path, kick);
  } catch {}
  const timer = setInterval(kick, 200);
  return {
    async stop() {
      stopped = true;
      watcher?.close();
      clearInterval(timer);
      await reading;
      await read();
    },
  };
}
