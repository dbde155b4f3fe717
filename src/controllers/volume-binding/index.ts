/** The PersistentVolume binder: claims bound to existing volumes, volumes released or deleted when their claim goes. */
export { VolumeBindingController, volumeMatches, BIND_COMPLETED_ANNOTATION, SELECTED_NODE_ANNOTATION, PROVISIONED_BY_ANNOTATION, STORAGE_PROVISIONER_ANNOTATION, type VolumeBindingControllerConfig } from './volume-binding.ts';
