/**
 * Authorization, as apiserver's `authorizer.Authorizer`: every request, once authenticated, becomes a set of
 * attributes (who, which verb, on what) and an ordered chain of authorizers decides. The first one with an
 * opinion wins (Node, then RBAC, as `--authorization-mode=Node,RBAC`); when none has one, the request is
 * forbidden. `forbiddenMessage` writes the 403 text exactly as upstream does.
 */
import type { User } from '../auth/tokens.ts';

export interface Attributes {
  user: User;
  /**
   * For resource requests: get, list, watch, create, update, patch, delete, deletecollection (and the
   * special verbs impersonate, bind, escalate, use, approve, sign); for non-resource requests the lower-case
   * HTTP method (get, post, put, patch, delete, head).
   */
  verb: string;
  resourceRequest: boolean;
  namespace: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  name: string;
  /** The request path (non-resource requests are decided on it). */
  path: string;
}

export type Decision = 'Allow' | 'Deny' | 'NoOpinion';

export interface AuthorizationResult {
  decision: Decision;
  /** Why, when there is something to say (appended to the 403 message). */
  reason: string;
}

/** A rule as the rules reviews report it: resource rules (verbs, apiGroups, resources, resourceNames) or URL rules. */
export interface Rule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** What a user may do in a namespace, as far as an authorizer can enumerate it (authorizer.RuleResolver). */
export interface ResolvedRules {
  rules: Rule[];
  /** Why the list may be incomplete (a binding to a missing role, an authorizer that cannot enumerate). */
  errors: string[];
}

export interface Authorizer {
  authorize(a: Attributes): AuthorizationResult | Promise<AuthorizationResult>;
  /** The rules behind the decisions, for SelfSubjectRulesReview (`kubectl auth can-i --list`); optional. */
  rulesFor?(user: User, namespace: string): ResolvedRules;
}

/** Every request allowed (`--authorization-mode=AlwaysAllow`, and unit tests of other parts). */
export const alwaysAllow: Authorizer = {
  authorize: () => ({ decision: 'Allow', reason: '' }),
  rulesFor: () => ({ rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }], errors: [] }),
};

/** Asks each authorizer in turn; the first Allow or Deny decides, and NoOpinion from all of them denies. */
export class AuthorizerChain implements Authorizer {
  readonly #authorizers: Authorizer[];

  constructor(authorizers: Authorizer[]) {
    this.#authorizers = authorizers;
  }

  async authorize(a: Attributes): Promise<AuthorizationResult> {
    const reasons: string[] = [];
    for (const authorizer of this.#authorizers) {
      const r = await authorizer.authorize(a);
      if (r.decision !== 'NoOpinion') return r;
      if (r.reason) reasons.push(r.reason);
    }
    return { decision: 'NoOpinion', reason: reasons.join(', ') };
  }

  /** Every member's rules together (the union rule resolver). */
  rulesFor(user: User, namespace: string): ResolvedRules {
    const out: ResolvedRules = { rules: [], errors: [] };
    for (const a of this.#authorizers) {
      const r = a.rulesFor?.(user, namespace);
      if (!r) continue;
      out.rules.push(...r.rules);
      out.errors.push(...r.errors);
    }
    return out;
  }
}

/** The 403 text upstream writes (responsewriters.forbiddenMessage), with the authorizer's reason after it. */
export function forbiddenMessage(a: Attributes, reason: string): string {
  let message: string;
  if (!a.resourceRequest) {
    message = `User ${JSON.stringify(a.user.name)} cannot ${a.verb} path ${JSON.stringify(a.path)}`;
  } else {
    const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    const scope = a.namespace ? `in the namespace ${JSON.stringify(a.namespace)}` : 'at the cluster scope';
    message = `User ${JSON.stringify(a.user.name)} cannot ${a.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(a.apiGroup)} ${scope}`;
  }
  return reason ? `${message}: ${reason}` : message;
}
