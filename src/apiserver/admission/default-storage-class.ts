/**
 * DefaultStorageClass, as upstream's admission plugin: a new PersistentVolumeClaim that names no class
 * (`spec.storageClassName` absent; an empty string means "no class" and is left alone) gets the default
 * StorageClass, the one annotated `storageclass.kubernetes.io/is-default-class: "true"`. With several
 * defaults the newest wins (then the name), as upstream since 1.26; with none the claim is left classless.
 */
import type { KubeObject, PersistentVolumeClaim, StorageClass } from '../../api/index.ts';
import type { AdmissionAttributes, AdmissionPlugin } from './chain.ts';

export const IS_DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
/** The beta annotation upstream still honours. */
const BETA_IS_DEFAULT_CLASS_ANNOTATION = 'storageclass.beta.kubernetes.io/is-default-class';

export function isDefaultClass(sc: StorageClass): boolean {
  const a = sc.metadata?.annotations ?? {};
  return a[IS_DEFAULT_CLASS_ANNOTATION] === 'true' || a[BETA_IS_DEFAULT_CLASS_ANNOTATION] === 'true';
}

/** The default class among `classes`, or undefined. */
export function defaultClass(classes: StorageClass[]): StorageClass | undefined {
  const defaults = classes.filter((c) => isDefaultClass(c) && !c.metadata?.deletionTimestamp);
  defaults.sort((a, b) => {
    const ta = a.metadata?.creationTimestamp ?? '';
    const tb = b.metadata?.creationTimestamp ?? '';
    if (ta !== tb) return ta < tb ? 1 : -1;
    return (a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1;
  });
  return defaults[0];
}

export class DefaultStorageClass implements AdmissionPlugin {
  readonly name = 'DefaultStorageClass';
  readonly #classes: () => KubeObject[];

  /** `classes` lists the StorageClasses (the API server's watch cache). */
  constructor(classes: () => KubeObject[]) {
    this.#classes = classes;
  }

  admit(a: AdmissionAttributes): void {
    if (a.operation !== 'CREATE' || a.subresource || a.resource.plural !== 'persistentvolumeclaims' || a.resource.group !== '') return;
    const pvc = a.object as unknown as PersistentVolumeClaim;
    if (pvc.spec?.storageClassName !== undefined && pvc.spec.storageClassName !== null) return;
    const cls = defaultClass(this.#classes() as unknown as StorageClass[]);
    if (cls) (pvc.spec ??= {}).storageClassName = cls.metadata!.name!;
  }
}
