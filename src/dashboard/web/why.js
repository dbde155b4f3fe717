// `why` beside anything not healthy: cli/why's answer (one sentence, then its evidence), computed by the
// server with the user's token (/dashboard/api/why/...) and asked again whenever the object changes. The
// answer also draws on other objects (events, nodes, a Deployment's pods) that the page does not watch
// here, so it is asked again every REFRESH_MS as well while it is shown.
const REFRESH_MS = 10_000;
import { html } from './html.js';
import { useAnswer } from './hooks.js';

const whyPath = (kind, namespace, name) =>
  kind === 'nodes'
    ? `/dashboard/api/why/nodes/${encodeURIComponent(name)}`
    : `/dashboard/api/why/namespaces/${encodeURIComponent(namespace)}/${kind}/${encodeURIComponent(name)}`;

/** The full answer, for a detail page. */
export function WhyPanel({ api, kind, object }) {
  const [answer, error] = useAnswer(api, whyPath(kind, object.metadata.namespace, object.metadata.name), object.metadata.resourceVersion, REFRESH_MS);
  if (error) return html`<div class="why"><span class="error">why: ${error.message}</span></div>`;
  if (!answer) return html`<div class="why muted">Asking why…</div>`;
  if (answer.healthy) return '';
  return html`<div class="why" data-testid="why">
    <strong>Why: </strong><span data-testid="why-sentence">${answer.sentence}</span>
    <ul>${answer.evidence.map((l) => html`<li>${l}</li>`)}</ul>
  </div>`;
}

/** The sentence alone, for a table row. */
export function WhyInline({ api, kind, object }) {
  const [answer] = useAnswer(api, whyPath(kind, object.metadata.namespace, object.metadata.name), object.metadata.resourceVersion, REFRESH_MS);
  if (!answer || answer.healthy) return '';
  return html`<div class="why-inline" data-testid="why-inline">${answer.sentence}</div>`;
}
