/**
 * The progress line `kubeling image pull` keeps on a terminal while it downloads: the reference, a bar, bytes
 * so far against the image's size, and the layers landed, e.g.
 *
 *   Pulling docker.io/library/nginx:1.27  [#########...........]  12.3MB/27.1MB  1/3 layers
 *
 * redrawn in place (carriage return, erase to the end of the line) at most every `intervalMs`, and ended by
 * a newline so the command's own output starts on a line of its own. Off a terminal nothing is drawn.
 */
import type { PullProgress } from '../runtime.ts';
import { humanSize } from './human-size.ts';

const BAR = 20;

/** One progress line (no terminal control characters). */
export function renderPullProgress(ref: string, p: PullProgress): string {
  const parts = [`Pulling ${ref}`];
  if (p.total > 0) {
    const filled = Math.min(BAR, Math.floor((p.downloaded / p.total) * BAR));
    parts.push(`[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}]`, `${humanSize(p.downloaded)}/${humanSize(p.total)}`);
  } else {
    parts.push(humanSize(p.downloaded));
  }
  if (p.layers !== undefined) parts.push(`${p.layersDone ?? 0}/${p.layers} layer${p.layers === 1 ? '' : 's'}`);
  return parts.join('  ');
}

export interface ProgressTerminal {
  write(text: string): unknown;
  columns?: number;
}

/** Draws progress lines on a terminal; `update` is cheap to call on every chunk, `done` ends the line. */
export class PullProgressLine {
  readonly #tty: ProgressTerminal;
  readonly #ref: string;
  readonly #intervalMs: number;
  readonly #now: () => number;
  #last: PullProgress | undefined;
  #drawnAt = -Infinity;
  #drawn = false;

  constructor(tty: ProgressTerminal, ref: string, options: { intervalMs?: number; now?: () => number } = {}) {
    this.#tty = tty;
    this.#ref = ref;
    this.#intervalMs = options.intervalMs ?? 100;
    this.#now = options.now ?? Date.now;
  }

  update(p: PullProgress): void {
    this.#last = p;
    const now = this.#now();
    // Every chunk reports; the terminal gets one redraw per interval, and always the last layer's.
    if (now - this.#drawnAt < this.#intervalMs && p.layersDone !== p.layers) return;
    this.#drawnAt = now;
    this.#draw(p);
  }

  /** The final state, then a newline (nothing if nothing was ever drawn: an image already present). */
  done(): void {
    if (!this.#drawn) return;
    if (this.#last) this.#draw(this.#last);
    this.#tty.write('\n');
  }

  #draw(p: PullProgress): void {
    let line = renderPullProgress(this.#ref, p);
    const width = this.#tty.columns;
    if (width && line.length >= width) line = line.slice(0, width - 1);
    this.#tty.write(`\r${line}\x1b[K`);
    this.#drawn = true;
  }
}
