/**
 * NamespaceLifecycle: no new objects in a namespace that does not exist or is being terminated, and the
 * system namespaces (default, kube-system, kube-public) cannot be deleted. Runs first, in the mutating phase,
 * so nothing else works on a request that is refused anyway (as in the real apiserver).
 */
import type { AdmissionAttributes, AdmissionLookup, AdmissionPlugin } from './chain.ts';
import { forbidden, notFound, ApiError } from '../status.ts';

const IMMORTAL = new Set(['default', 'kube-system', 'kube-public']);

export class NamespaceLifecycle implements AdmissionPlugin {
  readonly name = 'NamespaceLifecycle';
  readonly #lookup: AdmissionLookup;

  constructor(lookup: AdmissionLookup) {
    this.#lookup = lookup;
  }

  async admit(a: AdmissionAttributes): Promise<void> {
    if (a.resource.plural === 'namespaces' && a.resource.group === '') {
      if (a.operation === 'DELETE' && IMMORTAL.has(a.name)) {
        throw forbidden({ group: '', resource: 'namespaces' }, a.name, 'this namespace may not be deleted');
      }
      return;
    }
    if (a.operation !== 'CREATE' || !a.resource.namespaced || !a.namespace) return;
    const ns = await this.#lookup.get('namespaces', '', a.namespace);
    if (!ns) throw notFound({ group: '', resource: 'namespaces' }, a.namespace);
    // Events about a terminating namespace's objects still get in (the real plugin exempts them too).
    if ((ns.status as { phase?: string } | undefined)?.phase === 'Terminating' && !(a.resource.plural === 'events')) {
      const err = forbidden(
        { group: a.resource.group, resource: a.resource.plural },
        a.name,
        `unable to create new content in namespace ${a.namespace} because it is being terminated`,
      );
      throw new ApiError(err.code, err.reason, err.message, {
        ...err.details,
        causes: [{ reason: 'NamespaceTerminating', message: `namespace ${a.namespace} is being terminated`, field: 'metadata.namespace' }],
      });
    }
  }

  validate(a: AdmissionAttributes): void {
    // Deletion is checked here because DELETE has no mutating phase.
    if (a.operation === 'DELETE' && a.resource.plural === 'namespaces' && a.resource.group === '' && IMMORTAL.has(a.name)) {
      throw forbidden({ group: '', resource: 'namespaces' }, a.name, 'this namespace may not be deleted');
    }
  }
}
