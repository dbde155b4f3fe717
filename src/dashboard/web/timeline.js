// A pod's timeline as a chart: one row a step (cli/why's TimelineStep, served by /dashboard/api/timeline),
// a dot where it happened on a shared time axis from the pod's creation, a bar back to its start where the
// step took time (an image pull, the wait to be scheduled, the run of a container that exited).
import { html } from './html.js';
import { useAnswer } from './hooks.js';

const ROW = 22;
const LABEL = 330;
const WIDTH = 900;
/** Room right of the last dot for its offset and duration. */
const RIGHT = 130;

function took(ms) {
  if (ms === undefined) return '';
  return ms < 1000 ? `${ms}ms` : ms < 120_000 ? `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s` : `${Math.round(ms / 60_000)}m`;
}

export function Timeline({ api, pod }) {
  const ns = encodeURIComponent(pod.metadata.namespace);
  const name = encodeURIComponent(pod.metadata.name);
  const [answer, error] = useAnswer(api, `/dashboard/api/timeline/namespaces/${ns}/pods/${name}`, pod.metadata.resourceVersion);
  if (error) return html`<p class="error">${error.message}</p>`;
  if (!answer) return html`<p class="muted">Loading…</p>`;
  const steps = answer.steps;
  if (!steps.length) return html`<p class="muted">Nothing recorded yet.</p>`;
  const start = Math.min(Date.parse(answer.created ?? '') || Infinity, ...steps.map((s) => s.at - (s.durationMs ?? 0)));
  const end = Math.max(...steps.map((s) => s.at), start + 1000);
  const x = (t) => LABEL + ((t - start) / (end - start)) * (WIDTH - LABEL - RIGHT);
  const height = steps.length * ROW + 30;
  return html`
    <div class="timeline card" data-testid="timeline">
      <svg viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="pod timeline">
        <line class="axis" x1=${LABEL} y1=${height - 24} x2=${WIDTH - RIGHT} y2=${height - 24} />
        <text x=${LABEL} y=${height - 8}>+0s</text>
        <text x=${WIDTH - RIGHT} y=${height - 8} text-anchor="end">+${took(end - start)}</text>
        ${steps.map((s, i) => {
          const y = i * ROW + 14;
          const bad = /fail|back-off|exited with code [1-9]|not scheduled|probe failed|evicted/.test(s.step);
          return html`<g data-testid="timeline-step">
            <title>${new Date(s.at).toISOString()} ${s.step}${s.durationMs !== undefined ? ` (took ${took(s.durationMs)})` : ''}${s.detail ? `: ${s.detail}` : ''}</title>
            <text x="4" y=${y + 4}>${s.step.length > 48 ? `${s.step.slice(0, 47)}…` : s.step}</text>
            ${s.durationMs ? html`<rect class="bar" x=${x(s.at - s.durationMs)} y=${y - 6} width=${Math.max(2, x(s.at) - x(s.at - s.durationMs))} height="12" />` : ''}
            <circle class=${bad ? 'dot bad' : 'dot'} cx=${x(s.at)} cy=${y} r="5" />
            <text x=${x(s.at) + 9} y=${y + 4} class="muted">+${took(s.at - start)}${s.durationMs !== undefined ? ` (${took(s.durationMs)})` : ''}</text>
          </g>`;
        })}
      </svg>
    </div>`;
}
