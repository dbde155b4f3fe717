/**
 * `kubeling run FILE.yaml`: the quickest way to try a pod (DESIGN.md). Starts an embedded server with a local
 * node, creates the file's objects, prints each pod's status as `kubectl get pods -w` would and the
 * containers' logs as they come, and tears everything down (pods deleted gracefully, then the server
 * stopped and its data removed) on Ctrl-C or once every pod and Job of the file has completed. Pods made by the
 * file's workloads (run-workloads.ts) are shown too: Deployments, ReplicaSets, ReplicationControllers,
 * StatefulSets and DaemonSets never complete, so those runs end on Ctrl-C; a Job's run ends when it is
 * Complete or Failed (a `job/NAME Complete|Failed` line says which).
 *
 * Exit status: 0 when all pods Succeeded and all Jobs completed, 1 when a pod (not a Job's) or a Job Failed
 * or something went wrong, 130 after Ctrl-C,
 * 2 for usage errors. `--timeout D` stops a run that is still going after D (pods that serve never complete):
 * 0 if no pod had failed by then, else 1.
 *
 * The embedded server runs in its own process group, so a terminal's Ctrl-C (sent to the whole foreground
 * group) reaches only this command, which then deletes the pods and waits for the node to release them before
 * it stops the server. Without `--data-dir` the server's state lives in a temporary directory, but images come
 * from the default store (`./.kubeling/images`, where `kubeling image import` puts them).
 */
import type { Job, KubeObject, Node, Pod } from '../api/index.ts';
import { labelSelectorFromObject, podSummary } from '../api/index.ts';
import { Informer, isAlreadyExists, isNotFound, type Client } from '../client/index.ts';
import { EmbeddedServer } from './embedded-server.ts';
import { LogFollower } from './log-follower.ts';
import { readManifests, type Manifest } from './manifests.ts';
import { jobOutcome, podSelectorOf, workloadKind } from './run-workloads.ts';
import { LiveOutput, RunTimeline } from './run-timeline.ts';
import { fetchKubeletTimeline } from './why/kubelet-timeline.ts';
import { join } from 'node:path';

export const RUN_USAGE =
  'usage: kubeling run FILE.yaml [--runtime oci|fake] [--storage memory|sqlite] [--data-dir DIR] [--timeout DURATION]';

interface RunOptions {
  file: string;
  runtime: 'oci' | 'fake';
  storage: 'memory' | 'sqlite';
  dataDir?: string;
  /** Stop (and tear down) after this many milliseconds, as if Ctrl-C had been pressed. */
  timeoutMs?: number;
}

/** A kubectl-style duration (`30s`, `2m`, `1m30s`, `500ms`) or plain seconds, in milliseconds; undefined if malformed. */
export function parseDuration(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = text;
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * units[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return text.length > 0 ? total : undefined;
}

export function parseRunFlags(argv: string[]): RunOptions | string {
  const o: Partial<RunOptions> = { runtime: 'oci', storage: 'memory' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '--runtime') {
      const v = value();
      if (v !== 'oci' && v !== 'fake') return `invalid value for --runtime: ${JSON.stringify(v ?? '')} (want oci or fake)`;
      o.runtime = v;
    } else if (flag === '--storage') {
      const v = value();
      if (v !== 'memory' && v !== 'sqlite') return `invalid value for --storage: ${JSON.stringify(v ?? '')} (want memory or sqlite)`;
      o.storage = v;
    } else if (flag === '--data-dir') {
      const v = value();
      if (!v) return 'flag needs a value: --data-dir';
      o.dataDir = v;
    } else if (flag === '--timeout') {
      const v = value() ?? '';
      const ms = parseDuration(v);
      if (ms === undefined || ms <= 0) return `invalid value for --timeout: ${JSON.stringify(v)} (want a duration such as 30s or 2m)`;
      o.timeoutMs = ms;
    } else if (flag.startsWith('-') && flag !== '-') {
      return `unknown flag: ${flag}`;
    } else if (o.file === undefined) {
      o.file = arg;
    } else {
      return `unexpected argument ${JSON.stringify(arg)} (one file at a time)`;
    }
  }
  if (!o.file) return 'a manifest file is required';
  return o as RunOptions;
}

