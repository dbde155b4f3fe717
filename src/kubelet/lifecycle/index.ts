/** Lifecycle hooks (postStart, preStop) and the HTTP GET the hooks and the prober share. */
export { HandlerRunner, type HandlerRunnerConfig } from './handlers.ts';
export { httpGet, httpGetUrl, resolvePort, PROBE_USER_AGENT, type HttpGetResult } from './http-get.ts';
