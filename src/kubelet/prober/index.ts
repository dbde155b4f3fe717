/** Probes: workers per (pod, container, kind), handlers, results. */
export { ProbeManager, type ProbeKind, type ProbeManagerConfig } from './prober-manager.ts';
export { runProbe, type ProbeOutcome, type ProbeResult, type ProbeTarget } from './probe.ts';
