/**
 * The admission chain: plugins that see every write after defaulting and may change it (`admit`, the mutating
 * phase) or refuse it (`validate`, the validating phase), in the order they are listed. Each plugin is one file
 * in this folder; adding one is a line in server.ts. Plugins throw an ApiError (from status.ts) to refuse.
 */
import type { KubeObject, ResourceInfo } from '../../api/index.ts';
import type { User } from '../auth/tokens.ts';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface AdmissionAttributes {
  operation: Operation;
  resource: ResourceInfo;
  subresource: string;
  namespace: string;
  name: string;
  /** The new object (CREATE, UPDATE); plugins in the mutating phase may change it in place. */
  object: KubeObject | undefined;
  /** The stored object (UPDATE, DELETE). */
  oldObject: KubeObject | undefined;
  dryRun: boolean;
  user: string;
  /** The request's `Warning` headers: plugins add text here (PodSecurity's warn mode). */
  warnings?: string[];
  /** The request's audit annotations, `<plugin prefix>/<key>` to value (PodSecurity's audit mode). */
  auditAnnotations?: Record<string, string>;
  /** The requesting user with its groups; absent for the server's own writes (its loops, the bootstrap). */
  userInfo?: User;
  /** The user's groups. */
  groups?: string[];
}

export interface AdmissionPlugin {
  readonly name: string;
  admit?(attrs: AdmissionAttributes): void | Promise<void>;
  validate?(attrs: AdmissionAttributes): void | Promise<void>;
}

/** Reads the objects plugins need (namespaces, service accounts) without going through admission again. */
export interface AdmissionLookup {
  get(resource: string, namespace: string, name: string): Promise<KubeObject | undefined>;
  /** Every object of a core resource in a namespace (PodSecurity's check of existing pods). */
  list?(resource: string, namespace: string): Promise<KubeObject[]>;
}

export class AdmissionChain {
  readonly #plugins: AdmissionPlugin[];

  constructor(plugins: AdmissionPlugin[] = []) {
    this.#plugins = plugins;
  }

  add(plugin: AdmissionPlugin): void {
    this.#plugins.push(plugin);
  }

  async admit(attrs: AdmissionAttributes): Promise<void> {
    for (const p of this.#plugins) if (p.admit) await p.admit(attrs);
  }

  async validate(attrs: AdmissionAttributes): Promise<void> {
    for (const p of this.#plugins) if (p.validate) await p.validate(attrs);
  }
}
