/**
 * Build-time tool (not imported at runtime): derives the field schema that `unknownFields` uses
 * from kubernetes-models' TypeScript declarations, and writes it to schema.generated.ts.
 *
 *   node src/api/schema/generate.ts
 *
 * Each type is a map of field name → type reference: a scalar (`str`, `num`, `bool`, `ios` for
 * IntOrString, `qty` for Quantity), `*` (anything: RawExtension, JSON), a type name, `[]<ref>`
 * (list) or `{}<ref>` (map with string keys). Re-run it after upgrading kubernetes-models.
 */
import ts from 'typescript';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

const require = createRequire(import.meta.url);
const MODELS = dirname(require.resolve('kubernetes-models/package.json'));
const APIMACHINERY = dirname(require.resolve('@kubernetes-models/apimachinery/package.json'));

/** Kinds unknownFields knows, keyed `apiVersion/Kind`, with the declaration file and interface. */
const ROOTS: Record<string, [string, string]> = {
  'v1/Pod': ['v1/Pod.d.ts', 'IPod'],
  'v1/Node': ['v1/Node.d.ts', 'INode'],
  'v1/Namespace': ['v1/Namespace.d.ts', 'INamespace'],
  'v1/Event': ['v1/Event.d.ts', 'IEvent'],
  'v1/ConfigMap': ['v1/ConfigMap.d.ts', 'IConfigMap'],
  'v1/Secret': ['v1/Secret.d.ts', 'ISecret'],
  'v1/ServiceAccount': ['v1/ServiceAccount.d.ts', 'IServiceAccount'],
  'v1/Binding': ['v1/Binding.d.ts', 'IBinding'],
  'v1/Service': ['v1/Service.d.ts', 'IService'],
  'v1/Endpoints': ['v1/Endpoints.d.ts', 'IEndpoints'],
  'discovery.k8s.io/v1/EndpointSlice': ['discovery.k8s.io/v1/EndpointSlice.d.ts', 'IEndpointSlice'],
  'coordination.k8s.io/v1/Lease': ['coordination.k8s.io/v1/Lease.d.ts', 'ILease'],
  'events.k8s.io/v1/Event': ['events.k8s.io/v1/Event.d.ts', 'IEvent'],
  'apps/v1/ReplicaSet': ['apps/v1/ReplicaSet.d.ts', 'IReplicaSet'],
  'apps/v1/Deployment': ['apps/v1/Deployment.d.ts', 'IDeployment'],
  'batch/v1/Job': ['batch/v1/Job.d.ts', 'IJob'],
  'batch/v1/CronJob': ['batch/v1/CronJob.d.ts', 'ICronJob'],
  'apps/v1/StatefulSet': ['apps/v1/StatefulSet.d.ts', 'IStatefulSet'],
  'v1/PersistentVolume': ['v1/PersistentVolume.d.ts', 'IPersistentVolume'],
  'v1/PersistentVolumeClaim': ['v1/PersistentVolumeClaim.d.ts', 'IPersistentVolumeClaim'],
  'admissionregistration.k8s.io/v1/MutatingWebhookConfiguration': ['admissionregistration.k8s.io/v1/MutatingWebhookConfiguration.d.ts', 'IMutatingWebhookConfiguration'],
  'admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration': ['admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration.d.ts', 'IValidatingWebhookConfiguration'],
  'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy': ['admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy.d.ts', 'IValidatingAdmissionPolicy'],
  'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding': ['admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding.d.ts', 'IValidatingAdmissionPolicyBinding'],
  'storage.k8s.io/v1/StorageClass': ['storage.k8s.io/v1/StorageClass.d.ts', 'IStorageClass'],
  'scheduling.k8s.io/v1/PriorityClass': ['scheduling.k8s.io/v1/PriorityClass.d.ts', 'IPriorityClass'],
  'node.k8s.io/v1/RuntimeClass': ['node.k8s.io/v1/RuntimeClass.d.ts', 'IRuntimeClass'],
  'apps/v1/DaemonSet': ['apps/v1/DaemonSet.d.ts', 'IDaemonSet'],
  'apps/v1/ControllerRevision': ['apps/v1/ControllerRevision.d.ts', 'IControllerRevision'],
  'v1/ReplicationController': ['v1/ReplicationController.d.ts', 'IReplicationController'],
  'v1/ResourceQuota': ['v1/ResourceQuota.d.ts', 'IResourceQuota'],
  'v1/LimitRange': ['v1/LimitRange.d.ts', 'ILimitRange'],
  'policy/v1/Eviction': ['policy/v1/Eviction.d.ts', 'IEviction'],
  'autoscaling/v2/HorizontalPodAutoscaler': ['autoscaling/v2/HorizontalPodAutoscaler.d.ts', 'IHorizontalPodAutoscaler'],
  'autoscaling/v1/HorizontalPodAutoscaler': ['autoscaling/v1/HorizontalPodAutoscaler.d.ts', 'IHorizontalPodAutoscaler'],
  'policy/v1/PodDisruptionBudget': ['policy/v1/PodDisruptionBudget.d.ts', 'IPodDisruptionBudget'],
  'authentication.k8s.io/v1/TokenRequest': ['authentication.k8s.io/v1/TokenRequest.d.ts', 'ITokenRequest'],
  'authentication.k8s.io/v1/TokenReview': ['authentication.k8s.io/v1/TokenReview.d.ts', 'ITokenReview'],
  'certificates.k8s.io/v1/CertificateSigningRequest': ['certificates.k8s.io/v1/CertificateSigningRequest.d.ts', 'ICertificateSigningRequest'],
  'rbac.authorization.k8s.io/v1/Role': ['rbac.authorization.k8s.io/v1/Role.d.ts', 'IRole'],
  'rbac.authorization.k8s.io/v1/ClusterRole': ['rbac.authorization.k8s.io/v1/ClusterRole.d.ts', 'IClusterRole'],
  'rbac.authorization.k8s.io/v1/RoleBinding': ['rbac.authorization.k8s.io/v1/RoleBinding.d.ts', 'IRoleBinding'],
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ['rbac.authorization.k8s.io/v1/ClusterRoleBinding.d.ts', 'IClusterRoleBinding'],
  'apiextensions.k8s.io/v1/CustomResourceDefinition': ['apiextensions.k8s.io/v1/CustomResourceDefinition.d.ts', 'ICustomResourceDefinition'],
};

