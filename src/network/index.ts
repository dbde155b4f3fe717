/**
 * The pod network between hosts (flannel's job): per-node routes to the other nodes' podCIDRs, directly
 * (`host-gw`) or through a VXLAN overlay (`vxlan`), and masquerade of pods' traffic leaving the cluster CIDR.
 * Planning is pure (peers.ts, plan.ts, masquerade.ts, node-ip.ts); pod-network.ts reads the cluster and the
 * kernel and applies the plan through an injected exec. Reaches the cluster only through `client`.
 */
export { PodNetwork, type PodNetworkConfig, type NetExec } from './pod-network.ts';
export { BACKENDS, PUBLIC_IP_ANNOTATION, BACKEND_TYPE_ANNOTATION, BACKEND_DATA_ANNOTATION, peersOf, networkAddress, nodeAnnotations, type Backend, type Peer } from './peers.ts';
export { planRoutes, ROUTE_PROTO, VXLAN_DEVICE, VXLAN_MTU, type Command, type ActualState } from './plan.ts';
export { masqueradeRules, masqueradeTable } from './masquerade.ts';
export { chooseNodeIp, detectNodeIp, type IpExec } from './node-ip.ts';
export { NET_CONF, netConfData, parseNetConf, type NetConf } from './net-conf.ts';
