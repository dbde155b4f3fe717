// Resource usage graphs from metrics.k8s.io (what `kubectl top` reads): CPU and memory of each container,
// one point per sample while the graph is open. The metrics API has no watch, so this is the one view that
// asks again on a timer (every 10 s, about the kubelet's own resolution).
import { html } from './html.js';
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { quantityValue } from './format.js';

const PERIOD_MS = 10_000;
const COLORS = ['#2f6fdb', '#c53030', '#2f855a', '#b7791f', '#805ad5'];

function Chart({ title, unit, series }) {
  const box = useRef(null);
  const plot = useRef(null);
  const names = Object.keys(series.values);
  useEffect(() => {
    const opts = {
      title, width: Math.min(box.current.clientWidth || 600, 900), height: 200,
      series: [{}, ...names.map((n, i) => ({ label: n, stroke: COLORS[i % COLORS.length], value: (_u, v) => (v == null ? '-' : `${v.toFixed(unit === 'MiB' ? 1 : 0)} ${unit}`) }))],
      axes: [{}, { label: unit }],
      // At least a minute wide: a single first sample would otherwise stretch the axis over years.
      scales: { x: { time: true, range: (_u, min, max) => [min, Math.max(max, min + 60)] }, y: { range: (_u, _min, max) => [0, Math.max(max * 1.1, 1)] } },
    };
    plot.current = new uPlot(opts, [series.times, ...names.map((n) => series.values[n])], box.current);
    return () => plot.current.destroy();
  }, [names.join(',')]);
  useEffect(() => {
    plot.current?.setData([series.times, ...names.map((n) => series.values[n])]);
  });
  return html`<div class="chart" ref=${box}></div>`;
}

export function Usage({ api, pod }) {
  const [samples, setSamples] = useState([]);
  const [error, setError] = useState(undefined);
  const ns = encodeURIComponent(pod.metadata.namespace);
  const name = encodeURIComponent(pod.metadata.name);
  useEffect(() => {
    const ctl = new AbortController();
    const take = () =>
      api.get(`/apis/metrics.k8s.io/v1beta1/namespaces/${ns}/pods/${name}`, ctl.signal).then(
        (m) => { setError(undefined); setSamples((s) => [...s.slice(-179), { t: Date.now() / 1000, containers: m.containers ?? [] }]); },
        (e) => { if (!ctl.signal.aborted) setError(e); },
      );
    take();
    const t = setInterval(take, PERIOD_MS);
    return () => { clearInterval(t); ctl.abort(); };
  }, [api, ns, name]);
  if (error && !samples.length) return html`<p class="error">${error.code === 404 ? 'No metrics for this pod yet (the kubelet reports them once its containers run).' : error.message}</p>`;
  if (!samples.length) return html`<p class="muted">Loading…</p>`;
  const names = [...new Set(samples.flatMap((s) => s.containers.map((c) => c.name)))];
  const series = (pick) => ({
    times: samples.map((s) => s.t),
    values: Object.fromEntries(names.map((n) => [n, samples.map((s) => { const c = s.containers.find((x) => x.name === n); return c ? pick(c) : null; })])),
  });
  const last = samples.at(-1);
  return html`
    <div data-testid="usage">
      <p class="muted">${last.containers.map((c) => `${c.name}: ${Math.round(quantityValue(c.usage?.cpu) * 1000)}m CPU, ${(quantityValue(c.usage?.memory) / 1024 ** 2).toFixed(1)}Mi memory`).join(' · ')}</p>
      <${Chart} title="CPU" unit="millicores" series=${series((c) => quantityValue(c.usage?.cpu) * 1000)} />
      <${Chart} title="Memory" unit="MiB" series=${series((c) => quantityValue(c.usage?.memory) / 1024 ** 2)} />
    </div>`;
}
