/**
 * Structured logs on pino, one child logger per component (`{"component":"kubelet",...}`), written to
 * stderr so a command's stdout stays for its output (the server's `ready` line, kubectl-like tables).
 * The level comes from KUBELING_LOG (trace|debug|info|warn|error|fatal|silent), default `info`; under
 * `node --test` with KUBELING_LOG unset it is `silent`, so test output shows only test results.
 * The format is JSON unless a command calls configureLogging first (`--log-format text`: log-text.ts).
 */
import { writeSync } from 'node:fs';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { textDestination, type LogFormat } from './log-text.ts';

export type Logger = PinoLogger;

let root: PinoLogger | undefined;
let format: LogFormat = 'json';
let destination: DestinationStream | undefined;

/**
 * Sets the format (and, for tests, where lines go) of every logger created afterwards. Commands call it
 * once, before their first createLogger; loggers made before keep the old settings.
 */
export function configureLogging(opts: { format: LogFormat; write?: (line: string) => void }): void {
  format = opts.format;
  destination = opts.write ? (format === 'text' ? textDestination(opts.write) : { write: (s: string) => (opts.write!(s), true) }) : undefined;
  root = undefined;
}

/** The level a new root logger gets from the environment. */
export function logLevelFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KUBELING_LOG) return env.KUBELING_LOG;
  return env.NODE_TEST_CONTEXT ? 'silent' : 'info';
}

/** A logger for one component; every line carries `component`. */
export function createLogger(component: string): Logger {
  // Created lazily so the environment is read when the first component starts, not at import.
  root ??= pino(
    { level: logLevelFromEnv() },
    destination ?? (format === 'text' ? textDestination((line) => writeSync(2, line)) : pino.destination({ dest: 2, sync: true })),
  );
  return root.child({ component });
}
