/**
 * Jobs and CronJobs (upstream's registry/batch strategies): a status subresource, generation tracking, and for
 * a Job the generated selector and pod labels (`generateJobSelector`) once the Job has its uid.
 */
import { isDeepStrictEqual } from 'node:util';
import { generateJobSelector, type Job, type ResourceInfo } from '../../api/index.ts';
import { baseStrategy } from './base.ts';
import type { Strategy } from './strategy.ts';

export function jobStrategy(info: ResourceInfo): Strategy {
  const base = baseStrategy(info, { hasStatusSubresource: true, tracksGeneration: true });
  return {
    ...base,
    // batch/v1 keeps the Job's pods when a DELETE names no policy (kubectl always names one).
    defaultGarbageCollectionPolicy: 'OrphanDependents',
    prepareForCreate(obj) {
      base.prepareForCreate(obj);
      const job = obj as unknown as Job;
      // Labels defaulted from the template (SetDefaults_Job) follow it: upstream re-defaults them when the Job is
      // read back from storage, after the generated labels went into the template.
      const defaulted = isDeepStrictEqual(job.metadata?.labels ?? {}, job.spec?.template?.metadata?.labels ?? {});
      generateJobSelector(job);
      if (defaulted && job.spec?.template?.metadata?.labels) job.metadata!.labels = { ...job.spec.template.metadata.labels };
    },
  };
}

export function cronJobStrategy(info: ResourceInfo): Strategy {
  return baseStrategy(info, { hasStatusSubresource: true, tracksGeneration: true });
}
