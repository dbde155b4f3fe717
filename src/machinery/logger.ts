/**
 * Structured logs on pino, one child logger per component (`{"component":"kubelet",...}`), written to
 * stderr so a command's stdout stays for its output (the server's `ready` line, kubectl-like tables).
 * The level comes from KUBELING_LOG (trace|debug|info|warn|error|fatal|silent), default `info`; under
 * `node --test` with KUBELING_LOG unset it is `silent`, so test output shows only test results.
 */
import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

let root: PinoLogger | undefined;

/** The level a new root logger gets from the environment. */
export function logLevelFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KUBELING_LOG) return env.KUBELING_LOG;
  return env.NODE_TEST_CONTEXT ? 'silent' : 'info';
}

/** A logger for one component; every line carries `component`. */
export function createLogger(component: string): Logger {
  // Created lazily so the environment is read when the first component starts, not at import.
  root ??= pino({ level: logLevelFromEnv() }, pino.destination({ dest: 2, sync: true }));
  return root.child({ component });
}
