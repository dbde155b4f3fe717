/**
 * RBAC's escalation and bind checks, as upstream's policy-based role and binding storage does them (here as a
 * validating admission plugin, which sees the object after defaulting on create, update and patch):
 *
 * - writing a Role or ClusterRole whose rules the user does not hold (in that namespace, or cluster-wide) is
 *   Forbidden, listing the rules not held, unless the user may `escalate` on it; an aggregationRule needs
 *   full authority (`*` on everything) since it can gather anything;
 * - writing a binding needs `bind` on the role it refers to, or every rule of that role.
 *
 * Members of system:masters pass (upstream's EscalationAllowed), and so do the server's own writes (no user).
 */
import type { ClusterRole, ClusterRoleBinding, PolicyRule, RoleBinding } from '../../api/index.ts';
import { deepEqual } from '../../api/index.ts';
import type { AdmissionAttributes, AdmissionPlugin } from '../admission/chain.ts';
import type { User } from '../auth/tokens.ts';
import type { Authorizer } from '../authz/authorizer.ts';
import { forbidden, notFound } from '../status.ts';
import type { RuleResolver } from './authorizer.ts';
import { compactRules, compactString, covers, goQuoteList } from './covers.ts';

const RBAC = 'rbac.authorization.k8s.io';
const FULL_AUTHORITY: PolicyRule[] = [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }];

/**
 * ConfirmNoEscalation: undefined when the user's rules in `namespace` cover `rules`, else the message upstream
 * writes (`user "x" (groups=[...]) is attempting to grant RBAC permissions not currently held:` and the rules).
 */
export function escalationMessage(resolver: RuleResolver, user: User, namespace: string, rules: readonly PolicyRule[]): string | undefined {
  const owner = resolver.rulesFor(user, namespace);
  const result = covers(owner.rules, rules);
  if (result.covered) return undefined;
  const missing = [...new Set(compactRules(result.missing).map(compactString))].sort();
  let msg = `user ${JSON.stringify(user.name)} (groups=${goQuoteList(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${missing.join('\n')}`;
  if (owner.errors.length) msg += `; resolution errors: [${owner.errors.join(' ')}]`;
  return msg;
}

export interface RbacEscalationConfig {
  resolver: RuleResolver;
  /** The server's authorizer chain (for the escalate and bind verbs). */
  authorizer: () => Authorizer;
}

export class RbacEscalation implements AdmissionPlugin {
  readonly name = 'RBACEscalation';
  readonly #c: RbacEscalationConfig;

  constructor(config: RbacEscalationConfig) {
    this.#c = config;
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.resource.group !== RBAC || a.subresource || !a.object || !a.userInfo) return;
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return;
    const user = a.userInfo;
    if (user.groups.includes('system:masters')) return;
    const plural = a.resource.plural;
    if (plural === 'roles' || plural === 'clusterroles') return this.#checkRole(a, user, plural);
    if (plural === 'rolebindings' || plural === 'clusterrolebindings') return this.#checkBinding(a, user);
  }

  async #allowed(user: User, verb: string, resource: string, namespace: string, name: string): Promise<boolean> {
    const r = await this.#c.authorizer().authorize({
      user, verb, resourceRequest: true, namespace, apiGroup: RBAC, apiVersion: 'v1', resource, subresource: '', name, path: '',
    });
    return r.decision === 'Allow';
  }

  async #checkRole(a: AdmissionAttributes, user: User, plural: 'roles' | 'clusterroles'): Promise<void> {
    const role = a.object as unknown as ClusterRole;
    const old = a.oldObject as unknown as ClusterRole | undefined;
    if (old && deepEqual(role.rules ?? [], old.rules ?? []) && deepEqual(role.aggregationRule, old.aggregationRule)) return;
    if (await this.#allowed(user, 'escalate', plural, a.namespace, a.name)) return;
    const resource = { group: RBAC, resource: plural };
    // An aggregated role's rules are the controller's to write; the rule is what grants.
    const aggregates = plural === 'clusterroles' && role.aggregationRule;
    const msg = escalationMessage(this.#c.resolver, user, a.namespace, aggregates ? [] : role.rules ?? []);
    if (msg) throw forbidden(resource, a.name, msg);
    if (aggregates && !(old && deepEqual(role.aggregationRule, old.aggregationRule)) && escalationMessage(this.#c.resolver, user, a.namespace, FULL_AUTHORITY)) {
      throw forbidden(resource, a.name, 'must have cluster-admin privileges to use the aggregationRule');
    }
  }

  async #checkBinding(a: AdmissionAttributes, user: User): Promise<void> {
    const binding = a.object as unknown as RoleBinding | ClusterRoleBinding;
    const ref = binding.roleRef;
    const refResource = ref.kind === 'Role' ? 'roles' : 'clusterroles';
    if (await this.#allowed(user, 'bind', refResource, a.namespace, ref.name)) return;
    const rules = this.#c.resolver.roleRefRules(ref, a.namespace);
    if (typeof rules === 'string') throw notFound({ group: RBAC, resource: refResource }, ref.name);
    const msg = escalationMessage(this.#c.resolver, user, a.namespace, rules);
    if (msg) throw forbidden({ group: RBAC, resource: a.resource.plural }, a.name, msg);
  }
}

