// The kubeling dashboard: log in with a bearer token (or a kubeconfig's), then everything the token may
// read, live through watches. Routes live in the location hash: #/pods, #/pods/NS/NAME, #/workloads,
// #/nodes, #/namespaces, #/events.
import { render } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { html } from './html.js';
import { Api } from './api.js';
import { Login } from './login.js';
import { useHashRoute, useWatch } from './hooks.js';
import { PodList, PodDetail } from './pods.js';
import { Events, Namespaces, Nodes, Workloads } from './tables.js';

const TOKEN_KEY = 'kubeling.dashboard.token';
const NAMESPACE_KEY = 'kubeling.dashboard.namespace';
const SECTIONS = [['pods', 'Pods'], ['workloads', 'Workloads'], ['nodes', 'Nodes'], ['namespaces', 'Namespaces'], ['events', 'Events']];

function NamespacePicker({ api, namespace, onChange }) {
  const [items] = useWatch(api, '/api/v1/namespaces');
  const names = (items ?? []).map((n) => n.metadata.name).sort();
  if (namespace && !names.includes(namespace)) names.unshift(namespace);
  return html`<select aria-label="namespace" data-testid="namespace" value=${namespace} onChange=${(e) => onChange(e.target.value)}>
    <option value="">all namespaces</option>
    ${names.map((n) => html`<option value=${n}>${n}</option>`)}
  </select>`;
}

function Shell({ session, onLogout }) {
  const api = useMemo(() => new Api(session.token), [session.token]);
  const route = useHashRoute();
  const [namespace, setNamespace] = useState(() => sessionStorage.getItem(NAMESPACE_KEY) ?? 'default');
  const chooseNamespace = (ns) => { sessionStorage.setItem(NAMESPACE_KEY, ns); setNamespace(ns); };
  const section = route[0] ?? 'pods';
  let view;
  if (section === 'pods' && route.length === 3) view = html`<${PodDetail} api=${api} namespace=${route[1]} name=${route[2]} />`;
  else if (section === 'workloads') view = html`<${Workloads} api=${api} namespace=${namespace} kind=${route[1] ?? 'deployments'} />`;
  else if (section === 'nodes') view = html`<${Nodes} api=${api} />`;
  else if (section === 'namespaces') view = html`<${Namespaces} api=${api} />`;
  else if (section === 'events') view = html`<${Events} api=${api} namespace=${namespace} />`;
  else view = html`<${PodList} api=${api} namespace=${namespace} />`;
  return html`
    <header>
      <span class="brand">kubeling</span>
      <nav>${SECTIONS.map(([id, label]) => html`<a href="#/${id}" class=${section === id ? 'active' : ''}>${label}</a>`)}</nav>
      <span class="who">
        <${NamespacePicker} api=${api} namespace=${namespace} onChange=${chooseNamespace} />
        <span data-testid="user">${session.user}</span>
        <button class="link" data-testid="logout" onClick=${onLogout}>Log out</button>
      </span>
    </header>
    <main>${view}</main>`;
}

function App() {
  const [session, setSession] = useState(() => {
    try {
      return JSON.parse(sessionStorage.getItem(TOKEN_KEY) ?? 'null');
    } catch {
      return null;
    }
  });
  const login = (s) => { sessionStorage.setItem(TOKEN_KEY, JSON.stringify(s)); setSession(s); };
  const logout = () => { sessionStorage.removeItem(TOKEN_KEY); setSession(null); };
  if (!session) return html`<${Login} onLogin=${login} />`;
  return html`<${Shell} session=${session} onLogout=${logout} />`;
}

// The shell's "Loading…" goes: render() adds to a container, it does not replace what is there.
const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
