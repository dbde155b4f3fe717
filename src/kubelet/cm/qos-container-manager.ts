/**
 * The QoS container manager (upstream pkg/kubelet/cm/qos_container_manager_linux.go plus node allocatable
 * enforcement): keeps `kubepods`, `kubepods/burstable` and `kubepods/besteffort` holding what
 * qos-cgroups.ts computes from the active pods. Upstream updates them when a pod starts (before its pod
 * cgroup is made), after a pod is killed, and once a minute; the kubelet calls update() at the first two and
 * run() does the third. Updates are serialised and coalesced: a burst of pod starts writes the files once
 * or twice, always with the latest pod set.
 */
import fs from 'node:fs/promises';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { realClock, type Clock, type Logger } from '../../machinery/index.ts';
import type { Manager } from '../manager.ts';
import { CgroupFs } from './cgroupfs.ts';
import { qosCgroupConfigs, type NodeCapacity } from './qos-cgroups.ts';

/** upstream periodicQOSCgroupUpdateInterval */
const PERIOD_MS = 60_000;

export interface QOSContainerManagerConfig {
  /** Pods whose containers may run here (the QoS tiers' shares follow them). */
  activePods: () => IPod[];
  capacity: () => Promise<NodeCapacity>;
  cgroups?: CgroupFs;
  /** The node allocatable cgroup's name, relative to the cgroup root (upstream: `kubepods` under --cgroup-root). */
  name?: string;
  clock?: Clock;
  logger?: Logger;
}

export class QOSContainerManager implements Manager {
  readonly name = 'qos container manager';
  readonly #c: QOSContainerManagerConfig;
  readonly #fs: CgroupFs;
  readonly #clock: Clock;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(config: QOSContainerManagerConfig) {
    this.#c = config;
    this.#fs = config.cgroups ?? new CgroupFs();
    this.#clock = config.clock ?? realClock;
  }

  get cgroupName(): string {
    return this.#c.name ?? 'kubepods';
  }

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.update();
      await this.#clock.sleep(PERIOD_MS, signal).catch(() => {});
    }
  }

  /** Writes the settings for the current pods; resolves once a write that saw them is done. Never throws. */
  update(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        try {
          await this.#write();
        } catch (err) {
          this.#c.logger?.warn({ err }, 'failed to update QoS cgroups');
        }
      } while (this.#again);
    })().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #write(): Promise<void> {
    const configs = qosCgroupConfigs(this.#c.activePods(), await this.#c.capacity());
    const root = this.cgroupName;
    await this.#fs.apply(root, configs.kubepods);
    await this.#fs.apply(`${root}/burstable`, configs.burstable);
    await this.#fs.apply(`${root}/besteffort`, configs.besteffort);
  }
}

/** The kernel's pid_max (upstream's pid capacity of the node), or undefined where /proc does not say. */
export async function readPidMax(procRoot = '/proc'): Promise<number | undefined> {
  const n = Number((await fs.readFile(`${procRoot}/sys/kernel/pid_max`, 'utf8').catch(() => '')).trim());
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
