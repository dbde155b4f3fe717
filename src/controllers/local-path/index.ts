/** The local-path provisioner (one per node) and k3s's default `local-path` StorageClass. */
export { LocalPathProvisioner, localPathStorageClass, provisionedVolume, volumeDirName, LOCAL_PATH_PROVISIONER, LOCAL_PATH_CLASS, LOCAL_PATH_NODE_ANNOTATION, type LocalPathProvisionerConfig } from './provisioner.ts';
