/**
 * `KUBELING_FORBIDDEN_LOG=FILE`: the e2e helpers append every line a stopped server or agent logged with
 * "forbidden" in it, to find the grants a component lacks under RBAC and the Node authorizer.
 */
import { appendFileSync } from 'node:fs';

export function recordForbiddenLines(stderr: string): void {
  const file = process.env.KUBELING_FORBIDDEN_LOG;
  if (!file) return;
  const lines = stderr.split('\n').filter((l) => /forbidden/i.test(l));
  if (lines.length) appendFileSync(file, lines.join('\n') + '\n');
}
