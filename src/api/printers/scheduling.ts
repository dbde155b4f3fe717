/**
 * Table printer of PriorityClasses: upstream's printPriorityClass columns (NAME VALUE GLOBAL-DEFAULT AGE
 * PREEMPTIONPOLICY), so `kubectl get pc` reads as against Kubernetes; and of RuntimeClasses (NAME HANDLER AGE).
 */
import type { KubeObject, PriorityClass, RuntimeClass, TableColumnDefinition } from '../types.ts';

export interface SchedulingPrinter {
  columns: TableColumnDefinition[];
  cells(obj: KubeObject, now: number, wide: boolean): unknown[];
}

type Col = (name: string, description: string, opts?: { type?: string; priority?: number; format?: string }) => TableColumnDefinition;

export function schedulingPrinters(col: Col, NAME: TableColumnDefinition, AGE: TableColumnDefinition,
  age: (obj: KubeObject, now: number) => string): Record<string, SchedulingPrinter> {
  const pc: SchedulingPrinter = {
    columns: [
      NAME,
      col('Value', 'value represents the integer value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec.', { type: 'integer' }),
      col('Global-Default', 'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class. Only one PriorityClass can be marked as `globalDefault`. However, if more than one PriorityClasses exists with their `globalDefault` field set to true, the smallest value of such global default PriorityClasses will be used as the default priority.', { type: 'boolean' }),
      AGE,
      col('PreemptionPolicy', 'preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset.'),
    ],
    cells(obj, now) {
      const p = obj as unknown as PriorityClass;
      return [p.metadata?.name ?? '', p.value ?? 0, p.globalDefault ?? false, age(obj, now), p.preemptionPolicy ?? ''];
    },
  };
  // upstream printRuntimeClass
  const rc: SchedulingPrinter = {
    columns: [
      NAME,
      col('Handler', 'handler specifies the underlying runtime and configuration that the CRI implementation will use to handle pods of this class.'),
      AGE,
    ],
    cells(obj, now) {
      const r = obj as unknown as RuntimeClass;
      return [r.metadata?.name ?? '', r.handler ?? '', age(obj, now)];
    },
  };
  return { 'scheduling.k8s.io/priorityclasses': pc, 'node.k8s.io/runtimeclasses': rc };
}
