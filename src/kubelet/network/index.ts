/**
 * The kubelet's side of Services: each pod's resolv.conf settings (dns.ts) and its containers' service
 * environment variables (envvars.ts).
 */
export {
  DnsConfigurer,
  formPodDns,
  parseResolvConf,
  MAX_DNS_NAMESERVERS,
  MAX_DNS_SEARCH_LIST_CHARS,
  MAX_DNS_SEARCH_PATHS,
  type DnsConfigurerOptions,
  type DnsEvent,
  type DnsSettings,
} from './dns.ts';
export {
  ServiceEnvSource,
  fromServices,
  isServiceIPSet,
  serviceEnvVarMap,
  type ServiceEnvSourceOptions,
  type ServiceLister,
} from './envvars.ts';
