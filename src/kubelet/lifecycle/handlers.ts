/**
 * Runs postStart and preStop handlers (exec, httpGet, sleep), as upstream's lifecycle.handlerRunner. A hook
 * either resolves or throws an Error whose message is upstream's text for the failure ("Exec lifecycle hook
 * ([sh -c exit 1]) for Container ..."): the FailedPostStartHook / FailedPreStopHook event message and the
 * PostStartHookError waiting message. An httpGet hook fails only when no response comes (any status passes).
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
        // Upstream's texts: the CRI's ExecSync error (stderr only), then the whole output as message (%q).
        const error = `command '${cmd.join(' ')}' exited with ${r.exitCode}: ${r.stderr.toString()}`;
        const output = r.stdout.toString() + r.stderr.toString();
        throw new Error(
          `Exec lifecycle hook ([${cmd.join(' ')}]) for Container ${JSON.stringify(container.name)} in Pod ${JSON.stringify(formatPod(pod))} failed - error: ${error}, message: ${JSON.stringify(output)}`,
        );
      }
      return;
    }
    if (handler.httpGet) {
      // As upstream: only a request that gets no response fails the hook; any status code is accepted.
      const url = httpGetUrl(handler.httpGet, container, podIP);
      try {
        await httpGet(url, handler.httpGet.httpHeaders ?? [], timeoutMs || 30_000, signal);
      } catch (err) {
        if (signal?.aborted) throw err;
        throw new Error(
          `HTTP lifecycle hook (${handler.httpGet.path ?? ''}) for Container ${JSON.stringify(container.name)} in Pod ${JSON.stringify(formatPod(pod))} failed - error: ${transportError(url, err)}`,
          { cause: err },
        );
      }
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

/** Go's *url.Error text for a GET that got no response: `Get "http://10.42.0.5:80/": dial tcp ...`. */
function transportError(url: URL, err: unknown): string {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e?.code === 'ECONNREFUSED') return `Get "${url}": dial tcp ${e.address}:${e.port}: connect: connection refused`;
  const message = e instanceof Error ? e.message : String(err);
  return message.startsWith('Get "') ? message : `Get "${url}": ${message}`;
}
