/**
 * Table printers of the admissionregistration.k8s.io webhook configurations: upstream's
 * printMutatingWebhook / printValidatingWebhook columns NAME, WEBHOOKS (how many), AGE.
 */
import type { KubeObject, TableColumnDefinition } from '../types.ts';

interface Printer {
  columns: TableColumnDefinition[];
  cells(obj: KubeObject, now: number, wide: boolean): unknown[];
}

type Col = (name: string, description: string, opts?: { priority?: number; format?: string }) => TableColumnDefinition;

export function admissionPrinters(col: Col, NAME: TableColumnDefinition, AGE: TableColumnDefinition,
  age: (obj: KubeObject, now: number) => string): Record<string, Printer> {
  const webhooks: Printer = {
    columns: [NAME, col('Webhooks', 'Webhooks indicates the number of webhooks registered in this configuration'), AGE],
    cells: (obj, now) => [obj.metadata?.name ?? '', ((obj as { webhooks?: unknown[] }).webhooks ?? []).length, age(obj, now)],
  };
  return {
    'admissionregistration.k8s.io/mutatingwebhookconfigurations': webhooks,
    'admissionregistration.k8s.io/validatingwebhookconfigurations': webhooks,
  };
}
