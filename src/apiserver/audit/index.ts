/** The audit log's public surface: the policy, the per-request auditor, the event and the file backend. */
export { parsePolicy, levelFor, PolicyError, LEVELS, STAGES, type Level, type Stage, type Policy, type PolicyRule, type RequestAuditConfig } from './policy.ts';
export { Auditor, RequestAudit, beginAudit, auditIdOf, type AuditorConfig } from './auditor.ts';
export { buildEvent, microTime, type AuditEvent } from './event.ts';
export { AuditLogFile, backupName, listBackups, type AuditSink, type AuditLogFileConfig } from './log-file.ts';
