/** The kubelet's HTTPS API: container logs, exec, attach and port-forward for the API server's proxies. */
export { KubeletServer, logContainerId, type KubeletServerConfig, type KubeletServerHost } from './kubelet-server.ts';
export { selfSignedServingCert, type ServingCert } from './tls.ts';
export { channelProtocols, exitStatus, successStatus, failureStatus } from './remote-command.ts';
