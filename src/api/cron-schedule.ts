/**
 * Cron schedules as a CronJob's `spec.schedule` means them (upstream parses with robfig/cron's standard
 * parser): five fields (minute hour day-of-month month day-of-week, day-of-month and day-of-week OR-ed as in
 * Vixie cron), the descriptors `@yearly`/`@annually`/`@monthly`/`@weekly`/`@daily`/`@midnight`/`@hourly`, and
 * `@every <duration>`. Matching is done by croner, in the CronJob's `spec.timeZone` (UTC when unset: the
 * controller manager runs in UTC). `TZ=`/`CRON_TZ=` prefixes are refused, as upstream's validation does.
 */
import { Cron } from 'croner';

export interface CronSchedule {
  /** The first run strictly after `afterMs` (ms since epoch), or undefined if there is none. */
  next(afterMs: number): number | undefined;
}

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *', '@annually': '0 0 1 1 *', '@monthly': '0 0 1 * *', '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *', '@midnight': '0 0 * * *', '@hourly': '0 * * * *',
};

/** Go's time.ParseDuration for what `@every` takes (h, m, s, ms; fractions allowed). */
function parseGoDuration(text: string): number | undefined {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, 'µs': 0.001, ns: 0.000001 };
  const re = /(\d+(?:\.\d*)?|\.\d+)(ms|us|µs|ns|h|m|s)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * units[m[2]!]!;
    pos = re.lastIndex;
  }
  return pos === text.length && text.length > 0 ? total : undefined;
}

export class CronScheduleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CronScheduleError';
  }
}

/** True when `tz` names a time zone of the IANA database (what Go's time.LoadLocation accepts, except Local). */
export function isValidTimeZone(tz: string): boolean {
  if (tz === '' || tz === 'Local') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** True when a schedule carries a `TZ=`/`CRON_TZ=` prefix (refused by validation, as upstream does). */
export function hasTimeZonePrefix(schedule: string): boolean {
  return /^\s*(CRON_)?TZ=/.test(schedule);
}

/** Parses a schedule; throws CronScheduleError with robfig/cron's messages where they matter. */
export function parseCronSchedule(schedule: string, timeZone?: string): CronSchedule {
  const spec = schedule.trim();
  if (spec === '') throw new CronScheduleError('empty spec string');
  if (timeZone !== undefined && !isValidTimeZone(timeZone)) throw new CronScheduleError(`unknown time zone ${timeZone}`);
  if (spec.startsWith('@every ')) {
    const ms = parseGoDuration(spec.slice('@every '.length).trim());
    if (ms === undefined) throw new CronScheduleError(`failed to parse duration ${spec}: time: invalid duration "${spec.slice(7).trim()}"`);
    // robfig's ConstantDelaySchedule: at least a second, whole seconds.
    const delay = Math.max(1000, ms - (ms % 1000));
    return { next: (after) => after - (after % 1000) + delay };
  }
  let pattern = spec;
  if (spec.startsWith('@')) {
    pattern = DESCRIPTORS[spec] ?? '';
    if (!pattern) throw new CronScheduleError(`unrecognized descriptor: ${spec}`);
  }
  const fields = pattern.split(/\s+/);
  if (fields.length !== 5) throw new CronScheduleError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  let cron: Cron;
  try {
    cron = new Cron(pattern, { paused: true, mode: '5-part', domAndDow: false, timezone: timeZone ?? 'UTC' });
  } catch (err) {
    throw new CronScheduleError((err as Error).message);
  }
  return {
    next: (after) => cron.nextRun(new Date(after))?.getTime(),
  };
}
