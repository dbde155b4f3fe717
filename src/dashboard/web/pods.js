// Pods: the live list (kubectl get pods' columns, `why` under each pod not healthy) and one pod's page
// (containers and their states, conditions, events, logs, timeline, exec, usage).
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { ApiError } from './api.js';
import { useTick, useWatch } from './hooks.js';
import { age, byName, containerState, podHealthy, podReady, podRestarts, podStatus } from './format.js';
import { WhyInline, WhyPanel } from './why.js';
import { Timeline } from './timeline.js';
import { Exec } from './terminal.js';
import { Usage } from './usage.js';
import { EventTable } from './tables.js';

const podsPath = (namespace) => (namespace ? `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods` : '/api/v1/pods');
const statusClass = (pod) => (podHealthy(pod) ? 'good' : ['Pending', 'ContainerCreating', 'PodInitializing', 'Terminating'].includes(podStatus(pod)) ? 'warn' : 'bad');

export function PodList({ api, namespace }) {
  useTick(5000);
  const [pods, error] = useWatch(api, podsPath(namespace));
  return html`
    <h1>Pods ${namespace ? html`<span class="muted">in ${namespace}</span>` : ''}</h1>
    ${error ? html`<p class="error">${error.message}</p>` : ''}
    ${!pods ? html`<p class="muted">Loading…</p>` : !pods.length ? html`<p class="muted">No pods.</p>` : html`
    <div class="scroll card"><table data-testid="pods">
      <thead><tr>${!namespace ? html`<th>Namespace</th>` : ''}<th>Name</th><th>Ready</th><th>Status</th><th>Restarts</th><th>Age</th><th class="hide-narrow">Node</th></tr></thead>
      <tbody>${[...pods].sort(byName).map((p) => html`
        <tr data-testid="pod-row" data-name=${p.metadata.name}>
          ${!namespace ? html`<td>${p.metadata.namespace}</td>` : ''}
          <td class="wrap"><a href="#/pods/${encodeURIComponent(p.metadata.namespace)}/${encodeURIComponent(p.metadata.name)}">${p.metadata.name}</a>
            ${podHealthy(p) ? '' : html`<${WhyInline} api=${api} kind="pods" object=${p} />`}</td>
          <td>${podReady(p)}</td>
          <td class=${statusClass(p)} data-testid="pod-status">${podStatus(p)}</td>
          <td>${podRestarts(p)}</td>
          <td>${age(p.metadata.creationTimestamp)}</td>
          <td class="hide-narrow">${p.spec?.nodeName ?? '<none>'}</td>
        </tr>`)}
      </tbody>
    </table></div>`}`;
}

