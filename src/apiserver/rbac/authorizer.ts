/**
 * The RBAC authorizer (upstream's RBACAuthorizer over its DefaultRuleResolver): a request is allowed when a
 * rule of a role bound to the user allows it, through a ClusterRoleBinding anywhere or a RoleBinding in the
 * request's namespace. It has no deny: anything else is NoOpinion, with the resolution errors (a binding to a
 * missing role) as the reason, so the next authorizer or the chain's default decides.
 *
 * It reads the four RBAC resources from the API server's watch caches, never the store: on a request it
 * checks their revisions and, only when one moved, rebuilds an index of bindings by subject (user, group,
 * service account user name) and of roles by name. Everything else is a few map lookups.
 */
import type { ClusterRole, ClusterRoleBinding, KubeObject, PolicyRule, Role, RoleBinding, Subject } from '../../api/index.ts';
import type { User } from '../auth/tokens.ts';
import type { Attributes, AuthorizationResult, Authorizer } from '../authz/authorizer.ts';
import { ruleAllows } from './rules.ts';

/** What a watch cache offers: its revision (cheap, asked on every request) and its objects (on a change). */
export interface CacheView {
  revision(): number;
  items(): KubeObject[];
}

export interface RbacSources {
  roles: CacheView;
  clusterRoles: CacheView;
  roleBindings: CacheView;
  clusterRoleBindings: CacheView;
}

/** Rules and errors of one namespace (or the cluster) answering to the rule resolver interface. */
export interface RuleResolver {
  /** The rules a user holds in a namespace ('' = cluster-wide only), and why some could not be resolved. */
  rulesFor(user: User, namespace: string): { rules: PolicyRule[]; errors: string[] };
  /** The rules of the role a binding in `namespace` refers to; undefined with an error text when missing. */
  roleRefRules(ref: { kind: string; name: string }, namespace: string): PolicyRule[] | string;
}

interface IndexedBinding {
  kind: 'ClusterRoleBinding' | 'RoleBinding';
  name: string;
  namespace: string;
  roleRef: { kind: string; name: string };
}

/** A binding as found for one of its subjects (the allow reason names both). */
interface Match {
  binding: IndexedBinding;
  subject: Subject;
}

/** Upstream's describeSubject: `User "bob"`, `ServiceAccount "name/namespace"`. */
function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount') return `${s.kind} ${JSON.stringify(`${s.name}/${s.namespace || bindingNamespace}`)}`;
  return `${s.kind} ${JSON.stringify(s.name)}`;
}

/** The binding describers' text: `ClusterRoleBinding "x" of ClusterRole "y" to Group "z"`. */
function describeMatch(m: Match): string {
  const b = m.binding;
  const name = b.kind === 'RoleBinding' ? `${b.namespace}/${b.name}` : b.name;
  return `${b.kind} ${JSON.stringify(name)} of ${b.roleRef.kind} ${JSON.stringify(b.roleRef.name)} to ${describeSubject(m.subject, b.namespace)}`;
}

