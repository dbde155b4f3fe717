// The list pages: workloads (Deployments, StatefulSets, DaemonSets, Jobs, one kind at a time so a page
// keeps few watch streams open), nodes, namespaces and events, each live through a watch.
import { html } from './html.js';
import { useTick, useWatch } from './hooks.js';
import { age, byName, nodeRoles, nodeStatus } from './format.js';
import { WhyInline } from './why.js';

const nsPath = (group, resource, namespace) => `${group}${namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''}/${resource}`;
const condition = (o, type) => o.status?.conditions?.find((c) => c.type === type);

const WORKLOADS = {
  deployments: {
    label: 'Deployments', group: '/apis/apps/v1',
    columns: ['Ready', 'Up-to-date', 'Available'],
    row: (d) => [`${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 1}`, d.status?.updatedReplicas ?? 0, d.status?.availableReplicas ?? 0],
    healthy: (d) => (d.status?.availableReplicas ?? 0) >= (d.spec?.replicas ?? 1) && (d.status?.updatedReplicas ?? 0) >= (d.spec?.replicas ?? 1) && condition(d, 'Progressing')?.reason !== 'ProgressDeadlineExceeded',
    why: true,
  },
  statefulsets: {
    label: 'StatefulSets', group: '/apis/apps/v1',
    columns: ['Ready'],
    row: (s) => [`${s.status?.readyReplicas ?? 0}/${s.spec?.replicas ?? 1}`],
    healthy: (s) => (s.status?.readyReplicas ?? 0) >= (s.spec?.replicas ?? 1),
    why: true,
  },
  daemonsets: {
    label: 'DaemonSets', group: '/apis/apps/v1',
    columns: ['Desired', 'Current', 'Ready', 'Available'],
    row: (d) => [d.status?.desiredNumberScheduled ?? 0, d.status?.currentNumberScheduled ?? 0, d.status?.numberReady ?? 0, d.status?.numberAvailable ?? 0],
    healthy: (d) => (d.status?.numberReady ?? 0) >= (d.status?.desiredNumberScheduled ?? 0),
    why: true,
  },
  jobs: {
    label: 'Jobs', group: '/apis/batch/v1',
    columns: ['Status', 'Completions'],
    row: (j) => [condition(j, 'Complete')?.status === 'True' ? 'Complete' : condition(j, 'Failed')?.status === 'True' ? 'Failed' : 'Running', `${j.status?.succeeded ?? 0}/${j.spec?.completions ?? 1}`],
    healthy: (j) => condition(j, 'Failed')?.status !== 'True',
    why: true,
  },
};

export function Workloads({ api, namespace, kind }) {
  useTick(5000);
  const spec = WORKLOADS[kind] ?? WORKLOADS.deployments;
  const [items, error] = useWatch(api, nsPath(spec.group, kind in WORKLOADS ? kind : 'deployments', namespace));
  return html`
    <h1>Workloads ${namespace ? html`<span class="muted">in ${namespace}</span>` : ''}</h1>
    <div class="tabs">${Object.entries(WORKLOADS).map(([id, w]) => html`<button class=${id === kind ? 'active' : ''} onClick=${() => { location.hash = `#/workloads/${id}`; }}>${w.label}</button>`)}</div>
    ${error ? html`<p class="error">${error.message}</p>` : ''}
    ${!items ? html`<p class="muted">Loading…</p>` : !items.length ? html`<p class="muted">No ${spec.label}.</p>` : html`
    <div class="scroll card"><table data-testid="workloads">
      <thead><tr>${!namespace ? html`<th>Namespace</th>` : ''}<th>Name</th>${spec.columns.map((c) => html`<th>${c}</th>`)}<th>Age</th></tr></thead>
      <tbody>${[...items].sort(byName).map((o) => html`<tr>
        ${!namespace ? html`<td>${o.metadata.namespace}</td>` : ''}
        <td class="wrap"><span class=${spec.healthy(o) ? '' : 'warn'}>${o.metadata.name}</span>
          ${spec.why && !spec.healthy(o) ? html`<${WhyInline} api=${api} kind=${kind} object=${o} />` : ''}</td>
        ${spec.row(o).map((v) => html`<td>${v}</td>`)}
        <td>${age(o.metadata.creationTimestamp)}</td></tr>`)}
      </tbody></table></div>`}`;
}