const files = Object.values(ROOTS).map(([f]) => join(MODELS, f));
const program = ts.createProgram(files, { strict: true, skipLibCheck: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext });
const checker = program.getTypeChecker();
const types: Record<string, Record<string, string>> = {};

function typeName(t: ts.Type): string {
  const decl = t.getSymbol()?.declarations?.[0];
  const file = decl?.getSourceFile().fileName ?? 'anon';
  const base = file.startsWith(APIMACHINERY) ? `meta:${relative(APIMACHINERY, file)}` : relative(MODELS, file);
  const name = base.replace(/\.d\.ts$/, '').replace(/\//g, '.');
  // An inline type literal (StatefulSetSpec's volumeClaimTemplates items) shares its file with the type around
  // it: name it by its place in that file so the two do not merge.
  return t.getSymbol()?.getName() === '__type' && decl ? `${name}@${decl.pos}` : name;
}

function scalar(t: ts.Type): string | undefined {
  if (t.flags & ts.TypeFlags.StringLike) return 'str';
  if (t.flags & ts.TypeFlags.NumberLike) return 'num';
  if (t.flags & ts.TypeFlags.BooleanLike) return 'bool';
  return undefined;
}

function ref(t: ts.Type): string {
  const alias = t.aliasSymbol?.getName() ?? '';
  const nn = checker.getNonNullableType(t);
  if (nn.isUnion()) {
    const parts = nn.types.filter((x) => !(x.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)));
    const kinds = new Set(parts.map(scalar));
    if (!kinds.has(undefined)) {
      if (kinds.size === 1) return [...kinds][0]!;
      if (kinds.has('bool') && kinds.size === 1) return 'bool';
      if (/Quantity/.test(alias)) return 'qty';
      if (kinds.size === 2 && kinds.has('str') && kinds.has('num')) return 'ios';
      return '*';
    }
    if (parts.length === 1) return ref(parts[0]!);
    return '*';
  }
  const sc = scalar(nn);
  if (sc) return sc;
  if (nn.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return '*';
  if (checker.isArrayType(nn)) return `[]${ref(checker.getTypeArguments(nn as ts.TypeReference)[0]!)}`;
  const props = checker.getPropertiesOfType(nn);
  const index = checker.getIndexInfoOfType(nn, ts.IndexKind.String);
  if (props.length === 0) return index ? `{}${ref(index.type)}` : '*';
  const name = typeName(nn);
  if (name.endsWith('RawExtension') || name.endsWith('JSON') || name.endsWith('FieldsV1')) return '*';
  if (!types[name]) {
    const fields: Record<string, string> = {};
    types[name] = fields;
    for (const p of props) {
      const decl = p.valueDeclaration ?? p.declarations?.[0];
      let r = decl ? ref(checker.getTypeOfSymbolAtLocation(p, decl)) : '*';
      // Optional properties lose their alias; the declared type text still names Quantity.
      const text = decl && ts.isPropertySignature(decl) ? decl.type?.getText() ?? '' : '';
      if (r === 'ios' && /Quantity/.test(text)) r = 'qty';
      fields[p.getName()] = r;
    }
  }
  return name;
}

const roots: Record<string, string> = {};
for (const [key, [file, iface]] of Object.entries(ROOTS)) {
  const sf = program.getSourceFile(join(MODELS, file));
  if (!sf) throw new Error(`missing ${file}`);
  const sym = checker.getSymbolAtLocation(sf);
  const exp = checker.getExportsOfModule(sym!).find((s) => s.getName() === iface);
  if (!exp) throw new Error(`missing ${iface} in ${file}`);
  roots[key] = ref(checker.getDeclaredTypeOfSymbol(exp));
}

const sorted = Object.fromEntries(Object.entries(types).sort(([a], [b]) => (a < b ? -1 : 1)));
const out = `/**
 * GENERATED by src/api/schema/generate.ts from kubernetes-models' declarations; do not edit.
 * Field schema for unknownFields (fieldValidation=Strict): type → field → reference
 * (\`s\` scalar, \`*\` anything, a type name, \`[]ref\` list, \`{}ref\` string-keyed map).
 */
export const SCHEMA_ROOTS: Readonly<Record<string, string>> = ${JSON.stringify(roots, null, 2)};

export const SCHEMA_TYPES: Readonly<Record<string, Readonly<Record<string, string>>>> = ${JSON.stringify(sorted)};
`;
writeFileSync(new URL('./schema.generated.ts', import.meta.url), out);
console.log(`wrote ${Object.keys(sorted).length} types for ${Object.keys(roots).length} kinds`);
