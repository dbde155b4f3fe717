/**
 * The CRI container log format that conmon writes and the kubelet reads:
 *
 *   2026-11-21T14:30:00.123456789Z stdout F a whole line
 *   2026-11-21T14:30:00.123456789Z stderr P a partial line (no newline yet)
 *
 * One entry per line of the file; `F` (full) entries end a line, `P` (partial) entries are fragments of a
 * longer line whose end comes in a later entry.
 */

export interface LogEntry {
  /** The timestamp text as written (RFC 3339 with nanoseconds). */
  timestamp: string;
  /** Milliseconds since the epoch, for since filters. */
  time: number;
  stream: 'stdout' | 'stderr';
  partial: boolean;
  /** The content; a full entry's content ends with "\n", a partial one's does not. */
  content: Buffer;
}

/** Parses one line of a CRI log file (without its trailing newline). Returns undefined for a malformed line. */
export function parseCriLine(line: Buffer): LogEntry | undefined {
  const s1 = line.indexOf(0x20);
  if (s1 < 0) return undefined;
  const s2 = line.indexOf(0x20, s1 + 1);
  if (s2 < 0) return undefined;
  const timestamp = line.subarray(0, s1).toString('latin1');
  const stream = line.subarray(s1 + 1, s2).toString('latin1');
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  let tag = 'F';
  let rest = s2 + 1;
  const s3 = line.indexOf(0x20, rest);
  // Tags are colon-separated flags; the first is P or F. Older writers omitted the tag.
  const maybeTag = line.subarray(rest, s3 < 0 ? line.length : s3).toString('latin1');
  if (/^[PF](:.*)?$/.test(maybeTag)) {
    tag = maybeTag[0]!;
    rest = s3 < 0 ? line.length : s3 + 1;
  }
  const time = Date.parse(timestamp);
  if (Number.isNaN(time)) return undefined;
  const body = line.subarray(rest);
  const partial = tag === 'P';
  return {
    timestamp,
    time,
    stream,
    partial,
    content: partial ? Buffer.from(body) : Buffer.concat([body, Buffer.from('\n')]),
  };
}

/**
 * The timestamp as the kubelet prints it for `--timestamps`: Go's RFC3339Nano in UTC (`Z`, trailing zeros of
 * the fraction dropped), whatever offset the writer used (conmon writes `+00:00`).
 */
export function formatTimestamp(text: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!m) return text;
  const frac = (m[2] ?? '').slice(0, 9).replace(/0+$/, '');
  let base = m[1]!;
  if (m[3] !== 'Z' && m[3] !== '+00:00' && m[3] !== '-00:00') {
    base = new Date(`${m[1]}${m[3]}`).toISOString().slice(0, 19);
  }
  return `${base}${frac ? `.${frac}` : ''}Z`;
}

/** Formats an entry as a CRI log line (for tests and for writers of our own). */
export function formatCriLine(e: {
  timestamp: string;
  stream: 'stdout' | 'stderr';
  partial?: boolean;
  text: string;
}): string {
  return `${e.timestamp} ${e.stream} ${e.partial ? 'P' : 'F'} ${e.text}\n`;
}
