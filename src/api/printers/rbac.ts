/**
 * Table printers of RoleBindings and ClusterRoleBindings: upstream's printRoleBinding and
 * printClusterRoleBinding (ROLE as `Kind/name`, AGE; with -o wide USERS, GROUPS, SERVICEACCOUNTS, as
 * rbac.SubjectsStrings lists them). Roles and ClusterRoles print with the default NAME and CREATED AT.
 */
import type { KubeObject, RoleBinding, Subject, TableColumnDefinition } from '../types.ts';

interface RbacPrinter {
  columns: TableColumnDefinition[];
  cells(obj: KubeObject, now: number, wide: boolean): unknown[];
}

type Col = (name: string, description: string, opts?: { priority?: number; format?: string }) => TableColumnDefinition;

/** rbac.SubjectsStrings: users, groups, service accounts (`namespace/name`), each joined with ", ". */
export function subjectsStrings(subjects: readonly Subject[] | undefined): [string, string, string] {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const s of subjects ?? []) {
    if (s.kind === 'User') users.push(s.name);
    else if (s.kind === 'Group') groups.push(s.name);
    else if (s.kind === 'ServiceAccount') sas.push(s.namespace ? `${s.namespace}/${s.name}` : s.name);
  }
  return [users.join(', '), groups.join(', '), sas.join(', ')];
}

export function rbacPrinters(col: Col, NAME: TableColumnDefinition, AGE: TableColumnDefinition,
  age: (obj: KubeObject, now: number) => string): Record<string, RbacPrinter> {
  const printer = (roleRefDoc: string): RbacPrinter => ({
    columns: [
      NAME,
      col('Role', roleRefDoc),
      AGE,
      col('Users', 'Users in the roleBinding', { priority: 1 }),
      col('Groups', 'Groups in the roleBinding', { priority: 1 }),
      col('ServiceAccounts', 'ServiceAccounts in the roleBinding', { priority: 1 }),
    ],
    cells(obj, now, wide) {
      const b = obj as unknown as RoleBinding;
      const row: unknown[] = [b.metadata?.name ?? '', `${b.roleRef?.kind ?? ''}/${b.roleRef?.name ?? ''}`, age(obj, now)];
      if (wide) row.push(...subjectsStrings(b.subjects));
      return row;
    },
  });
  return {
    'rbac.authorization.k8s.io/rolebindings': printer('RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable.'),
    'rbac.authorization.k8s.io/clusterrolebindings': printer('RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable.'),
  };
}
