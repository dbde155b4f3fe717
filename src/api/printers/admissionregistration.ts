/**
 * Table printers of the admissionregistration.k8s.io webhook configurations: upstream's
 * printMutatingWebhook / printValidatingWebhook columns NAME, WEBHOOKS (how many), AGE; ValidatingAdmissionPolicy NAME,
 * VALIDATIONS, PARAMKIND, AGE; its binding NAME, POLICYNAME, PARAMREF, AGE.
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
    'admissionregistration.k8s.io/validatingadmissionpolicies': {
      columns: [NAME, col('Validations', 'Validations indicates the number of validation rules defined in this configuration'),
        col('ParamKind', 'ParamKind specifies the kind of resources used to parameterize this policy'), AGE],
      cells: (obj, now) => {
        const spec = (obj as { spec?: { validations?: unknown[]; paramKind?: { apiVersion?: string; kind?: string } } }).spec;
        const pk = spec?.paramKind;
        return [obj.metadata?.name ?? '', (spec?.validations ?? []).length, pk ? `${pk.apiVersion ?? ''}/${pk.kind ?? ''}` : '<unset>', age(obj, now)];
      },
    },
    'admissionregistration.k8s.io/validatingadmissionpolicybindings': {
      columns: [NAME, col('PolicyName', 'PolicyName indicates the policy definition which the policy binding binded to'),
        col('ParamRef', 'ParamRef indicates the param resource which sets the configration param'), AGE],
      cells: (obj, now) => {
        const spec = (obj as { spec?: { policyName?: string; paramRef?: { namespace?: string; name?: string } } }).spec;
        const pr = spec?.paramRef;
        return [obj.metadata?.name ?? '', spec?.policyName ?? '', pr ? (pr.namespace ? `${pr.namespace}/${pr.name ?? '*'}` : (pr.name ?? '*')) : '<unset>', age(obj, now)];
      },
    },
  };
}
