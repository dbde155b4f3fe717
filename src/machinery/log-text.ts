/**
 * The text form of a log line, for people at a terminal (`--log-format text`, the default on a TTY):
 * `TIME LEVEL component object: message key=value ...`, one line per event. It reads the JSON line pino
 * writes, so the fields are the same in both formats; the "object" is the first field naming what the
 * event is about (a pod, a node, a work-queue key, ...).
 */

export type LogFormat = 'text' | 'json';

/** The format a command uses when no flag says: text for a person at a terminal, JSON for a machine. */
export function defaultLogFormat(stderrIsTTY: boolean | undefined): LogFormat {
  return stderrIsTTY ? 'text' : 'json';
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** Fields that name the object an event is about, most specific first. */
const OBJECT_FIELDS = ['object', 'pod', 'node', 'container', 'service', 'deployment', 'replicaset', 'statefulset', 'daemonset', 'job', 'key'];

/** Fields every line has, shown in fixed places or not at all. */
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'component', 'msg']);

function value(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (v instanceof Object && 'message' in v && typeof v.message === 'string') return JSON.stringify(v.message);
  return JSON.stringify(v) ?? String(v);
}

/** One pino JSON line as text (without the newline); a line that is not JSON passes through as it is. */
export function formatLogLine(json: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.replace(/\n$/, '');
  }
  const time = typeof rec.time === 'number' ? new Date(rec.time).toISOString() : String(rec.time ?? '');
  const level = (LEVELS[rec.level as number] ?? String(rec.level)).padEnd(5);
  const parts = [time, level, String(rec.component ?? '-')];
  // `kind` + `name` (+ `namespace`) name an object too: `ClusterRole/admin`, `Pod/default/web`.
  const named = typeof rec.kind === 'string' && typeof rec.name === 'string';
  const objectField = named ? undefined : OBJECT_FIELDS.find((f) => rec[f] !== undefined && rec[f] !== null && rec[f] !== '');
  const head = named
    ? `${String(rec.kind)}/${typeof rec.namespace === 'string' && rec.namespace ? `${rec.namespace}/` : ''}${String(rec.name)}`
    : objectField
      ? `${objectField === 'key' || objectField === 'object' ? '' : `${objectField}/`}${String(rec[objectField])}`
      : undefined;
  const used = new Set(named ? ['kind', 'name', 'namespace'] : objectField ? [objectField] : []);
  const rest = Object.entries(rec)
    .filter(([k]) => !HIDDEN.has(k) && !used.has(k))
    .map(([k, v]) => `${k}=${value(v)}`);
  const msg = String(rec.msg ?? '');
  return `${parts.join(' ')}${head ? ` ${head}:` : ''} ${msg}${rest.length ? ` ${rest.join(' ')}` : ''}`;
}

/** A pino destination that writes each line as text to `write` (stderr's fd in the commands). */
export function textDestination(write: (line: string) => void): { write(json: string): boolean } {
  return {
    write(json: string): boolean {
      for (const line of json.split('\n')) if (line !== '') write(`${formatLogLine(line)}\n`);
      return true;
    },
  };
}
