/**
 * Table printers of ResourceQuotas and LimitRanges (upstream's printResourceQuota and printLimitRange):
 * `kubectl get quota` shows `used/hard` per resource, the `limits.*` ones in their own column.
 */
import type { KubeObject, ResourceQuota, TableColumnDefinition } from '../types.ts';
import { tryParseQuantity } from '../quantity.ts';

export interface QuotaPrinter {
  columns: TableColumnDefinition[];
  cells(obj: KubeObject, now: number, wide: boolean): unknown[];
}

type Col = (name: string, description: string, opts?: { type?: string; priority?: number; format?: string }) => TableColumnDefinition;

function quantityText(v: string | number | undefined): string {
  return tryParseQuantity(v ?? '0')?.toString() ?? String(v);
}

export function quotaPrinters(col: Col, NAME: TableColumnDefinition, AGE: TableColumnDefinition,
  age: (obj: KubeObject, now: number) => string, createdDescription: string): Record<string, QuotaPrinter> {
  const quota: QuotaPrinter = {
    columns: [
      NAME, AGE,
      col('Request', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
      col('Limit', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'),
    ],
    cells(obj, now) {
      const rq = obj as unknown as ResourceQuota;
      const hard = rq.status?.hard ?? {};
      const used = rq.status?.used ?? {};
      const request: string[] = [];
      const limit: string[] = [];
      for (const name of Object.keys(hard).sort()) {
        const pieces = name.split('.');
        (pieces.length > 1 && pieces[0] === 'limits' ? limit : request).push(`${name}: ${quantityText(used[name])}/${quantityText(hard[name])}`);
      }
      return [rq.metadata?.name ?? '', age(obj, now), request.join(', '), limit.join(', ')];
    },
  };
  const limitRange: QuotaPrinter = {
    columns: [NAME, col('Created At', createdDescription, { type: 'date' })],
    cells: (obj) => [obj.metadata?.name ?? '', obj.metadata?.creationTimestamp ?? ''],
  };
  return { '/resourcequotas': quota, '/limitranges': limitRange };
}
