/**
 * The web dashboard in a real browser: Debian's headless Chromium, driven by puppeteer-core, against one
 * server with real containers. It logs in with the admin kubeconfig file and with its token, sees a pod
 * appear live when kubectl creates it, reads its logs, charts its timeline, execs `hostname` in it over
 * the exec WebSocket (the token passed as a subprotocol), graphs its usage from metrics.k8s.io, and reads
 * `why` beside a pod no node can take, a Deployment whose pod cannot start and a Job that failed;
 * the pod list still fits a phone's width. Screenshots of each step are kept in .artifacts/dashboard/
 * (gitignored). A second, cheap server checks the shell's headers and `--dashboard=false`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { startServer, type ServerHandle } from './helpers/server.ts';
import { untilWith } from './helpers/until.ts';
import { apply, deleteAllPods, importBusybox } from './pod-helpers.ts';
import { CHROMIUM, missingChromium, missingRealContainers } from '../prerequisites.ts';

/** The little of the DOM the in-page checks use: they run in the browser, and the project's types have no lib.dom. */
interface PageElement {
  textContent: string | null;
  value: string;
  querySelector(selector: string): PageElement | null;
}
declare const document: {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
  documentElement: { scrollWidth: number; clientWidth: number };
};

const ARTIFACTS = join(import.meta.dirname, '..', '..', '.artifacts', 'dashboard');
const skip = missingChromium() ?? missingRealContainers();

