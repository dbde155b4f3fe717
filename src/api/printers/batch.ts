/**
 * Table printers of Jobs and CronJobs: the columns and cell text of upstream's printJob and printCronJob
 * (pkg/printers/internalversion/printers.go), so `kubectl get jobs,cronjobs [-o wide]` reads as against
 * Kubernetes 1.32.
 */
import type { CronJob, Job, KubeObject, LabelSelector, TableColumnDefinition } from '../types.ts';
import { humanDuration, translateTimestampSince } from './duration.ts';
import type { ServicePrinter as Printer } from './service.ts';

type Col = (name: string, description: string, opts?: { type?: string; priority?: number; format?: string }) => TableColumnDefinition;

const hasCondition = (job: Job, type: string) => job.status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;

/** The STATUS column (upstream's order of checks). */
export function jobStatusText(job: Job): string {
  if (hasCondition(job, 'Complete')) return 'Complete';
  if (hasCondition(job, 'Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (hasCondition(job, 'Suspended')) return 'Suspended';
  if (hasCondition(job, 'FailureTarget')) return 'FailureTarget';
  if (hasCondition(job, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

export function jobCompletionsText(job: Job): string {
  const succeeded = job.status?.succeeded ?? 0;
  if (job.spec?.completions !== undefined) return `${succeeded}/${job.spec.completions}`;
  const parallelism = job.spec?.parallelism ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDurationText(job: Job, now: number): string {
  const start = job.status?.startTime;
  if (!start) return '';
  const end = job.status?.completionTime ? Date.parse(job.status.completionTime) : now;
  return humanDuration(end - Date.parse(start));
}

function templateCells(containers: { name: string; image?: string }[] | undefined): [string, string] {
  const cs = containers ?? [];
  return [cs.map((c) => c.name).join(','), cs.map((c) => c.image ?? '').join(',')];
}

export function batchPrinters(
  col: Col, NAME: TableColumnDefinition, AGE: TableColumnDefinition, age: (obj: KubeObject, now: number) => string,
  selectorText: (sel: LabelSelector | undefined) => string,
): Record<string, Printer> {
  const job: Printer = {
    columns: [
      NAME,
      col('Status', 'Status of the job.'),
      col('Completions', 'The number of pods which reached phase Succeeded. The value increases monotonically for a given spec. However, it may decrease in reaction to scale down of elastic indexed jobs.'),
      col('Duration', 'Time required to complete the job.'),
      AGE,
      col('Containers', 'Names of each container in the template.', { priority: 1 }),
      col('Images', 'Images referenced by each container in the template.', { priority: 1 }),
      col('Selector', 'A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors', { priority: 1 }),
    ],
    cells(obj, now, wide) {
      const j = obj as unknown as Job;
      const cells: unknown[] = [j.metadata?.name ?? '', jobStatusText(j), jobCompletionsText(j), jobDurationText(j, now), age(obj, now)];
      if (wide) cells.push(...templateCells(j.spec?.template?.spec?.containers), selectorText(j.spec?.selector));
      return cells;
    },
  };
  const cronJob: Printer = {
    columns: [
      NAME,
      col('Schedule', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
      col('Timezone', 'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not specified, this will default to the time zone of the kube-controller-manager process. The set of valid time zone names and the time zone offset is loaded from the system-wide time zone database by the API server during CronJob validation and the controller manager during execution. If no system-wide time zone database can be found a bundled version of the database is used instead. If the time zone name becomes invalid during the lifetime of a CronJob or due to a change in host configuration, the controller will stop creating new new Jobs and will create a system event with the reason UnknownTimeZone. More information can be found in https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones'),
      col('Suspend', 'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.  Defaults to false.', { type: 'boolean' }),
      col('Active', 'A list of pointers to currently running jobs.', { type: 'integer' }),
      col('Last Schedule', 'Information when was the last time the job was successfully scheduled.'),
      AGE,
      col('Containers', 'Names of each container in the template.', { priority: 1 }),
      col('Images', 'Images referenced by each container in the template.', { priority: 1 }),
      col('Selector', 'A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors', { priority: 1 }),
    ],
    cells(obj, now, wide) {
      const c = obj as unknown as CronJob;
      const suspend = c.spec?.suspend === undefined ? '<unset>' : c.spec.suspend ? 'True' : 'False';
      const last = c.status?.lastScheduleTime ? translateTimestampSince(c.status.lastScheduleTime, now) : '<none>';
      const cells: unknown[] = [c.metadata?.name ?? '', c.spec?.schedule ?? '', c.spec?.timeZone ?? '<none>', suspend, c.status?.active?.length ?? 0, last, age(obj, now)];
      if (wide) cells.push(...templateCells(c.spec?.jobTemplate?.spec?.template?.spec?.containers), selectorText(c.spec?.jobTemplate?.spec?.selector));
      return cells;
    },
  };
  return { 'batch/jobs': job, 'batch/cronjobs': cronJob };
}