const isTerminal = (pod: Pod) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
// On a terminal the last line of stdout may be a live one (image pulls): every line goes above it.
const live = new LiveOutput(process.stdout);
const out = (line: string) => live.line(line);
const err = (line: string) => process.stderr.write(`${line}\n`);

export async function runRun(argv: string[]): Promise<number> {
  const opts = parseRunFlags(argv);
  if (typeof opts === 'string') {
    err(`kubeling run: ${opts}`);
    err(RUN_USAGE);
    return 2;
  }
  let manifests: Manifest[];
  try {
    manifests = await readManifests(opts.file);
  } catch (e) {
    err(`kubeling run: ${(e as Error).message}`);
    return 1;
  }

  const stop = new AbortController();
  let interrupted = false;
  let server: EmbeddedServer | undefined;
  const onSignal = () => {
    if (interrupted) {
      server?.kill();
      process.exit(130);
    }
    interrupted = true;
    err('\nstopping (Ctrl-C again to stop at once)...');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  let timedOut = false;
  const timer =
    opts.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          err(`\n--timeout ${opts.timeoutMs! / 1000}s reached; stopping...`);
          stop.abort();
        }, opts.timeoutMs);
  try {
    err(`starting an embedded server (runtime ${opts.runtime}, storage ${opts.storage})...`);
    server = await EmbeddedServer.start({
      runtime: opts.runtime,
      storage: opts.storage,
      dataDir: opts.dataDir,
      imageStore: join('.kubeling', 'images'),
    });
    if (stop.signal.aborted) return 130;
    await waitForNode(server.client, stop.signal);
    if (stop.signal.aborted) return 130;
    const created = await applyAll(server.client, manifests);
    const pods = created.filter((c) => c.resource.plural === 'pods').map((c) => c.object as Pod);
    const workloads = created.filter((c) => workloadKind(c.resource.plural) !== undefined);
    let code = 0;
    let seen: string[] = [];
    let failed = 0;
    let held: string[] = [];
    const client = server.client;
    // Each pod's steps as the kubelet records them, through the teardown (preStop, stop, exit, gone): it is
    // stopped, after a last read, once the pods are gone, also after Ctrl-C or --timeout.
    const timeline = new RunTimeline({
      fetch: (pod, signal) => fetchKubeletTimeline(client, pod, signal),
      print: out,
      ...(live.isTerminal ? { status: (text: string | undefined) => live.status(text) } : {}),
    });
    try {
      if (pods.length === 0 && workloads.length === 0) out('no pods or workloads in the file; the objects were created, nothing to watch');
      else ({ code, seen, failed } = await watchPods(server.client, pods, workloads, timeline, stop.signal));
      await teardown(server.client, created, seen);
      held = await server.waitForNodeCleanup();
    } finally {
      // After the node's cleanup: a finished pod's containers go with the kubelet's housekeeping, after the API delete.
      await timeline.stop();
    }
    if (held.length > 0) err(`warning: the node still holds ${held.length} mount(s) or sandbox(es) under ${server.dataDir}: ${held.slice(0, 3).join(', ')}`);
    // A timeout ends a healthy run normally: what ran is judged by whether any pod failed.
    if (timedOut) return failed > 0 ? 1 : 0;
    return interrupted ? 130 : code;
  } catch (e) {
    err(`kubeling run: ${(e as Error).message}`);
    return 1;
  } finally {
    clearTimeout(timer);
    await server?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  }
}