/** serviceaccount.MakeUsername. */
export function serviceAccountUser(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

class SubjectIndex {
  readonly users = new Map<string, Match[]>();
  readonly groups = new Map<string, Match[]>();

  add(binding: IndexedBinding, subjects: readonly Subject[] | undefined): void {
    for (const subject of subjects ?? []) {
      if (subject.kind === 'User') push(this.users, subject.name, { binding, subject });
      else if (subject.kind === 'Group') push(this.groups, subject.name, { binding, subject });
      else if (subject.kind === 'ServiceAccount') {
        // A RoleBinding's service account without a namespace is in the binding's namespace.
        const ns = subject.namespace || binding.namespace;
        if (ns) push(this.users, serviceAccountUser(ns, subject.name), { binding, subject });
      }
    }
  }

  /** The bindings that apply to the user, each once (with the first subject that matched). */
  find(user: User): Match[] {
    const seen = new Set<IndexedBinding>();
    const out: Match[] = [];
    const add = (ms: Match[] | undefined) => {
      for (const m of ms ?? []) {
        if (seen.has(m.binding)) continue;
        seen.add(m.binding);
        out.push(m);
      }
    };
    add(this.users.get(user.name));
    for (const g of user.groups) add(this.groups.get(g));
    return out;
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

interface Index {
  revisions: string;
  clusterRoles: Map<string, PolicyRule[]>;
  /** namespace → name → rules */
  roles: Map<string, Map<string, PolicyRule[]>>;
  cluster: SubjectIndex;
  /** namespace → bindings there */
  namespaced: Map<string, SubjectIndex>;
}

/** Decisions kept at most; the cache starts over beyond. */
const MAX_DECISIONS = 10_000;

/** Everything an RBAC decision reads of a request: the user's name and groups, and what the rules match. */
function decisionKey(a: Attributes): string {
  const target = a.resourceRequest ? `${a.namespace}\u0000${a.apiGroup}\u0000${a.resource}\u0000${a.subresource}\u0000${a.name}` : a.path;
  return `${a.user.name}\u0000${a.user.groups.join('\u0001')}\u0000${a.verb}\u0000${a.resourceRequest ? 'r' : 'n'}\u0000${target}`;
}

export class RbacAuthorizer implements Authorizer, RuleResolver {
  readonly #sources: RbacSources;
  #index: Index | undefined;

  constructor(sources: RbacSources) {
    this.#sources = sources;
  }

  authorize(a: Attributes): AuthorizationResult {
    // Every request asks, mostly the same few questions: answers are kept until RBAC's objects change.
    const index = this.#current();
    if (this.#decisionsOf !== index || this.#decisions.size >= MAX_DECISIONS) {
      this.#decisions.clear();
      this.#decisionsOf = index;
    }
    const key = decisionKey(a);
    let result = this.#decisions.get(key);
    if (!result) {
      const errors: string[] = [];
      const allowedBy = this.#visit(a.user, a.namespace, errors, (rule) => ruleAllows(a, rule));
      result = allowedBy
        ? { decision: 'Allow', reason: `RBAC: allowed by ${describeMatch(allowedBy)}` }
        : { decision: 'NoOpinion', reason: errors.length ? `RBAC: ${aggregate(errors)}` : '' };
      this.#decisions.set(key, result);
    }
    return { ...result };
  }

  #decisions = new Map<string, AuthorizationResult>();
  #decisionsOf: Index | undefined;

  rulesFor(user: User, namespace: string): { rules: PolicyRule[]; errors: string[] } {
    const rules: PolicyRule[] = [];
    const errors: string[] = [];
    this.#visit(user, namespace, errors, (rule) => {
      rules.push(rule);
      return false;
    });
    return { rules, errors };
  }

  roleRefRules(ref: { kind: string; name: string }, namespace: string): PolicyRule[] | string {
    const index = this.#current();
    if (ref.kind === 'ClusterRole') return index.clusterRoles.get(ref.name) ?? `clusterrole.rbac.authorization.k8s.io ${JSON.stringify(ref.name)} not found`;
    if (ref.kind === 'Role') return index.roles.get(namespace)?.get(ref.name) ?? `role.rbac.authorization.k8s.io ${JSON.stringify(ref.name)} not found`;
    return `unsupported role reference kind: ${JSON.stringify(ref.kind)}`;
  }

  /** Calls `visit` with each rule the user holds until it returns true; then returns the binding that granted it. */
  #visit(user: User, namespace: string, errors: string[], visit: (rule: PolicyRule) => boolean): Match | undefined {
    const index = this.#current();
    const matches = index.cluster.find(user);
    if (namespace) matches.push(...(index.namespaced.get(namespace)?.find(user) ?? []));
    for (const m of matches) {
      const rules = this.roleRefRules(m.binding.roleRef, m.binding.namespace);
      if (typeof rules === 'string') {
        errors.push(rules);
        continue;
      }
      for (const rule of rules) if (visit(rule)) return m;
    }
    return undefined;
  }

  #current(): Index {
    const views = [this.#sources.roles, this.#sources.clusterRoles, this.#sources.roleBindings, this.#sources.clusterRoleBindings];
    const revisions = views.map((v) => v.revision()).join(',');
    if (this.#index?.revisions === revisions) return this.#index;
    const [roles, clusterRoles, roleBindings, clusterRoleBindings] = views.map((v) => v.items());
    const index: Index = { revisions, clusterRoles: new Map(), roles: new Map(), cluster: new SubjectIndex(), namespaced: new Map() };
    for (const r of clusterRoles as unknown as ClusterRole[]) index.clusterRoles.set(r.metadata?.name ?? '', r.rules ?? []);
    for (const r of roles as unknown as Role[]) {
      const ns = r.metadata?.namespace ?? '';
      let m = index.roles.get(ns);
      if (!m) index.roles.set(ns, (m = new Map()));
      m.set(r.metadata?.name ?? '', r.rules ?? []);
    }
    for (const b of clusterRoleBindings as unknown as ClusterRoleBinding[]) {
      index.cluster.add({ kind: 'ClusterRoleBinding', name: b.metadata?.name ?? '', namespace: '', roleRef: b.roleRef }, b.subjects);
    }
    for (const b of roleBindings as unknown as RoleBinding[]) {
      const ns = b.metadata?.namespace ?? '';
      let s = index.namespaced.get(ns);
      if (!s) index.namespaced.set(ns, (s = new SubjectIndex()));
      s.add({ kind: 'RoleBinding', name: b.metadata?.name ?? '', namespace: ns, roleRef: b.roleRef }, b.subjects);
    }
    this.#index = index;
    return index;
  }
}

/** utilerrors.NewAggregate's text: one error as is, several in brackets. */
function aggregate(errors: string[]): string {
  const unique = [...new Set(errors)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(', ')}]`;
}
