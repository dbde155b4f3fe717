/**
 * Validation of Services, Endpoints and EndpointSlices with Kubernetes 1.32's paths and messages
 * (pkg/apis/core/validation ValidateService, ValidateServiceUpdate, ValidateEndpoints, and
 * pkg/apis/discovery/validation). Runs after defaulting; a Service's clusterIPs, ipFamilies and nodePorts are
 * checked here for form only: whether an address or port is in range and free is the allocator's question.
 */
import type { EndpointSlice, Endpoints, Service, ServicePort } from '../types.ts';
import { GoLiteral, duplicate, forbidden, goStringSlice, invalid, notSupported, required, tooMany, type FieldError } from '../field-error.ts';
import { externallyAccessible } from '../service-defaults.ts';
import { INVALID_IP_MESSAGE, isDNS1123Label, isDNS1123Subdomain, isIPv4, isIPv6, isValidIP, isValidPortNum, nameIsDNS1035Label, nameIsDNSSubdomain } from './names.ts';
import { validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import { validatePortNumOrName } from './pod.ts';

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const AFFINITIES = ['ClientIP', 'None'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];
const IP_FAMILIES = ['IPv4', 'IPv6'];
const IP_FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
/** MaxClientIPServiceAffinitySeconds: one day. */
const MAX_AFFINITY_SECONDS = 86400;

export function isHeadlessService(svc: Service): boolean {
  return svc.spec?.clusterIP === 'None';
}

function validateServicePort(sp: ServicePort, requireName: boolean, names: Set<string>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (requireName && !sp.name) errs.push(required(`${path}.name`, ''));
  else if (sp.name) {
    for (const m of isDNS1123Label(sp.name)) errs.push(invalid(`${path}.name`, sp.name, m));
    if (names.has(sp.name)) errs.push(duplicate(`${path}.name`, sp.name));
    else names.add(sp.name);
  }
  for (const m of isValidPortNum(sp.port)) errs.push(invalid(`${path}.port`, sp.port, m));
  if (!sp.protocol) errs.push(required(`${path}.protocol`, ''));
  else if (!PROTOCOLS.includes(sp.protocol)) errs.push(notSupported(`${path}.protocol`, sp.protocol, PROTOCOLS));
  errs.push(...validatePortNumOrName(sp.targetPort, `${path}.targetPort`));
  return errs;
}

function validateClusterIPs(svc: Service): FieldError[] {
  const spec = svc.spec!;
  const errs: FieldError[] = [];
  // The strategy puts clusterIP into an empty clusterIPs before validation; a caller that did not is checked the same.
  const ips = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
  if (spec.type === 'ExternalName') {
    if (ips.length > 0 || spec.clusterIP) errs.push(forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    if (spec.ipFamilies?.length) errs.push(forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
    if (spec.ipFamilyPolicy !== undefined) errs.push(forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
    return errs;
  }
  if (spec.clusterIP && ips.length && ips[0] !== spec.clusterIP) {
    errs.push(invalid('spec.clusterIPs[0]', goStringSlice(ips), 'must match `clusterIP`'));
  }
  if (ips.length > 2) errs.push(invalid('spec.clusterIPs', goStringSlice(ips), 'may only hold up to 2 values'));
  ips.forEach((ip, i) => {
    if (ip === 'None') {
      if (i > 0 || ips.length > 1) errs.push(invalid(`spec.clusterIPs[${i}]`, goStringSlice(ips), "'None' must be the first and only value"));
    } else if (!isValidIP(ip)) {
      errs.push(invalid(`spec.clusterIPs[${i}]`, ip, INVALID_IP_MESSAGE));
    }
  });
  if (ips[0] === 'None' && (spec.type === 'NodePort' || spec.type === 'LoadBalancer')) {
    errs.push(invalid('spec.clusterIPs[0]', ips[0], `may not be set to 'None' for ${spec.type} services`));
  }
  if (spec.ipFamilyPolicy !== undefined && !IP_FAMILY_POLICIES.includes(spec.ipFamilyPolicy)) {
    errs.push(notSupported('spec.ipFamilyPolicy', spec.ipFamilyPolicy, IP_FAMILY_POLICIES));
  }
  const families = spec.ipFamilies ?? [];
  if (families.length > 2) errs.push(invalid('spec.ipFamilies', families, 'may only hold up to 2 values'));
  const seen = new Set<string>();
  families.forEach((f, i) => {
    if (!IP_FAMILIES.includes(f)) errs.push(notSupported(`spec.ipFamilies[${i}]`, f, IP_FAMILIES));
    else if (seen.has(f)) errs.push(duplicate(`spec.ipFamilies[${i}]`, f));
    seen.add(f);
  });
  if (spec.ipFamilyPolicy === 'SingleStack' && (ips.length > 1 || families.length > 1)) {
    errs.push(invalid('spec.ipFamilyPolicy', spec.ipFamilyPolicy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"));
  }
  ips.forEach((ip, i) => {
    const want = families[i];
    if (!want || ip === 'None' || !isValidIP(ip)) return;
    const family = isIPv4(ip) ? 'IPv4' : 'IPv6';
    if (family !== want) errs.push(invalid(`spec.ipFamilies[${i}]`, want, `does not match IP family of \`clusterIPs[${i}]\``));
  });
  return errs;
}

/** ValidateService: a new Service (after defaulting). */
export function validateService(svc: Service): FieldError[] {
  const errs = validateObjectMeta(svc.metadata, true, nameIsDNS1035Label);
  const spec = svc.spec ?? {};
  const type = spec.type ?? '';
  const ports = spec.ports ?? [];
  if (!type) errs.push(required('spec.type', ''));
  else if (!SERVICE_TYPES.includes(type)) errs.push(notSupported('spec.type', type, SERVICE_TYPES));
  if (type === 'ExternalName') {
    const cname = (spec.externalName ?? '').replace(/\.$/, '');
    if (cname) for (const m of isDNS1123Subdomain(cname)) errs.push(invalid('spec.externalName', cname, m));
    else errs.push(required('spec.externalName', ''));
  }
  if (ports.length === 0 && !isHeadlessService(svc) && type !== 'ExternalName') errs.push(required('spec.ports', ''));
  const names = new Set<string>();
  ports.forEach((p, i) => errs.push(...validateServicePort(p, ports.length > 1, names, `spec.ports[${i}]`)));
  errs.push(...validateLabels(spec.selector, 'spec.selector'));
  const affinity = spec.sessionAffinity ?? '';
  if (!affinity) errs.push(required('spec.sessionAffinity', ''));
  else if (!AFFINITIES.includes(affinity)) errs.push(notSupported('spec.sessionAffinity', affinity, AFFINITIES));
  if (affinity === 'ClientIP') {
    const t = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
    if (t === undefined) errs.push(required('spec.sessionAffinityConfig.clientIP.timeoutSeconds', ''));
    else if (t <= 0 || t > MAX_AFFINITY_SECONDS) {
      errs.push(invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', t, `must be greater than 0 and less than ${MAX_AFFINITY_SECONDS}`));
    }
  } else if (affinity === 'None' && spec.sessionAffinityConfig) {
    errs.push(invalid('spec.sessionAffinityConfig', spec.sessionAffinityConfig, 'must not be set when session affinity is None'));
  }
  errs.push(...validateClusterIPs(svc));
  (spec.externalIPs ?? []).forEach((ip, i) => {
    if (!isValidIP(ip)) errs.push(invalid(`spec.externalIPs[${i}]`, ip, INVALID_IP_MESSAGE));
  });
  if (type === 'ClusterIP') {
    ports.forEach((p, i) => {
      if (p.nodePort) errs.push(forbidden(`spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'"));
    });
  }
  if (type === 'LoadBalancer') {
    if (spec.allocateLoadBalancerNodePorts === undefined) errs.push(required('spec.allocateLoadBalancerNodePorts', ''));
  } else if (spec.allocateLoadBalancerNodePorts !== undefined) {
    errs.push(forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  }
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    if (!p.nodePort) return;
    for (const m of isValidPortNum(p.nodePort)) errs.push(invalid(`spec.ports[${i}].nodePort`, p.nodePort, m));
    const k = `${p.protocol}/${p.nodePort}`;
    if (nodePorts.has(k)) errs.push(duplicate(`spec.ports[${i}].nodePort`, p.nodePort));
    nodePorts.add(k);
  });
  const servicePorts = new Set<string>();
  ports.forEach((p, i) => {
    const k = `${p.protocol}/${p.port}`;
    if (servicePorts.has(k)) errs.push(duplicate(`spec.ports[${i}]`, new GoLiteral(`core.ServicePort{Name:"", Protocol:${JSON.stringify(p.protocol ?? '')}, AppProtocol:(*string)(nil), Port:${p.port}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`)));
    servicePorts.add(k);
  });
  if (!externallyAccessible(spec)) {
    if (spec.externalTrafficPolicy) {
      errs.push(invalid('spec.externalTrafficPolicy', spec.externalTrafficPolicy, 'may only be set for externally-accessible services'));
    }
  } else if (!spec.externalTrafficPolicy) {
    errs.push(required('spec.externalTrafficPolicy', ''));
  } else if (!TRAFFIC_POLICIES.includes(spec.externalTrafficPolicy)) {
    errs.push(notSupported('spec.externalTrafficPolicy', spec.externalTrafficPolicy, TRAFFIC_POLICIES));
  }
  if (spec.healthCheckNodePort && !(type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local')) {
    errs.push(invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
  }
  if (spec.internalTrafficPolicy === undefined) {
    if (type === 'ClusterIP' || type === 'NodePort' || type === 'LoadBalancer') errs.push(required('spec.internalTrafficPolicy', ''));
  } else if (!TRAFFIC_POLICIES.includes(spec.internalTrafficPolicy)) {
    errs.push(notSupported('spec.internalTrafficPolicy', spec.internalTrafficPolicy, TRAFFIC_POLICIES));
  }
  if (spec.loadBalancerClass !== undefined && type !== 'LoadBalancer') {
    errs.push(forbidden('spec.loadBalancerClass', 'may only be used when service type is \'LoadBalancer\''));
  }
  return errs;
}

/** ValidateServiceUpdate: the new Service's validity plus what may not change (clusterIPs, loadBalancerClass). */
export function validateServiceUpdate(svc: Service, old: Service): FieldError[] {
  const errs = validateObjectMetaUpdate(svc.metadata, old.metadata);
  errs.push(...validateService(svc).filter((e) => !e.field.startsWith('metadata.')));
  const type = svc.spec?.type;
  const oldType = old.spec?.type;
  if (type !== 'ExternalName' && oldType !== 'ExternalName' && !(isHeadlessService(svc) && isHeadlessService(old))) {
    const now = svc.spec?.clusterIPs ?? [];
    const before = old.spec?.clusterIPs ?? [];
    if (before.length > 0 && now.length === 0) {
      errs.push(invalid('spec.clusterIPs[0]', goStringSlice(now), 'primary clusterIP can not be unset'));
    } else if (before.length > 0 && now[0] !== before[0]) {
      errs.push(invalid('spec.clusterIPs[0]', goStringSlice(now), 'may not change once set'));
    } else if (before.length === 2 && now.length === 2 && now[1] !== before[1]) {
      errs.push(invalid('spec.clusterIPs[1]', goStringSlice(now), 'may not change once set'));
    }
  }
  const cls = svc.spec?.loadBalancerClass;
  const oldCls = old.spec?.loadBalancerClass;
  if (oldType === 'LoadBalancer' && type === 'LoadBalancer' && cls !== oldCls) {
    errs.push(invalid('spec.loadBalancerClass', cls ?? null, 'may not change once set'));
  }
  return errs;
}

/** ValidateServiceStatusUpdate: the load balancer ingress points. */
export function validateServiceStatusUpdate(svc: Service, old: Service): FieldError[] {
  const errs = validateObjectMetaUpdate(svc.metadata, old.metadata);
  (svc.status?.loadBalancer?.ingress ?? []).forEach((ing, i) => {
    const p = `status.loadBalancer.ingress[${i}]`;
    if (ing.ip && !isValidIP(ing.ip)) errs.push(invalid(`${p}.ip`, ing.ip, 'must be a valid IP address'));
    if (ing.ipMode && !['Proxy', 'VIP'].includes(ing.ipMode)) errs.push(notSupported(`${p}.ipMode`, ing.ipMode, ['Proxy', 'VIP']));
    if (ing.ipMode && !ing.ip) errs.push(forbidden(`${p}.ipMode`, 'may not be specified when `ip` is not set'));
    if (ing.hostname) {
      for (const m of isDNS1123Subdomain(ing.hostname)) errs.push(invalid(`${p}.hostname`, ing.hostname, m));
      if (isValidIP(ing.hostname)) errs.push(invalid(`${p}.hostname`, ing.hostname, 'must be a DNS name, not an IP address'));
    }
  });
  return errs;
}

/** ValidateEndpoints (create and update: Endpoints have no immutable fields). */
export function validateEndpoints(ep: Endpoints, old?: Endpoints): FieldError[] {
  const errs = old ? validateObjectMetaUpdate(ep.metadata, old.metadata) : validateObjectMeta(ep.metadata, true, nameIsDNSSubdomain);
  (ep.subsets ?? []).forEach((ss, i) => {
    const p = `subsets[${i}]`;
    if (!ss.addresses?.length && !ss.notReadyAddresses?.length) {
      errs.push(required(p, 'must specify `addresses` or `notReadyAddresses`'));
    }
    for (const [kind, list] of [['addresses', ss.addresses ?? []], ['notReadyAddresses', ss.notReadyAddresses ?? []]] as const) {
      list.forEach((a, j) => {
        const ap = `${p}.${kind}[${j}]`;
        if (!isValidIP(a.ip)) errs.push(invalid(`${ap}.ip`, a.ip, INVALID_IP_MESSAGE));
        if (a.hostname) for (const m of isDNS1123Label(a.hostname)) errs.push(invalid(`${ap}.hostname`, a.hostname, m));
        if (a.nodeName) for (const m of isDNS1123Subdomain(a.nodeName)) errs.push(invalid(`${ap}.nodeName`, a.nodeName, m));
      });
    }
    const ports = ss.ports ?? [];
    ports.forEach((port, j) => {
      const pp = `${p}.ports[${j}]`;
      if (ports.length > 1 && !port.name) errs.push(required(`${pp}.name`, ''));
      else if (port.name) for (const m of isDNS1123Label(port.name)) errs.push(invalid(`${pp}.name`, port.name, m));
      for (const m of isValidPortNum(port.port)) errs.push(invalid(`${pp}.port`, port.port, m));
      if (!port.protocol) errs.push(required(`${pp}.protocol`, ''));
      else if (!PROTOCOLS.includes(port.protocol)) errs.push(notSupported(`${pp}.protocol`, port.protocol, PROTOCOLS));
    });
  });
  return errs;
}

const MAX_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;
const MAX_PORTS = 100;

/** discovery ValidateEndpointSlice / ValidateEndpointSliceUpdate (addressType is immutable). */
export function validateEndpointSlice(slice: EndpointSlice, old?: EndpointSlice): FieldError[] {
  const errs = old ? validateObjectMetaUpdate(slice.metadata, old.metadata) : validateObjectMeta(slice.metadata, true, nameIsDNSSubdomain);
  const addressType = slice.addressType ?? '';
  if (!addressType) errs.push(required('addressType', ''));
  else if (!ADDRESS_TYPES.includes(addressType)) errs.push(notSupported('addressType', addressType, ADDRESS_TYPES));
  if (old && old.addressType !== slice.addressType) errs.push(invalid('addressType', slice.addressType ?? '', 'field is immutable'));
  const endpoints = slice.endpoints ?? [];
  if (endpoints.length > MAX_ENDPOINTS) errs.push(tooMany('endpoints', endpoints.length, MAX_ENDPOINTS));
  endpoints.forEach((e, i) => {
    const p = `endpoints[${i}]`;
    const addrs = e.addresses ?? [];
    if (addrs.length === 0) errs.push(required(`${p}.addresses`, 'must contain at least 1 address'));
    else if (addrs.length > MAX_ADDRESSES) errs.push(tooMany(`${p}.addresses`, addrs.length, MAX_ADDRESSES));
    addrs.forEach((a, j) => {
      const ap = `${p}.addresses[${j}]`;
      if (addressType === 'IPv4' && !isIPv4(a)) errs.push(invalid(ap, a, 'must be a valid IPv4 address'));
      else if (addressType === 'IPv6' && !isIPv6(a)) errs.push(invalid(ap, a, 'must be a valid IPv6 address'));
      else if (addressType === 'FQDN') for (const m of isDNS1123Subdomain(a)) errs.push(invalid(ap, a, m));
    });
    if (e.nodeName) for (const m of isDNS1123Subdomain(e.nodeName)) errs.push(invalid(`${p}.nodeName`, e.nodeName, m));
    if (e.hostname) for (const m of isDNS1123Label(e.hostname)) errs.push(invalid(`${p}.hostname`, e.hostname, m));
  });
  const ports = slice.ports ?? [];
  if (ports.length > MAX_PORTS) errs.push(tooMany('ports', ports.length, MAX_PORTS));
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = `ports[${i}]`;
    const name = port.name ?? '';
    if (name) for (const m of isDNS1123Label(name)) errs.push(invalid(`${p}.name`, name, m));
    if (names.has(name)) errs.push(duplicate(`${p}.name`, name));
    names.add(name);
    if (!port.protocol) errs.push(required(`${p}.protocol`, ''));
    else if (!PROTOCOLS.includes(port.protocol)) errs.push(notSupported(`${p}.protocol`, port.protocol, PROTOCOLS));
    if (port.port !== undefined) for (const m of isValidPortNum(port.port)) errs.push(invalid(`${p}.port`, port.port, m));
  });
  return errs;
}