/** Waits (up to a minute) for the local node to register and be Ready, so pods are not first reported unschedulable. */
async function waitForNode(client: Client, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!signal.aborted && Date.now() < deadline) {
    try {
      const nodes = (await client.resource<Node>('nodes').list({ signal })).items;
      if (nodes.some((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))) return;
    } catch {
      // the server may still be starting its handlers; try again
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  if (!signal.aborted) err('warning: the local node is not Ready after 60 s; pods may stay Pending (see the server log in the data dir)');
}

/** Creates the objects in file order (namespaces first), retrying while the namespace's service account appears. */
async function applyAll(client: Client, manifests: Manifest[]): Promise<Manifest[]> {
  const ordered = [...manifests].sort((a, b) => Number(b.resource.kind === 'Namespace') - Number(a.resource.kind === 'Namespace'));
  const created: Manifest[] = [];
  for (const m of ordered) {
    const ns = m.resource.namespaced ? m.object.metadata?.namespace || 'default' : undefined;
    const rc = client.resource<KubeObject>(m.resource, ns);
    let obj: KubeObject | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        obj = await rc.create(m.object);
        break;
      } catch (e) {
        if (isAlreadyExists(e)) throw new Error(`${m.resource.singular}/${m.object.metadata?.name} already exists`, { cause: e });
        // A new namespace gets its default service account a moment later; the API rejects pods until then.
        if (attempt < 50 && /serviceaccount/i.test((e as Error).message)) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        throw new Error(`creating ${m.resource.singular} ${m.object.metadata?.name ?? ''}: ${(e as Error).message}`, { cause: e });
      }
    }
    out(`${m.resource.singular}/${obj.metadata?.name} created`);
    created.push({ object: obj, resource: m.resource });
  }
  return created;
}

/**
 * Prints status rows and logs of the file's pods, and of the pods its workloads make, until every pod is
 * terminal (never, with workloads) or the signal aborts. Returns the exit code and every pod key it showed.
 */
async function watchPods(
  client: Client,
  pods: Pod[],
  workloads: Manifest[],
  timeline: RunTimeline,
  signal: AbortSignal,
): Promise<{ code: number; seen: string[]; failed: number }> {
  const watching = new Map(pods.map((p) => [`${p.metadata!.namespace}/${p.metadata!.name}`, p]));
  const seen = new Set(watching.keys());
  const selectors = workloads.map((w) => ({
    kind: workloadKind(w.resource.plural)!,
    namespace: w.object.metadata?.namespace,
    selector: labelSelectorFromObject(podSelectorOf(w.resource.plural, w.object)),
  }));
  const matching = (pod: Pod) => selectors.filter((s) => s.namespace === pod.metadata?.namespace && s.selector.matches(pod.metadata?.labels));
  const ofWorkload = (pod: Pod) => matching(pod).length > 0;
  const ofJob = (pod: Pod) => matching(pod).some((s) => s.kind === 'job');
  // The file's Jobs by namespace/name, with their outcome once finished.
  const jobs = new Map(workloads.filter((w) => w.resource.plural === 'jobs').map((w) => [`${w.object.metadata?.namespace}/${w.object.metadata?.name}`, undefined as ReturnType<typeof jobOutcome>]));
  const serving = selectors.some((s) => s.kind === 'serving');
  const finished = () => !serving && [...watching.values()].every(isTerminal) && [...jobs.values()].every((o) => o !== undefined);
  const done = new AbortController();
  const both = AbortSignal.any([signal, done.signal]);
  const informer = new Informer<Pod>(client.resource<Pod>('pods'));
  const logs = new LogFollower(client, out, signal);
  const last = new Map<string, string>();
  const reasons = new Map<string, string>();
  // Pods of workloads are named <workload>-<hash>-<suffix>: leave room for that.
  const width = Math.max(4, ...pods.map((p) => p.metadata!.name!.length), ...workloads.map((w) => (w.object.metadata?.name?.length ?? 0) + 17)) + 3;
  out(`${'NAME'.padEnd(width)}${'READY'.padEnd(8)}${'STATUS'.padEnd(22)}RESTARTS`);
  const show = (pod: Pod) => {
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    if (!watching.has(key)) {
      if (!ofWorkload(pod) || pod.metadata?.deletionTimestamp) return;
      seen.add(key);
    }
    watching.set(key, pod);
    timeline.observe(pod);
    const s = podSummary(pod);
    const row = `${pod.metadata!.name!.padEnd(width)}${s.ready.padEnd(8)}${s.status.padEnd(22)}${s.restarts}`;
    if (last.get(key) !== row) {
      last.set(key, row);
      out(row);
    }
    // Why a pod waits (scheduling failures) matters more than the Pending row: print each new reason once.
    const unscheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
    const why = unscheduled?.message ? `  ${pod.metadata!.name}: ${unscheduled.reason}: ${unscheduled.message}` : undefined;
    if (why && reasons.get(key) !== why) {
      reasons.set(key, why);
      out(why);
    }
    logs.observe(pod);
    if (finished()) done.abort();
  };
  informer.onAdd(show).onUpdate((_old, pod) => show(pod)).onDelete((pod) => {
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    if (watching.has(key) && !signal.aborted) {
      out(`${pod.metadata!.name!.padEnd(width)}(deleted)`);
      // A workload's pod that goes is replaced by its controller; a pod of the file counts as failed.
      if (ofWorkload(pod) && !pods.some((p) => `${p.metadata!.namespace}/${p.metadata!.name}` === key)) watching.delete(key);
      else watching.set(key, { ...pod, status: { ...pod.status, phase: 'Failed' } });
      if (finished()) done.abort();
    }
  });
  const jobInformer = new Informer<Job>(client.resource<Job>('jobs'));
  const jobSeen = (job: Job, deleted = false) => {
    const key = `${job.metadata?.namespace}/${job.metadata?.name}`;
    if (!jobs.has(key) || jobs.get(key) || signal.aborted) return;
    // A Job deleted before it finished (by hand, or by its TTL before this watch saw it finish) ends its part.
    const outcome = jobOutcome(job) ?? (deleted ? { complete: false, reason: 'deleted' } : undefined);
    if (!outcome) return;
    jobs.set(key, outcome);
    out(`job/${job.metadata!.name} ${outcome.complete ? 'Complete' : `Failed (${outcome.reason ?? 'unknown reason'})`}`);
    if (finished()) done.abort();
  };
  jobInformer.onAdd((job) => jobSeen(job)).onUpdate((_old, job) => jobSeen(job)).onDelete((job) => jobSeen(job, true));
  await Promise.all([informer.run(both), jobs.size > 0 ? jobInformer.run(both) : undefined]);
  // A Job's pods fail and are retried as its policy says: only the Job's outcome counts for them.
  const failed = [...watching.values()].filter((p) => p.status?.phase === 'Failed' && !ofJob(p));
  const failedJobs = [...jobs.entries()].filter(([, o]) => o && !o.complete).map(([key]) => `job/${key.split('/')[1]}`);
  const failures = failed.length + failedJobs.length;
  if (signal.aborted) return { code: 130, seen: [...seen], failed: failures };
  // Let the last log lines of completed containers arrive, and the pods' last steps.
  await Promise.all([logs.drain(2000), timeline.catchUp()]);
  if (failures === 0) out(jobs.size > 0 ? 'all pods and jobs completed' : 'all pods completed');
  else {
    if (failed.length > 0) out(`${failed.length} pod(s) failed: ${failed.map((p) => p.metadata?.name).join(', ')}`);
    if (failedJobs.length > 0) out(`${failedJobs.length} job(s) failed: ${failedJobs.join(', ')}`);
  }
  return { code: failures === 0 ? 0 : 1, seen: [...seen], failed: failures };
}

