/**
 * Jobs and CronJobs (upstream's registry/batch strategies): a status subresource, generation tracking, and for
 * a Job the generated selector and pod labels (`generateJobSelector`) once the Job has its uid.
 */
import { generateJobSelector, type Job, type ResourceInfo } from '../../api/index.ts';
import { baseStrategy } from './base.ts';
import type { Strategy } from './strategy.ts';

export function jobStrategy(info: ResourceInfo): Strategy {
  const base = baseStrategy(info, { hasStatusSubresource: true, tracksGeneration: true });
  return {
    ...base,
    prepareForCreate(obj) {
      base.prepareForCreate(obj);
      generateJobSelector(obj as unknown as Job);
    },
  };
}

export function cronJobStrategy(info: ResourceInfo): Strategy {
  return baseStrategy(info, { hasStatusSubresource: true, tracksGeneration: true });
}
