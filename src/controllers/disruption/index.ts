/** The disruption controller: PodDisruptionBudget status (see disruption.ts and budget.ts). */
export { DisruptionController, type DisruptionControllerConfig } from './disruption.ts';
export { budgetStatus, expectedScale, DELETION_TIMEOUT_MS } from './budget.ts';
