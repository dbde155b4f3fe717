export { TTLAfterFinishedController, jobExpiresAt, type TTLAfterFinishedControllerConfig } from './ttl-after-finished.ts';