/** One GET through the server's CA: status, headers and body. */
function get(server: ServerHandle, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(`${server.url}${path}`, { ca: server.caPem, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
}

/** Waits until `fn` (run in the page) returns something truthy; the last value goes into the failure. */
async function waitInPage<T>(page: Page, what: string, fn: () => T, timeoutMs = 60_000): Promise<T> {
  let last: unknown;
  return untilWith(async () => (last = await page.evaluate(fn)), what, { timeoutMs, detail: () => JSON.stringify(last) });
}

/**
 * Runs `attempt` until it passes. Chromium drops requests in flight with ERR_NETWORK_CHANGED whenever the
 * host's addresses change, which other tests' pod networks do all the time on a shared machine: page loads
 * and one-shot requests are retried (the page's own watches and log streams retry by themselves).
 */
function retrying(what: string, attempt: () => Promise<unknown>, timeoutMs = 120_000): Promise<unknown> {
  return untilWith(async () => (await attempt(), true), what, { timeoutMs, intervalMs: 1000 });
}

async function open(page: Page, url: string, ready: string): Promise<void> {
  await retrying(`${ready} at ${url}`, async () => {
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForSelector(ready, { timeout: 20_000 });
  });
}

async function setValue(page: Page, selector: string, value: string): Promise<void> {
  await page.$eval(selector, (el) => ((el as unknown as PageElement).value = ''));
  await page.type(selector, value);
}

const text = (page: Page, selector: string) => page.evaluate((s) => document.querySelector(s)?.textContent ?? '', selector);

test('the dashboard: static shell with its headers, off with --dashboard=false', async (t) => {
  const on = await startServer({ runtime: 'fake', storage: 'memory', noAgent: true });
  t.after(() => on.stop());
  const shell = await get(on, '/dashboard/');
  assert.equal(shell.status, 200);
  assert.equal(shell.headers['content-type'], 'text/html; charset=utf-8');
  assert.match(String(shell.headers['content-security-policy']), /script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
  assert.match(String(shell.headers['content-security-policy']), /frame-ancestors 'none'/);
  assert.equal(shell.headers['cache-control'], 'no-cache');
  const lib = await get(on, '/dashboard/vendor/preact/preact.mjs');
  assert.equal(lib.status, 200);
  assert.equal(lib.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(lib.headers['cache-control'], 'public, max-age=86400');
  assert.equal((await get(on, '/dashboard/app.js', { 'If-None-Match': String(shell.headers.etag) })).status, 200);
  const js = await get(on, '/dashboard/app.js');
  assert.equal((await get(on, '/dashboard/app.js', { 'If-None-Match': String(js.headers.etag) })).status, 304);
  assert.equal((await get(on, '/dashboard/vendor/preact/..%2F..%2Fpackage.json')).status, 404);
  assert.equal((await get(on, '/dashboard/vendor/not-a-package/index.js')).status, 404);
  assert.equal((await get(on, '/dashboard')).headers.location, '/dashboard/');
  // Data only with a token: the answers the server computes for the page are 401 without one.
  const anonymous = await get(on, '/dashboard/api/why/namespaces/default/pods/x');
  assert.equal(anonymous.status, 401);
  assert.equal(JSON.parse(anonymous.body).reason, 'Unauthorized');
  const missing = await get(on, '/dashboard/api/why/namespaces/default/pods/x', { Authorization: `Bearer ${on.token}` });
  assert.equal(missing.status, 404);
  assert.equal(JSON.parse(missing.body).message, 'pods "x" not found');

  const off = await startServer({ runtime: 'fake', storage: 'memory', noAgent: true, args: ['--dashboard=false'] });
  t.after(() => off.stop());
  assert.equal((await get(off, '/dashboard/')).status, 401);
  const offWithToken = await get(off, '/dashboard/', { Authorization: `Bearer ${off.token}` });
  assert.equal(offWithToken.status, 404, offWithToken.body);
});

test('the dashboard in Chromium: log in, a pod appears live, logs, timeline, exec hostname, usage, why for a Pending pod', { skip, timeout: 600_000 }, async (t) => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const server = await startServer({ runtime: 'oci', storage: 'memory' });
  t.after(async () => {
    await deleteAllPods(server);
    await server.stop();
  });
  await importBusybox(server);
  const browser: Browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    acceptInsecureCerts: true,
    // Root (as the tests run) needs --no-sandbox; /dev/shm may be small in containers.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${(err as Error).message}`));
  // Expected refusals: the wrong token (below), and a pod's metrics before the kubelet has sampled it
  // (metrics.k8s.io answers 404 then, as metrics-server does). Anything else failing is a bug.
  const expected = (status: number, url: string) =>
    (status === 401 && url.endsWith('/selfsubjectreviews')) || (status === 404 && url.includes('/apis/metrics.k8s.io/'));
  page.on('response', (r) => void (r.status() >= 400 && !expected(r.status(), r.url()) && problems.push(`${r.status()} ${r.request().method()} ${r.url()}`)));
  page.on('console', (m) => void (m.type() === 'error' && !m.text().startsWith('Failed to load resource') && problems.push(`console: ${m.text()}`)));
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  await page.setViewport({ width: 1200, height: 900 });

  // Log in with the admin kubeconfig's token (a wrong one first).
  await open(page, `${server.url}/dashboard/`, '[data-testid=token]');
  await retrying('the wrong token refused', async () => {
    await setValue(page, '[data-testid=token]', 'not-a-token');
    await page.click('[data-testid=login]');
    await page.waitForFunction(() => /Unauthorized/.test(document.querySelector('[data-testid=login-error]')?.textContent ?? ''), { timeout: 15_000 });
  });
  // A kubeconfig file works too (its current user's token, read in the page), and logging out forgets it.
  await retrying('logged in with the kubeconfig file', async () => {
    const input = await page.waitForSelector('[data-testid=kubeconfig]', { timeout: 15_000 });
    await input!.uploadFile(server.kubeconfig);
    await page.waitForSelector('[data-testid=user]', { timeout: 15_000 });
  });
  assert.equal(await text(page, '[data-testid=user]'), 'system:admin');
  await page.click('[data-testid=logout]');
  await page.waitForSelector('[data-testid=token]', { timeout: 15_000 });
  await retrying('logged in', async () => {
    await setValue(page, '[data-testid=token]', server.token);
    await page.click('[data-testid=login]');
    await page.waitForSelector('[data-testid=user]', { timeout: 15_000 });
  });
  assert.equal(await text(page, '[data-testid=user]'), 'system:admin');
  await shot('1-logged-in');

  // A pod created with kubectl shows up in the open list, through the watch, and turns Running.
  await apply(server, `apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: app\n    image: busybox:1.35\n    command: ["sh", "-c", "echo hello-from-web; sleep 3600"]\n`);
  await waitInPage(page, 'pod web Running in the list', () => {
    const row = document.querySelector('[data-testid=pod-row][data-name=web]');
    return row?.querySelector('[data-testid=pod-status]')?.textContent === 'Running' && row.textContent;
  }, 120_000);
  await shot('2-pod-running');

  // Its page: containers, logs (followed), timeline chart.
  await page.click('[data-testid=pod-row][data-name=web] a');
  await page.waitForSelector('[data-testid=containers]', { timeout: 30_000 });
  await waitInPage(page, 'the log line', () => document.querySelector('[data-testid=logs]')?.textContent?.includes('hello-from-web'));
  await shot('3-logs');
  await page.click('[data-testid=tab-timeline]');
  const steps: string[] = await waitInPage(page, 'the timeline chart', () => {
    const all = [...document.querySelectorAll('[data-testid=timeline-step]')].map((g) => g.textContent ?? '');
    return all.some((s) => s.includes('container app started')) && all;
  }) as string[];
  assert.ok(steps.some((s) => s.includes('pod created')), steps.join('\n'));
  // The kubelet's own record (ms steps), merged with the API's: what the node did, not only its events.
  assert.ok(steps.some((s) => s.includes('sandbox created')), steps.join('\n'));
  assert.ok(steps.some((s) => s.includes('scheduled')), steps.join('\n'));
  await shot('4-timeline');

  // Exec `hostname` in the container: its output (the pod's name) comes back into the terminal.
  await page.click('[data-testid=tab-exec]');
  await setValue(page, '[data-testid=exec-command]', 'hostname');
  await retrying('hostname in the terminal', async () => {
    await page.click('[data-testid=exec-run]');
    await page.waitForFunction(() => /\bweb\b/.test(document.querySelector('[data-testid=terminal] .xterm-rows')?.textContent ?? ''), { timeout: 20_000 });
  });
  assert.match(await text(page, '[data-testid=exec-state]'), /ended: exit code 0|connected|closed/);
  await shot('5-exec');

  // Usage graphs from metrics.k8s.io (the kubelet's first CPU rate needs two samples, hence the wait).
  await page.click('[data-testid=tab-usage]');
  const usage = await waitInPage(page, 'usage figures', () => {
    const figures = document.querySelector('[data-testid=usage] p')?.textContent ?? '';
    return /app: \d+m CPU, [\d.]+Mi memory/.test(figures) && document.querySelectorAll('[data-testid=usage] canvas') && figures;
  }, 120_000);
  assert.match(String(usage), /app: /);
  await shot('5b-usage');

  // A pod no node can take: `why` beside it in the list and on its page, naming the nodeSelector.
  await open(page, `${server.url}/dashboard/#/pods`, '[data-testid=pods]');
  await apply(server, `apiVersion: v1\nkind: Pod\nmetadata:\n  name: stuck\nspec:\n  nodeSelector:\n    disktype: none\n  containers:\n  - name: app\n    image: busybox:1.35\n    command: ["sleep", "3600"]\n`);
  const inline = await waitInPage(page, 'why under the Pending pod', () =>
    document.querySelector('[data-testid=pod-row][data-name=stuck] [data-testid=why-inline]')?.textContent);
  assert.match(inline ?? '', /pod\/stuck is Pending: no node can run it/);
  await page.click('[data-testid=pod-row][data-name=stuck] a');
  const sentence = await waitInPage(page, 'why on the Pending pod\'s page', () => document.querySelector('[data-testid=why-sentence]')?.textContent);
  assert.match(sentence ?? '', /disktype=none/);
  await shot('6-why-pending');

  // A Deployment whose pod cannot start: `why` beside it on the workloads page reaches the pod's reason.
  await apply(server, `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: broken\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: broken}\n  template:\n    metadata:\n      labels: {app: broken}\n    spec:\n      containers:\n      - name: app\n        image: not-on-this-node:1\n        imagePullPolicy: Never\n`);
  await open(page, `${server.url}/dashboard/#/workloads/deployments`, '[data-testid=workloads]');
  const deploymentWhy = await waitInPage(page, 'why beside the Deployment', () =>
    /imagePullPolicy is Never/.test(document.querySelector('[data-testid=workloads] [data-testid=why-inline]')?.textContent ?? '') &&
    document.querySelector('[data-testid=workloads] [data-testid=why-inline]')?.textContent, 120_000);
  assert.match(String(deploymentWhy), /^deployment\/broken /);
  await shot('7-workloads');

  // A Job whose pod exits 3 with backoffLimit 0: `why` beside it on the Jobs tab names the reason and the exit.
  await apply(server, `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: doomed\nspec:\n  backoffLimit: 0\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: main\n        image: busybox:1.35\n        command: ["sh", "-c", "exit 3"]\n`);
  await open(page, `${server.url}/dashboard/#/workloads/jobs`, '[data-testid=workloads]');
  const jobWhy = await waitInPage(page, 'why beside the failed Job', () =>
    [...document.querySelectorAll('[data-testid=workloads] [data-testid=why-inline]')].map((e) => e.textContent ?? '').find((t) => t.startsWith('job/doomed ')), 120_000);
  assert.match(String(jobWhy), /^job\/doomed has failed \(BackoffLimitExceeded\): .* exited with exit code 3/);
  await shot('7b-jobs');

  // The other pages: the node Ready with its role, the pods' events, the namespaces.
  await open(page, `${server.url}/dashboard/#/nodes`, '[data-testid=nodes]');
  await waitInPage(page, 'the node Ready', () => /Ready\s*control-plane/.test(document.querySelector('[data-testid=nodes] tbody')?.textContent ?? ''));
  await open(page, `${server.url}/dashboard/#/events`, '[data-testid=events]');
  await waitInPage(page, 'the pods\' events', () => /Scheduledpod\/web/.test(document.querySelector('[data-testid=events] tbody')?.textContent ?? ''));
  await open(page, `${server.url}/dashboard/#/namespaces`, '[data-testid=namespaces]');
  assert.match(await text(page, '[data-testid=namespaces] tbody'), /kube-system/);
  await shot('8-events');

  // On a phone's width the same page still fits: no sideways scrolling of the page itself.
  // Emulating a phone (isMobile) may reload the page inside setViewport; the list is opened first and the page
  // reloaded after, so a reload still under way cannot race a navigation (a loaded machine lost that race).
  await open(page, `${server.url}/dashboard/#/pods`, '[data-testid=pods]');
  await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
  await retrying('[data-testid=pods] after a reload at a phone\'s width', async () => {
    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('[data-testid=pods]', { timeout: 20_000 });
  });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone's screen`);
  await shot('9-phone');
  assert.deepEqual(problems, []);
});
