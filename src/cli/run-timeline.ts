/**
 * `kubeling run`'s view of each pod's life as it happens: it polls the kubelet's record of the pod (the
 * `/podTimeline` the kubelet serves, through the API server's nodes/proxy, as `why --timeline` reads it) and
 * prints every new step once, as
 *
 *   - two-containers +1.234s container app started (took 21ms)
 *
 * from the moment the pod is bound to a node until the kubelet records it gone (after the run's teardown).
 * Image pulls are the long steps: on a terminal a live line shows each running pull's bytes and layers (the
 * kubelet's record carries the bytes so far, updated on every chunk it downloads), erased when the pull ends;
 * off a terminal only the pull's end is printed, with its size, so piped output stays one line a step.
 */
import type { Pod, PodTimelineEntry, PodTimelineRecord } from '../api/index.ts';
import { describeEntry } from './why/kubelet-timeline.ts';
import { formatBytes, formatMs, formatTook } from './why/format.ts';

export interface RunTimelineConfig {
  /** The pod's kubelet record (undefined while the node cannot answer). */
  fetch: (pod: Pod, signal: AbortSignal) => Promise<PodTimelineRecord | undefined>;
  /** Prints one line. */
  print: (line: string) => void;
  /** Shows the live progress text (undefined: nothing running); given only on a terminal. */
  status?: (text: string | undefined) => void;
  /** How often each pod's record is read (default 250 ms). */
  intervalMs?: number;
  /** Stops following at once (no last read); `stop()` ends it after a last read. */
  signal?: AbortSignal;
}

interface Watched {
  pod: Pod;
  printed: Set<string>;
  gone: boolean;
  /** A record of the pod was read at least once. */
  read: boolean;
  /** Reads asked for, and the newest of them whose answer the live line shows. */
  asked: number;
  shown: number;
  pulls: string[];
  loop?: Promise<void>;
}

const keyOf = (e: PodTimelineEntry) => `${e.at}|${e.kind}|${e.container ?? ''}|${e.exitCode ?? ''}`;

/** One printed step: `- NAME +OFFSET STEP (took D): detail`. */
export function timelineLine(pod: Pod, e: PodTimelineEntry): string {
  const created = Date.parse(pod.metadata?.creationTimestamp ?? '');
  const offset = Number.isNaN(created) ? '' : ` +${formatMs(Math.max(0, e.at - created))}`;
  const { step, detail } = describeEntry(e);
  const took = e.durationMs !== undefined ? ` (took ${formatTook(e.durationMs)})` : '';
  return `  - ${pod.metadata?.name ?? ''}${offset} ${step}${took}${detail ? `: ${detail}` : ''}`;
}

/** The pulls still running in a record: ImagePulling steps with no ImagePulled or ImagePullFailed after them. */
export function runningPulls(record: PodTimelineRecord): PodTimelineEntry[] {
  const running = new Map<string, PodTimelineEntry>();
  for (const s of record.steps) {
    if (s.kind === 'ImagePulling') running.set(s.container ?? '', s);
    else if (s.kind === 'ImagePulled' || s.kind === 'ImagePullFailed') running.delete(s.container ?? '');
  }
  return [...running.values()];
}

const BAR = 20;

/** A running pull as one live line: `NAME pulling "busybox" [#####...............] 1.2MB/4.8MB 1/3 layers`. */
export function pullStatus(pod: Pod, e: PodTimelineEntry): string {
  const p = e.progress ?? { downloaded: 0, total: 0 };
  const parts = [`${pod.metadata?.name ?? ''} pulling ${JSON.stringify(e.image ?? '')}`];
  if (p.total > 0) {
    const filled = Math.min(BAR, Math.floor((p.downloaded / p.total) * BAR));
    parts.push(`[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}]`, `${formatBytes(p.downloaded)}/${formatBytes(p.total)}`);
  } else parts.push(formatBytes(p.downloaded));
  if (p.layers !== undefined) parts.push(`${p.layersDone ?? 0}/${p.layers} layer${p.layers === 1 ? '' : 's'}`);
  return parts.join(' ');
}

export class RunTimeline {
  readonly #c: RunTimelineConfig;
  readonly #intervalMs: number;
  readonly #pods = new Map<string, Watched>();
  readonly #stop = new AbortController();
  readonly #signal: AbortSignal;

  constructor(config: RunTimelineConfig) {
    this.#c = config;
    this.#intervalMs = config.intervalMs ?? 250;
    this.#signal = config.signal ? AbortSignal.any([config.signal, this.#stop.signal]) : this.#stop.signal;
  }

