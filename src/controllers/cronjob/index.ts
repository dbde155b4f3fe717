export { CronJobController, CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION, rfc3339In, type CronJobControllerConfig } from './cronjob-controller.ts';
export { jobNameFor, mostRecentScheduleTime, nextScheduleDelayMs, type MostRecentSchedule } from './schedule.ts';