export function Nodes({ api }) {
  useTick(5000);
  const [nodes, error] = useWatch(api, '/api/v1/nodes');
  return html`
    <h1>Nodes</h1>
    ${error ? html`<p class="error">${error.message}</p>` : ''}
    ${!nodes ? html`<p class="muted">Loading…</p>` : html`
    <div class="scroll card"><table data-testid="nodes">
      <thead><tr><th>Name</th><th>Status</th><th>Roles</th><th>Age</th><th class="hide-narrow">Version</th><th class="hide-narrow">Internal IP</th></tr></thead>
      <tbody>${[...nodes].sort(byName).map((n) => html`<tr>
        <td class="wrap">${n.metadata.name}${nodeStatus(n) === 'Ready' ? '' : html`<${WhyInline} api=${api} kind="nodes" object=${n} />`}</td>
        <td class=${nodeStatus(n) === 'Ready' ? 'good' : 'bad'}>${nodeStatus(n)}</td>
        <td>${nodeRoles(n)}</td>
        <td>${age(n.metadata.creationTimestamp)}</td>
        <td class="hide-narrow">${n.status?.nodeInfo?.kubeletVersion ?? ''}</td>
        <td class="hide-narrow">${(n.status?.addresses ?? []).find((a) => a.type === 'InternalIP')?.address ?? ''}</td>
      </tr>`)}</tbody></table></div>`}`;
}

export function Namespaces({ api }) {
  useTick(5000);
  const [items, error] = useWatch(api, '/api/v1/namespaces');
  return html`
    <h1>Namespaces</h1>
    ${error ? html`<p class="error">${error.message}</p>` : ''}
    ${!items ? html`<p class="muted">Loading…</p>` : html`
    <div class="scroll card"><table data-testid="namespaces">
      <thead><tr><th>Name</th><th>Status</th><th>Age</th></tr></thead>
      <tbody>${[...items].sort(byName).map((n) => html`<tr><td>${n.metadata.name}</td><td>${n.status?.phase ?? 'Active'}</td><td>${age(n.metadata.creationTimestamp)}</td></tr>`)}</tbody>
    </table></div>`}`;
}

const lastSeen = (e) => e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;

export function EventTable({ events, showObject = false }) {
  if (!events.length) return html`<p class="muted">No events.</p>`;
  const sorted = [...events].sort((a, b) => Date.parse(lastSeen(b) ?? 0) - Date.parse(lastSeen(a) ?? 0));
  return html`<div class="scroll card"><table data-testid="events">
    <thead><tr><th>Last seen</th><th>Type</th><th>Reason</th>${showObject ? html`<th>Object</th>` : ''}<th>Message</th></tr></thead>
    <tbody>${sorted.map((e) => html`<tr>
      <td>${age(lastSeen(e))}</td><td class=${e.type === 'Warning' ? 'warn' : ''}>${e.type}</td><td>${e.reason}${(e.count ?? 1) > 1 ? ` (x${e.count})` : ''}</td>
      ${showObject ? html`<td>${(e.involvedObject?.kind ?? '').toLowerCase()}/${e.involvedObject?.name}</td>` : ''}
      <td class="wrap">${e.message}</td></tr>`)}</tbody>
  </table></div>`;
}

export function Events({ api, namespace }) {
  useTick(5000);
  const [events, error] = useWatch(api, namespace ? `/api/v1/namespaces/${encodeURIComponent(namespace)}/events` : '/api/v1/events');
  return html`
    <h1>Events ${namespace ? html`<span class="muted">in ${namespace}</span>` : ''}</h1>
    ${error ? html`<p class="error">${error.message}</p>` : ''}
    ${!events ? html`<p class="muted">Loading…</p>` : html`<${EventTable} events=${events} showObject=${true} />`}`;
}
