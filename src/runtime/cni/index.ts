/** Pod networking for the oci backend: CNI plugin invocation and pinned network namespaces. */
export { CniNetwork, CniError, type CniConfig, type CniAttachment, type CniPortMapping, type CniResult } from './cni.ts';
export { createNetns, deleteNetns, netnsPath, NETNS_DIR } from './netns.ts';
export { execFile, CommandError, type Exec, type ExecOptions, type ExecResult } from './exec.ts';
export { ensureBridge, gatewayForPodCidr } from './bridge.ts';
