/**
 * Running one probe (upstream prober.runProbe): exec through the runtime, httpGet to the pod IP, a TCP
 * connect, or a gRPC health Check over HTTP/2. The outcome is a value: Success, Failure (with the output the
 * Unhealthy event shows) or Unknown (the probe itself could not run; no action is taken on it).
 */
import net from 'node:net';
import http2 from 'node:http2';
import { isRuntimeError, type ContainerRuntime } from '../../runtime/runtime.ts';
import type { Container, Pod, Probe } from '../kuberuntime/api.ts';
import { httpGet, httpGetUrl, resolvePort } from '../lifecycle/http-get.ts';
import { formatPod } from '../kuberuntime/runtime-pod.ts';

export type ProbeResult = 'Success' | 'Failure' | 'Unknown';

export interface ProbeOutcome {
  result: ProbeResult;
  output: string;
}

export interface ProbeTarget {
  pod: Pod;
  container: Container;
  containerId: string;
  podIP: string;
}

/** Expands `$(VAR)` in an exec probe command from the container's literal env values (as upstream). */
function expand(arg: string, env: Record<string, string>): string {
  return arg.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) =>
    m === '$$' ? '$' : name !== undefined && name in env ? env[name] : m,
  );
}

export async function runProbe(
  probe: Probe,
  target: ProbeTarget,
  runtime: Pick<ContainerRuntime, 'execSync'>,
  signal?: AbortSignal,
): Promise<ProbeOutcome> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  const { container, podIP } = target;
  try {
    if (probe.exec) {
      const env = Object.fromEntries(
        (container.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value as string]),
      );
      const cmd = (probe.exec.command ?? []).map((a) => expand(a, env));
      try {
        const r = await runtime.execSync(target.containerId, cmd, timeoutMs);
        const output = (r.stdout.toString() + r.stderr.toString()).trim();
        return r.exitCode === 0 ? { result: 'Success', output } : { result: 'Failure', output };
      } catch (err) {
        if (isRuntimeError(err, 'DeadlineExceeded'))
          return { result: 'Failure', output: `command ${JSON.stringify(cmd.join(' '))} timed out` };
        throw err;
      }
    }
    if (probe.httpGet) {
      const url = httpGetUrl(probe.httpGet, container, podIP);
      try {
        const res = await httpGet(url, probe.httpGet.httpHeaders ?? [], timeoutMs, signal);
        if (res.statusCode >= 200 && res.statusCode < 400) return { result: 'Success', output: res.body };
        return { result: 'Failure', output: `HTTP probe failed with statuscode: ${res.statusCode}` };
      } catch (err) {
        return { result: 'Failure', output: `Get "${url}": ${dialError(err)}` };
      }
    }
    if (probe.tcpSocket) {
      const host = probe.tcpSocket.host || podIP;
      const port = resolvePort(probe.tcpSocket.port as number | string, container);
      return await tcpProbe(host, port, timeoutMs);
    }
    if (probe.grpc) {
      const host = podIP;
      return await grpcProbe(host, probe.grpc.port, probe.grpc.service ?? '', timeoutMs);
    }
    return {
      result: 'Unknown',
      output: `missing probe handler for ${formatPod(target.pod)}:${container.name}`,
    };
  } catch (err) {
    return { result: 'Unknown', output: err instanceof Error ? err.message : String(err) };
  }
}

function dialError(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e?.code === 'ECONNREFUSED') return `dial tcp ${e.address}:${e.port}: connect: connection refused`;
  return e instanceof Error ? e.message : String(err);
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (o: ProbeOutcome) => {
      sock.destroy();
      resolve(o);
    };
    sock.setTimeout(timeoutMs, () => done({ result: 'Failure', output: `dial tcp ${host}:${port}: i/o timeout` }));
    sock.once('connect', () => done({ result: 'Success', output: '' }));
    sock.once('error', (err) => done({ result: 'Failure', output: dialError(err) }));
  });
}

const GRPC_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

/** grpc.health.v1.Health/Check: HealthCheckRequest{service=1:string} → HealthCheckResponse{status=1:enum}. */
function grpcProbe(host: string, port: number, service: string, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const target = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    const session = http2.connect(`http://${target}`);
    let settled = false;
    const finish = (o: ProbeOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      resolve(o);
    };
    const timer = setTimeout(
      () => finish({ result: 'Failure', output: `timeout: health rpc did not complete within ${timeoutMs / 1000}s` }),
      timeoutMs,
    );
    session.on('error', () =>
      finish({
        result: 'Failure',
        output: `timeout: failed to connect service ${JSON.stringify(target)} within ${timeoutMs / 1000}s`,
      }),
    );
    const svc = Buffer.from(service);
    const msg = svc.length ? Buffer.concat([Buffer.from([0x0a, svc.length]), svc]) : Buffer.alloc(0);
    const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, msg.length]), msg]);
    const req = session.request({
      ':method': 'POST',
      ':path': '/grpc.health.v1.Health/Check',
      'content-type': 'application/grpc',
      te: 'trailers',
      'user-agent': 'kube-probe/1.32',
    });
    const chunks: Buffer[] = [];
    let grpcStatus: string | undefined;
    let grpcMessage = '';
    req.on('response', (h) => {
      if (h['grpc-status'] !== undefined) grpcStatus = String(h['grpc-status']);
    });
    req.on('trailers', (h) => {
      grpcStatus = String(h['grpc-status'] ?? grpcStatus);
      grpcMessage = String(h['grpc-message'] ?? '');
    });
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('error', (err) => finish({ result: 'Failure', output: err.message }));
    req.on('end', () => {
      if (grpcStatus && grpcStatus !== '0') {
        return finish({ result: 'Failure', output: `rpc error: code = ${grpcStatus} desc = ${grpcMessage}` });
      }
      const body = Buffer.concat(chunks).subarray(5);
      // field 1 varint: tag 0x08
      const status = body[0] === 0x08 ? body[1] : 0;
      const name = GRPC_STATUS[status] ?? String(status);
      finish(
        status === 1
          ? { result: 'Success', output: '' }
          : { result: 'Failure', output: `service unhealthy (responded with ${JSON.stringify(name)})` },
      );
    });
    req.end(frame);
  });
}
