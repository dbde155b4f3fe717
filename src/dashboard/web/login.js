// Log in with a bearer token (the admin kubeconfig's, a service account's), or with a kubeconfig file whose
// current context's user has a token. The token is checked with a SelfSubjectReview before it is kept
// (in sessionStorage: gone when the tab closes).
import { useState } from 'preact/hooks';
import { parse } from 'yaml';
import { html } from './html.js';
import { Api, ApiError } from './api.js';

/** The token of the kubeconfig's current context's user, or an error message. */
export function tokenFromKubeconfig(text) {
  let config;
  try {
    config = parse(text);
  } catch (e) {
    return { error: `not a kubeconfig: ${e.message}` };
  }
  const contextName = config?.['current-context'];
  const context = (config?.contexts ?? []).find((c) => c.name === contextName)?.context;
  const user = (config?.users ?? []).find((u) => u.name === context?.user)?.user;
  if (!user) return { error: 'the kubeconfig has no user for its current context' };
  if (user.token) return { token: user.token };
  if (user['client-certificate-data'] || user['client-certificate']) return { error: "this kubeconfig's user has a client certificate, which a browser page cannot present: log in with a token" };
  return { error: "the kubeconfig's user has no token" };
}

export function Login({ onLogin }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (t) => {
    setError('');
    setBusy(true);
    try {
      const user = await new Api(t.trim()).whoAmI();
      onLogin({ token: t.trim(), user });
    } catch (e) {
      setError(e instanceof ApiError && e.code === 401 ? 'Unauthorized: the server does not accept this token.' : e.message);
    } finally {
      setBusy(false);
    }
  };
  const onFile = async (e) => {
    const file = e.target.files?.[0];
    if (!file) return;
    const found = tokenFromKubeconfig(await file.text());
    if (found.error) setError(found.error);
    else await submit(found.token);
  };
  return html`
    <div class="login card">
      <h1>kubeling dashboard</h1>
      <p class="muted">Log in with a bearer token: the admin kubeconfig's (<code>DIR/kubeconfig.yaml</code>), or a service account's (<code>kubectl create token NAME</code>). What you see is what that identity may read.</p>
      <form onSubmit=${(e) => { e.preventDefault(); void submit(token); }}>
        <textarea data-testid="token" aria-label="token" placeholder="token" value=${token} onInput=${(e) => setToken(e.target.value)}></textarea>
        <div class="toolbar"><button class="primary" data-testid="login" disabled=${busy || !token.trim()}>Log in</button></div>
      </form>
      <p class="muted">Or choose a kubeconfig file: <input type="file" data-testid="kubeconfig" aria-label="kubeconfig file" onChange=${onFile} /></p>
      ${error ? html`<p class="error" data-testid="login-error">${error}</p>` : ''}
    </div>`;
}
