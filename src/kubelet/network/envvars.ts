/**
 * Service environment variables, as upstream's kubelet makes them (getServiceEnvVarMap, pkg/kubelet/envvars):
 * for each Service with a cluster IP (not headless, not ExternalName) in the pod's namespace (unless the pod
 * sets `enableServiceLinks: false`), and always for the `kubernetes` Service of `default` (the "master
 * services", which in-cluster clients find through KUBERNETES_SERVICE_HOST/PORT):
 *
 *   WEB_SERVICE_HOST=10.43.0.7          WEB_PORT=tcp://10.43.0.7:80           (first port, Docker link style)
 *   WEB_SERVICE_PORT=80                 WEB_PORT_80_TCP=tcp://10.43.0.7:80
 *   WEB_SERVICE_PORT_HTTP=80 (named)    WEB_PORT_80_TCP_PROTO=tcp, _PORT=80, _ADDR=10.43.0.7
 *
 * Names are upper-cased with `-` as `_`. A Service of the pod's namespace called `kubernetes` wins over
 * default's. Pure functions; `ServiceEnvSource` holds the informer's view and waits for its first list.
 */
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IService } from 'kubernetes-models/v1/Service';
import { realClock, type Clock } from '../../machinery/index.ts';

/** Services of `default` whose variables every pod gets, whatever its enableServiceLinks. */
const MASTER_SERVICES = new Set(['kubernetes']);

export function isServiceIPSet(svc: IService): boolean {
  const ip = svc.spec?.clusterIP;
  return !!ip && ip !== 'None';
}

function envName(s: string): string {
  return s.replaceAll('-', '_').toUpperCase();
}

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The variables of the given Services, in upstream's order (envvars.FromServices). */
export function fromServices(services: IService[]): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const svc of services) {
    const ports = svc.spec?.ports ?? [];
    if (!isServiceIPSet(svc) || ports.length === 0) continue;
    const ip = svc.spec!.clusterIP!;
    const prefix = envName(svc.metadata?.name ?? '');
    out.push({ name: `${prefix}_SERVICE_HOST`, value: ip });
    out.push({ name: `${prefix}_SERVICE_PORT`, value: String(ports[0]!.port) });
    for (const p of ports) {
      if (p.name) out.push({ name: `${prefix}_SERVICE_PORT_${envName(p.name)}`, value: String(p.port) });
    }
    ports.forEach((p, i) => {
      const proto = p.protocol || 'TCP';
      const url = `${proto.toLowerCase()}://${joinHostPort(ip, p.port)}`;
      if (i === 0) out.push({ name: `${prefix}_PORT`, value: url });
      const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
      out.push(
        { name: pp, value: url },
        { name: `${pp}_PROTO`, value: proto.toLowerCase() },
        { name: `${pp}_PORT`, value: String(p.port) },
        { name: `${pp}_ADDR`, value: ip },
      );
    });
  }
  return out;
}

/** The service variables for a pod of `namespace` (upstream's getServiceEnvVarMap). */
export function serviceEnvVarMap(services: IService[], namespace: string, enableServiceLinks: boolean): Map<string, string> {
  const chosen = new Map<string, IService>();
  for (const svc of services) {
    if (!isServiceIPSet(svc)) continue;
    const name = svc.metadata?.name ?? '';
    const ns = svc.metadata?.namespace;
    if (ns === 'default' && MASTER_SERVICES.has(name)) {
      if (!chosen.has(name)) chosen.set(name, svc);
    } else if (ns === namespace && enableServiceLinks) {
      chosen.set(name, svc);
    }
  }
  return new Map(fromServices([...chosen.values()]).map((e) => [e.name, e.value]));
}

export interface ServiceLister {
  list(): IService[];
  /** True once the first list is in. */
  readonly hasSynced: boolean;
  /** Resolves once the first list is in. */
  readonly synced: Promise<void>;
}

export interface ServiceEnvSourceOptions {
  services: ServiceLister;
  /** How long a pod's container start waits for the first list of Services (default 5 s). */
  syncWaitMs?: number;
  isStaticPod?: (pod: IPod) => boolean;
  clock?: Clock;
}

/**
 * The service variables of a pod, from the kubelet's Service informer. Like upstream, a pod from the API does
 * not start its containers before the Services were listed once (else a restarted kubelet could start a pod
 * without KUBERNETES_SERVICE_HOST): it waits briefly, then fails with upstream's message, which the kubelet
 * reports as CreateContainerConfigError and retries. Static pods do not wait (the API may be unreachable).
 */
export class ServiceEnvSource {
  readonly #o: ServiceEnvSourceOptions;

  constructor(options: ServiceEnvSourceOptions) {
    this.#o = options;
  }

  async forPod(pod: IPod): Promise<Map<string, string>> {
    const { services } = this.#o;
    if (!services.hasSynced && !this.#o.isStaticPod?.(pod)) {
      const done = new AbortController();
      await Promise.race([
        services.synced.catch(() => {}),
        (this.#o.clock ?? realClock).sleep(this.#o.syncWaitMs ?? 5000, done.signal).catch(() => {}),
      ]);
      done.abort();
      if (!services.hasSynced) throw new Error('services have not yet been read at least once, cannot construct envvars');
    }
    return serviceEnvVarMap(
      services.hasSynced ? services.list() : [],
      pod.metadata?.namespace ?? 'default',
      pod.spec?.enableServiceLinks !== false,
    );
  }
}