/** Follows a container's log (follow=true) into a <pre>, newest at the bottom. */
function Logs({ api, pod }) {
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => c.name);
  const [container, setContainer] = useState(pod.spec?.containers?.[0]?.name);
  const [text, setText] = useState('');
  const [error, setError] = useState(undefined);
  const pre = useRef(null);
  const started = Boolean(pod.status?.containerStatuses?.some((c) => c.name === container && (c.state?.running || c.state?.terminated)) ||
    pod.status?.initContainerStatuses?.some((c) => c.name === container && (c.state?.running || c.state?.terminated)));
  useEffect(() => {
    if (!started) return undefined;
    const ctl = new AbortController();
    setText('');
    setError(undefined);
    const ns = encodeURIComponent(pod.metadata.namespace);
    const name = encodeURIComponent(pod.metadata.name);
    // Followed until the container ends; a stream the network dropped is followed again from the tail.
    (async () => {
      while (!ctl.signal.aborted) {
        try {
          let first = true;
          for await (const line of api.lines(`/api/v1/namespaces/${ns}/pods/${name}/log?container=${encodeURIComponent(container)}&follow=true&tailLines=1000`, ctl.signal)) {
            if (first) setText('');
            first = false;
            setError(undefined);
            setText((t) => `${t}${line}\n`.slice(-200_000));
          }
          return;
        } catch (e) {
          if (ctl.signal.aborted) return;
          setError(e);
          if (e instanceof ApiError) return;
          await new Promise((resolve) => setTimeout(resolve, 2000));
        }
      }
    })();
    return () => ctl.abort();
  }, [api, container, started, pod.metadata.uid]);
  useEffect(() => {
    if (pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [text]);
  return html`
    <div class="toolbar">
      <select aria-label="container" value=${container} onChange=${(e) => setContainer(e.target.value)}>
        ${containers.map((c) => html`<option value=${c}>${c}</option>`)}
      </select>
      <span class="muted">${started ? 'following' : 'waiting for the container to start'}</span>
    </div>
    ${error ? html`<p class="error">${error.message}</p>` : ''}
    <pre class="logs" data-testid="logs" ref=${pre}>${text}</pre>`;
}

const TABS = [['logs', 'Logs'], ['timeline', 'Timeline'], ['exec', 'Exec'], ['usage', 'Usage'], ['events', 'Events']];

export function PodDetail({ api, namespace, name }) {
  useTick(5000);
  const [pods, error] = useWatch(api, `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods?fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}`);
  const [tab, setTab] = useState('logs');
  const pod = pods?.[0];
  if (error && !pod) return html`<p class="error">${error.message}</p>`;
  if (!pods) return html`<p class="muted">Loading…</p>`;
  if (!pod) return html`<h1>pod/${name}</h1><p class="muted" data-testid="pod-gone">No pod ${name} in ${namespace} (deleted?).</p>`;
  const statuses = new Map([...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].map((s) => [s.name, s]));
  const containers = [...(pod.spec?.initContainers ?? []).map((c) => ({ ...c, init: true })), ...(pod.spec?.containers ?? [])];
  let body;
  if (tab === 'logs') body = html`<${Logs} api=${api} pod=${pod} />`;
  else if (tab === 'timeline') body = html`<${Timeline} api=${api} pod=${pod} />`;
  else if (tab === 'exec') body = html`<${Exec} api=${api} pod=${pod} />`;
  else if (tab === 'usage') body = html`<${Usage} api=${api} pod=${pod} />`;
  else body = html`<${PodEvents} api=${api} pod=${pod} />`;
  return html`
    <h1>pod/${pod.metadata.name} <span class=${statusClass(pod)} data-testid="detail-status">${podStatus(pod)}</span></h1>
    ${podHealthy(pod) ? '' : html`<${WhyPanel} api=${api} kind="pods" object=${pod} />`}
    <div class="card"><dl class="facts">
      <dt>Namespace</dt><dd>${pod.metadata.namespace}</dd>
      <dt>Node</dt><dd>${pod.spec?.nodeName ?? '<none>'}</dd>
      <dt>Pod IP</dt><dd>${pod.status?.podIP ?? '<none>'}</dd>
      <dt>Age</dt><dd>${age(pod.metadata.creationTimestamp)}</dd>
      <dt>Conditions</dt><dd>${(pod.status?.conditions ?? []).map((c) => `${c.type}=${c.status}`).join(', ') || '<none>'}</dd>
    </dl></div>
    <div class="scroll card"><table data-testid="containers">
      <thead><tr><th>Container</th><th class="hide-narrow">Image</th><th>State</th><th>Ready</th><th>Restarts</th></tr></thead>
      <tbody>${containers.map((c) => {
        const s = statuses.get(c.name);
        return html`<tr><td>${c.init ? 'init: ' : ''}${c.name}</td><td class="hide-narrow">${c.image}</td><td class="wrap">${containerState(s)}</td><td>${s?.ready ? 'yes' : 'no'}</td><td>${s?.restartCount ?? 0}</td></tr>`;
      })}</tbody>
    </table></div>
    <div class="tabs" role="tablist">${TABS.map(([id, label]) => html`<button role="tab" data-testid="tab-${id}" class=${tab === id ? 'active' : ''} onClick=${() => setTab(id)}>${label}</button>`)}</div>
    ${body}`;
}

function PodEvents({ api, pod }) {
  const selector = encodeURIComponent(`involvedObject.kind=Pod,involvedObject.name=${pod.metadata.name}`);
  const [events, error] = useWatch(api, `/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace)}/events?fieldSelector=${selector}`);
  return html`${error ? html`<p class="error">${error.message}</p>` : ''}<${EventTable} events=${(events ?? []).filter((e) => !e.involvedObject?.uid || e.involvedObject.uid === pod.metadata.uid)} />`;
}
