/**
 * The audit log for `kubeling server`, from kube-apiserver's flags: `--audit-policy-file` (read and checked
 * once at start; a bad file stops the server with upstream's message) and `--audit-log-path` with its
 * rotation flags. As upstream, both are needed for anything to be logged. The caller stops the log after
 * the API server, so the last requests' events are written.
 */
import { readFile } from 'node:fs/promises';
import { Auditor, AuditLogFile, parsePolicy } from '../apiserver/index.ts';
import type { Logger } from '../machinery/index.ts';
import type { AuditOptions } from './flags.ts';

export interface AuditSetup {
  auditor: Auditor;
  log: AuditLogFile;
}

/** The auditor and its log, or undefined when auditing is off; throws an Error with the line to print. */
export async function openAudit(options: AuditOptions | undefined, logger: Logger): Promise<AuditSetup | undefined> {
  if (!options?.policyFile || !options.logPath) return undefined;
  let text: string;
  try {
    text = await readFile(options.policyFile, 'utf8');
  } catch (err) {
    throw new Error(`failed to read file path ${JSON.stringify(options.policyFile)}: ${(err as Error).message}`, { cause: err });
  }
  const policy = parsePolicy(text, options.policyFile);
  const log = new AuditLogFile({
    path: options.logPath,
    maxAgeDays: options.maxAge,
    maxBackups: options.maxBackup,
    maxSizeMB: options.maxSize,
    onError: (message, err) => logger.error({ err: err === undefined ? undefined : String(err) }, message),
  });
  logger.info({ path: options.logPath, rules: policy.rules.length }, 'audit log enabled');
  return { auditor: new Auditor({ policy, sink: log }), log };
}
