// Exec into a container from the browser: an xterm.js terminal over the API server's exec WebSocket with
// Kubernetes' channel protocol (v5.channel.k8s.io, else v4): each binary frame starts with its channel
// (0 stdin, 1 stdout, 2 stderr, 3 the final Status, 4 terminal size; v5 adds 255 to close a channel).
// The token travels as a subprotocol, since browsers cannot set headers on a WebSocket.
import { html } from './html.js';
import { useEffect, useRef, useState } from 'preact/hooks';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { bearerProtocol } from './api.js';

export function Exec({ api, pod }) {
  const containers = (pod.spec?.containers ?? []).map((c) => c.name);
  const [container, setContainer] = useState(containers[0]);
  const [command, setCommand] = useState('sh');
  const [session, setSession] = useState(0);
  const [state, setState] = useState('');
  const box = useRef(null);
  useEffect(() => {
    if (!session) return undefined;
    const term = new Terminal({ convertEol: false, fontSize: 13, cursorBlink: true });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(box.current);
    fit.fit();
    const ns = encodeURIComponent(pod.metadata.namespace);
    const name = encodeURIComponent(pod.metadata.name);
    const params = new URLSearchParams({ container, stdin: 'true', stdout: 'true', tty: 'true' });
    for (const word of command.trim().split(/\s+/)) params.append('command', word);
    const ws = new WebSocket(`wss://${location.host}/api/v1/namespaces/${ns}/pods/${name}/exec?${params}`, ['v5.channel.k8s.io', 'v4.channel.k8s.io', bearerProtocol(api.token)]);
    ws.binaryType = 'arraybuffer';
    const encoder = new TextEncoder();
    const sendChannel = (channel, bytes) => {
      if (ws.readyState !== WebSocket.OPEN) return;
      const frame = new Uint8Array(bytes.length + 1);
      frame[0] = channel;
      frame.set(bytes, 1);
      ws.send(frame);
    };
    const resize = () => sendChannel(4, encoder.encode(JSON.stringify({ Width: term.cols, Height: term.rows })));
    setState('connecting');
    ws.onopen = () => { setState('connected'); resize(); term.focus(); };
    ws.onmessage = (m) => {
      const data = new Uint8Array(m.data);
      if (data[0] === 1 || data[0] === 2) term.write(data.subarray(1));
      else if (data[0] === 3) {
        const status = JSON.parse(new TextDecoder().decode(data.subarray(1)) || '{}');
        if (status.status === 'Failure') setState(`ended: ${status.message ?? status.reason}`);
        else setState('ended: exit code 0');
      }
    };
    ws.onclose = (e) => setState((s) => (s.startsWith('ended') ? s : `closed${e.reason ? `: ${e.reason}` : ''}`));
    ws.onerror = () => setState('error: the exec connection failed');
    const input = term.onData((d) => sendChannel(0, encoder.encode(d)));
    const onResize = () => { fit.fit(); resize(); };
    addEventListener('resize', onResize);
    return () => {
      removeEventListener('resize', onResize);
      input.dispose();
      ws.close();
      term.dispose();
    };
  }, [session]);
  return html`
    <div class="toolbar">
      <select aria-label="container" value=${container} onChange=${(e) => setContainer(e.target.value)}>
        ${containers.map((c) => html`<option value=${c}>${c}</option>`)}
      </select>
      <input aria-label="command" data-testid="exec-command" value=${command} onInput=${(e) => setCommand(e.target.value)} />
      <button data-testid="exec-run" onClick=${() => setSession((n) => n + 1)}>Run</button>
      <span class="muted" data-testid="exec-state">${state}</span>
    </div>
    <div class="terminal" data-testid="terminal" ref=${box}></div>`;
}