  /** Follows `pod` (from a watch): its newest object is kept, its record read once it is bound to a node. */
  observe(pod: Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    let w = this.#pods.get(uid);
    if (!w) this.#pods.set(uid, (w = { pod, printed: new Set(), gone: false, read: false, asked: 0, shown: 0, pulls: [] }));
    w.pod = pod;
    if (!w.loop && pod.spec?.nodeName && !this.#signal.aborted) w.loop = this.#follow(w);
  }

  /** Reads every followed pod's record once now (before a summary line, so the steps come first). */
  async catchUp(timeoutMs = 5000): Promise<void> {
    const signal = AbortSignal.timeout(timeoutMs);
    await Promise.allSettled([...this.#pods.values()].filter((w) => w.loop && !w.gone).map((w) => this.#poll(w, signal)));
  }

  /**
   * Stops following. Pods whose record was read are read on until it says they are gone, for at most
   * `graceMs` (the kubelet removes a finished pod's containers in its housekeeping, after the API delete), so
   * their last steps (stop, exit, gone) are printed.
   */
  async stop(graceMs = 5000): Promise<void> {
    this.#stop.abort();
    await Promise.allSettled([...this.#pods.values()].map((w) => w.loop));
    const last = AbortSignal.timeout(graceMs);
    const finish = async (w: Watched) => {
      while (!w.gone && !last.aborted) {
        await this.#poll(w, last);
        if (!w.gone) await new Promise((r) => setTimeout(r, this.#intervalMs));
      }
    };
    await Promise.allSettled([...this.#pods.values()].filter((w) => w.read && !w.gone).map(finish));
    this.#c.status?.(undefined);
  }

  async #follow(w: Watched): Promise<void> {
    let wait = this.#intervalMs;
    while (!this.#signal.aborted && !w.gone) {
      // A node that keeps no record (a simulated one) or does not answer is asked less and less often.
      wait = (await this.#poll(w, this.#signal)) ? this.#intervalMs : Math.min(wait * 2, 8 * this.#intervalMs);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        this.#signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    }
  }

  /** Reads the pod's record and prints what is new; false when there was none to read. */
  async #poll(w: Watched, signal: AbortSignal): Promise<boolean> {
    const asked = ++w.asked;
    const record = await this.#c.fetch(w.pod, signal).catch(() => undefined);
    if (!record) return false;
    w.read = true;
    // The live line first: a pull that just ended is erased before its end's line prints. An answer older
    // than one already shown (catchUp's read beside the loop's) does not bring back a pull that ended.
    if (asked > w.shown) {
      w.shown = asked;
      w.pulls = runningPulls(record).map((e) => pullStatus(w.pod, e));
      this.#drawStatus();
    }
    for (const e of record.steps) {
      const key = keyOf(e);
      if (w.printed.has(key)) continue;
      // A running pull is the live line's (on a terminal) or waits for its end (off one).
      if (e.kind === 'ImagePulling') continue;
      w.printed.add(key);
      this.#c.print(timelineLine(w.pod, e));
      if (e.kind === 'PodGone') w.gone = true;
    }
    return true;
  }

  #drawStatus(): void {
    if (!this.#c.status) return;
    const lines = [...this.#pods.values()].flatMap((w) => w.pulls);
    this.#c.status(lines.length ? lines.join('  |  ') : undefined);
  }
}

/**
 * stdout for `kubeling run` with one live status line at the bottom on a terminal: lines print above it, and
 * it is redrawn (`\r`, erase to the end of the line) after each. Off a terminal `status` does nothing.
 */
export class LiveOutput {
  readonly #stream: { write(text: string): unknown; columns?: number };
  readonly #tty: boolean;
  #status: string | undefined;

  constructor(stream: { write(text: string): unknown; columns?: number; isTTY?: boolean }) {
    this.#stream = stream;
    this.#tty = stream.isTTY === true;
  }

  get isTerminal(): boolean {
    return this.#tty;
  }

  line(text: string): void {
    if (this.#status !== undefined) this.#stream.write('\r\x1b[K');
    this.#stream.write(`${text}\n`);
    if (this.#status !== undefined) this.#stream.write(this.#status);
  }

  status(text: string | undefined): void {
    if (!this.#tty) return;
    const width = this.#stream.columns;
    const shown = text !== undefined && width && text.length >= width ? text.slice(0, width - 1) : text;
    if (shown === this.#status) return;
    this.#stream.write(shown === undefined ? '\r\x1b[K' : `\r${shown}\x1b[K`);
    this.#status = shown;
  }
}
