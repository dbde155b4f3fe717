/**
 * A resource's strategy: what differs between resources on the generic create/update/delete path
 * (apiserver's `rest.RESTCreateStrategy` / `RESTUpdateStrategy` / `RESTGracefulDeleteStrategy`). The generic
 * registry does the storage, preconditions and metadata; a strategy file (`pods.ts`, `nodes.ts`, ...) says how
 * its objects are prepared, validated and deleted. Adding a resource is one small strategy file.
 */
import type { KubeObject, ResourceInfo, DeleteOptions } from '../../api/index.ts';
import type { FieldCause } from '../status.ts';
import type { GarbageCollectionPolicy } from './gc-finalizers.ts';

export interface Strategy {
  readonly info: ResourceInfo;
  /** PUT of a missing object creates it (leases, events), instead of 404. */
  readonly allowCreateOnUpdate: boolean;
  /** The object has a status that only the `status` subresource writes. */
  readonly hasStatusSubresource: boolean;
  /** metadata.generation is set to 1 on create and bumped when anything outside metadata and status changes. */
  readonly tracksGeneration: boolean;
  /**
   * Normalizes a decoded object before admission, on every write (a custom resource is pruned to its schema and
   * defaulted here, as upstream does while decoding).
   */
  decode?(obj: KubeObject): void;
  /** Fields the object has that its schema does not declare (fieldValidation), when the generic check does not apply. */
  unknownFields?(obj: KubeObject): string[];
  /** Clears or sets fields on create (pods: status reset to Pending). Runs after defaulting and admission. */
  prepareForCreate(obj: KubeObject): void;
  /** Main-resource update: e.g. carry the old status over. */
  prepareForUpdate(obj: KubeObject, old: KubeObject): void;
  /** Status update: everything but status comes from `old`. */
  prepareForStatusUpdate(obj: KubeObject, old: KubeObject): void;
  /** Another subresource's update (a CSR's `approval`): keep from `old` what that subresource does not own. */
  prepareForSubresourceUpdate?(subresource: string, obj: KubeObject, old: KubeObject): void;
  validateSubresourceUpdate?(subresource: string, obj: KubeObject, old: KubeObject): FieldCause[];
  validate(obj: KubeObject): FieldCause[];
  validateUpdate(obj: KubeObject, old: KubeObject): FieldCause[];
  validateStatusUpdate(obj: KubeObject, old: KubeObject): FieldCause[];
  /**
   * The grace period a DELETE gets: 0 deletes at once; more marks the object with deletionTimestamp and
   * deletionGracePeriodSeconds and leaves it for its owner (the kubelet) to finish.
   */
  gracePeriodSeconds(obj: KubeObject, options: DeleteOptions): number;
  /**
   * True while something must finish before the object may go (metadata.finalizers; a namespace's
   * spec.finalizers). A DELETE then only marks the object, and the write that clears the last one removes it.
   */
  finalizing(obj: KubeObject): boolean;
  /**
   * What a DELETE that names no propagation policy does to dependents: upstream's
   * DefaultGarbageCollectionPolicy (OrphanDependents for core/v1 ReplicationControllers and batch/v1 Jobs, kept
   * for compatibility; DeleteDependents, in the background, when unset).
   */
  readonly defaultGarbageCollectionPolicy?: GarbageCollectionPolicy;
  /** Changes a DELETE makes to an object it only marks (a namespace's phase becomes Terminating). */
  markDeleting(obj: KubeObject): void;
  /**
   * Work a create needs beside the object (a Service's cluster IP and node ports), after validation and
   * before the write, as upstream's BeginCreate hook. It may change `obj` (fill in what it took). The returned
   * function is told whether the write landed, so what was taken for a failed write is given back.
   */
  beginCreate?(obj: KubeObject, dryRun: boolean): Promise<FinishFunc>;
  /** The same for a main-resource update (not status or other subresources); called again on each retry. */
  beginUpdate?(obj: KubeObject, old: KubeObject, dryRun: boolean): Promise<FinishFunc>;
  /** After the object left the store: give back what it held. Failures are the caller's to log. */
  afterDelete?(obj: KubeObject): Promise<void>;
  /**
   * Set when this version is not the one objects are stored in (autoscaling/v1 HPAs are stored as v2): the
   * registry converts what it writes with `toStorage` and what it reads with `fromStorage`, so both versions
   * share the same keys and either one sees the other's writes.
   */
  readonly conversion?: StorageConversion;
}

export interface StorageConversion {
  /** apiVersion of the stored form. */
  readonly storageVersion: string;
  toStorage(obj: KubeObject): KubeObject;
  fromStorage(obj: KubeObject): KubeObject;
}

/** Upstream's FinishFunc: called once, with whether the store write succeeded. */
export type FinishFunc = (success: boolean) => Promise<void>;
