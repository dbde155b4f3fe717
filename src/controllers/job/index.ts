export { JobController, isJobFinished, podIndex, JOB_INDEX_FAILURE_COUNT_ANNOTATION, type JobControllerConfig } from './job-controller.ts';
