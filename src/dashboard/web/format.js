// What kubectl prints for objects, computed the same way: a pod's STATUS and READY, ages, node roles.

export function age(timestamp, now = Date.now()) {
  if (!timestamp) return '<unknown>';
  const s = Math.max(0, Math.floor((now - Date.parse(timestamp)) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

/** kubectl get pods' STATUS column: the pod's reason, an init or container waiting/terminated reason, or the phase. */
export function podStatus(pod) {
  let reason = pod.status?.reason || pod.status?.phase || 'Pending';
  const inits = pod.status?.initContainerStatuses ?? [];
  let initializing = false;
  inits.forEach((c, i) => {
    if (initializing) return;
    const t = c.state?.terminated;
    if (t && t.exitCode === 0) return;
    initializing = true;
    if (t) reason = t.reason ? `Init:${t.reason}` : t.signal ? `Init:Signal:${t.signal}` : `Init:ExitCode:${t.exitCode}`;
    else if (c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing') reason = `Init:${c.state.waiting.reason}`;
    else reason = `Init:${i}/${inits.length}`;
  });
  if (!initializing) {
    let running = false;
    for (const c of [...(pod.status?.containerStatuses ?? [])].reverse()) {
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
      else if (c.state?.terminated) reason = c.state.terminated.reason || (c.state.terminated.signal ? `Signal:${c.state.terminated.signal}` : `ExitCode:${c.state.terminated.exitCode}`);
      else if (c.ready && c.state?.running) running = true;
    }
    if (reason === 'Completed' && running) reason = 'Running';
  }
  if (pod.metadata?.deletionTimestamp) reason = pod.status?.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

export function podReady(pod) {
  const statuses = pod.status?.containerStatuses ?? [];
  const total = pod.spec?.containers?.length ?? statuses.length;
  return `${statuses.filter((c) => c.ready).length}/${total}`;
}

export function podRestarts(pod) {
  return (pod.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
}

const condition = (o, type) => o.status?.conditions?.find((c) => c.type === type);

/** Running and Ready, or finished well: nothing to explain. */
export function podHealthy(pod) {
  if (pod.status?.phase === 'Succeeded') return true;
  return pod.status?.phase === 'Running' && condition(pod, 'Ready')?.status === 'True' && !pod.metadata?.deletionTimestamp;
}

export function nodeStatus(node) {
  const ready = condition(node, 'Ready');
  const s = ready?.status === 'True' ? 'Ready' : ready?.status === 'False' ? 'NotReady' : 'Unknown';
  return node.spec?.unschedulable ? `${s},SchedulingDisabled` : s;
}

export function nodeRoles(node) {
  const roles = Object.keys(node.metadata?.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length));
  return roles.length ? roles.sort().join(',') : '<none>';
}

export function containerState(s) {
  if (!s) return 'Waiting';
  if (s.state?.running) return `Running since ${new Date(s.state.running.startedAt).toLocaleTimeString()}`;
  if (s.state?.waiting) return `Waiting: ${s.state.waiting.reason ?? ''}${s.state.waiting.message ? ` (${s.state.waiting.message})` : ''}`;
  if (s.state?.terminated) return `Terminated: ${s.state.terminated.reason ?? ''} (exit code ${s.state.terminated.exitCode})`;
  return 'Waiting';
}

export function byName(a, b) {
  return (a.metadata?.namespace ?? '').localeCompare(b.metadata?.namespace ?? '') || a.metadata.name.localeCompare(b.metadata.name);
}

/** `12m` / `256Mi` quantities as numbers (cores, bytes) for the usage charts. */
export function quantityValue(q) {
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(String(q ?? ''));
  if (!m) return 0;
  const n = Number(m[1]);
  const unit = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 }[m[2]];
  return unit === undefined ? 0 : n * unit;
}