/**
 * Deletes what was created, newest first, then waits until every pod it showed is gone (pods of workloads
 * go through the garbage collector once their owners are deleted).
 */
async function teardown(client: Client, created: Manifest[], seen: string[]): Promise<void> {
  const pods: { ns: string; name: string }[] = seen.map((key) => ({ ns: key.split('/')[0]!, name: key.split('/')[1]! }));
  for (const m of [...created].reverse()) {
    if (m.resource.kind === 'Namespace') continue;
    const ns = m.resource.namespaced ? m.object.metadata?.namespace : undefined;
    const name = m.object.metadata!.name!;
    try {
      // Background, as kubectl deletes: a ReplicationController's default (v1's OrphanDependents) would
      // leave its pods running after the run.
      await client.resource(m.resource, ns).delete(name, { propagationPolicy: 'Background' });
      if (m.resource.plural === 'pods' && !pods.some((p) => p.ns === ns && p.name === name)) pods.push({ ns: ns!, name });
    } catch (e) {
      if (!isNotFound(e)) err(`deleting ${m.resource.singular}/${name}: ${(e as Error).message}`);
    }
  }
  const deadline = Date.now() + 45_000;
  for (const p of pods) {
    while (Date.now() < deadline) {
      try {
        await client.resource('pods', p.ns).get(p.name);
      } catch (e) {
        if (isNotFound(e)) break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  if (pods.length > 0) out(`deleted ${pods.length} pod(s)`);
}
