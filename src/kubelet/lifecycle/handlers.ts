/**
 * Runs postStart and preStop handlers (exec, httpGet, sleep), as upstream's lifecycle.handlerRunner. A hook
 * either resolves or throws an Error whose message says what failed; the caller turns that into the
 * FailedPostStartHook / FailedPreStopHook events (without the handler's output, as upstream does).
 */
import type { ContainerRuntime } from '../../runtime/runtime.ts';
import type { Clock } from '../../machinery/index.ts';
import type { Container, LifecycleHandler, Pod } from '../kuberuntime/api.ts';
import { formatPod } from '../kuberuntime/runtime-pod.ts';
import { httpGet, httpGetUrl } from './http-get.ts';

export interface HandlerRunnerConfig {
  runtime: Pick<ContainerRuntime, 'execSync'>;
  clock: Clock;
}

export class HandlerRunner {
  #runtime: HandlerRunnerConfig['runtime'];
  #clock: Clock;

  constructor(config: HandlerRunnerConfig) {
    this.#runtime = config.runtime;
    this.#clock = config.clock;
  }

  /** Runs `handler` for the container `containerId`; throws on failure. `timeoutMs` 0 means no limit. */
  async run(
    pod: Pod,
    container: Container,
    containerId: string,
    handler: LifecycleHandler,
    podIP: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<void> {
    if (handler.exec) {
      const cmd = handler.exec.command ?? [];
      const r = await this.#runtime.execSync(containerId, cmd, timeoutMs);
      if (r.exitCode !== 0) {
        const out = (r.stdout.toString() + r.stderr.toString()).trim();
        throw new Error(
          `Exec lifecycle hook (${JSON.stringify(cmd)}) for Container "${container.name}" in Pod "${formatPod(pod)}" failed - error: command '${cmd.join(' ')}' exited with ${r.exitCode}: ${out}, message: ${JSON.stringify(out)}`,
        );
      }
      return;
    }
    if (handler.httpGet) {
      const url = httpGetUrl(handler.httpGet, container, podIP);
      const res = await httpGet(url, handler.httpGet.httpHeaders ?? [], timeoutMs || 30_000, signal);
      if (res.statusCode < 200 || res.statusCode >= 400)
        throw new Error(
          `HTTP lifecycle hook (${url.pathname}) for Container "${container.name}" in Pod "${formatPod(pod)}" failed - error: HTTP status ${res.statusCode}, message: ""`,
        );
      return;
    }
    if (handler.sleep) {
      const ms = Number(handler.sleep.seconds ?? 0) * 1000;
      await this.#clock.sleep(timeoutMs > 0 ? Math.min(ms, timeoutMs) : ms, signal);
      return;
    }
    if (handler.tcpSocket) throw new Error('TCPSocket lifecycle handler is not supported');
    throw new Error('a lifecycle handler needs exec, httpGet or sleep');
  }
}
