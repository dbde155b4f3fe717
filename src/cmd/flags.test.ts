import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseAgentFlags } from './agent.ts';
import { parseDuration, parseServerFlags, UsageError } from './flags.ts';
import { inClusterHosts, serverNode } from './server.ts';

test('server flags: defaults, both spellings, labels and taints', () => {
  const d = parseServerFlags([]);
  assert.equal(d.dataDir, './.kubeling');
  assert.equal(d.listenHost, '127.0.0.1');
  assert.equal(d.listenPort, 6443);
  assert.equal(d.storage, 'sqlite');
  assert.equal(d.runtime, 'oci');
  assert.equal(d.noAgent, false);
  assert.equal(d.dashboard, true);
  assert.equal(parseServerFlags(['--dashboard=false']).dashboard, false);
  const o = parseServerFlags(['--data-dir=/tmp/x', '--listen', '0.0.0.0:0', '--storage', 'memory', '--runtime=fake', '--no-agent',
    '--node-name', 'n1', '--node-labels', 'disktype=ssd,zone=a', '--register-with-taints', 'dedicated=gpu:NoSchedule', '--node-taint', 'x:NoExecute']);
  assert.deepEqual({ ...o, nodeName: o.nodeName }, {
    dataDir: '/tmp/x', listenHost: '0.0.0.0', listenPort: 0, storage: 'memory', runtime: 'fake', noAgent: true, dashboard: true, nodeName: 'n1',
    nodeLabels: { disktype: 'ssd', zone: 'a' },
    nodeTaints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }, { key: 'x', effect: 'NoExecute' }],
    disabledComponents: [], clusterCidr: '10.42.0.0/16', tlsSans: [], protectKernelDefaults: false, allowedUnsafeSysctls: [], maxEndpointsPerSlice: 100,
    clusterDns: '10.43.0.10', clusterDomain: 'cluster.local', serviceCidr: '10.43.0.0/16', serviceNodePortRange: '30000-32767', leaderElect: false, schedulerThread: false,
    podNetwork: 'vxlan',
    nodeMonitorGracePeriodMs: 40_000, nodeMonitorPeriodMs: 5000, nodeEvictionRate: 0.1, secondaryNodeEvictionRate: 0.01,
    unhealthyZoneThreshold: 0.55, largeClusterSizeThreshold: 50, defaultNotReadyTolerationSeconds: 300,
    defaultUnreachableTolerationSeconds: 300, terminatedPodGcThreshold: 12500, authorizationModes: ['Node', 'RBAC'],
    hpaSyncPeriodMs: 15_000, hpaDownscaleStabilizationMs: 300_000, hpaTolerance: 0.1, hpaCpuInitializationPeriodMs: 300_000, hpaInitialReadinessDelayMs: 30_000,
    serviceAccountIssuers: ['https://kubernetes.default.svc.cluster.local'], apiAudiences: [], serviceAccountMaxTokenExpirationMs: 0,
    maxRequestsInflight: 400, maxMutatingRequestsInflight: 200, maxWatchesPerUser: 1000, requestTimeoutMs: 60_000,
  });
  assert.deepEqual(parseServerFlags(['--disable-scheduler', '--disable-controller-manager=true']).disabledComponents, ['scheduler', 'controller-manager']);
  assert.deepEqual(parseServerFlags(['--disable-scheduler', '--disable-scheduler=false']).disabledComponents, []);
  assert.equal(parseServerFlags([]).schedulerThread, false);
  assert.equal(parseServerFlags(['--scheduler-thread']).schedulerThread, true);
  assert.equal(parseServerFlags(['--scheduler-thread', '--scheduler-thread=false']).schedulerThread, false);
  assert.deepEqual(parseServerFlags(['--disable', 'local-storage']).disabledComponents, ['local-storage']);
  assert.throws(() => parseServerFlags(['--disable', 'traefik']), /invalid value for --disable: "traefik"/);
  assert.equal(parseServerFlags(['--listen', '[::1]:7443']).listenHost, '::1');
  assert.equal(parseServerFlags(['--protect-kernel-defaults']).protectKernelDefaults, true);
  assert.equal(parseServerFlags(['--protect-kernel-defaults=false']).protectKernelDefaults, false);
  assert.deepEqual(
    parseServerFlags(['--allowed-unsafe-sysctls', 'kernel.msg*,net.core.somaxconn', '--allowed-unsafe-sysctls=kernel.sem']).allowedUnsafeSysctls,
    ['kernel.msg*', 'net.core.somaxconn', 'kernel.sem'],
  );
  assert.throws(() => parseServerFlags(['--allowed-unsafe-sysctls', 'vm.swappiness']), (e: unknown) =>
    e instanceof UsageError && e.message === '--allowed-unsafe-sysctls: the sysctls "vm.swappiness" are not known to be namespaced');
  assert.equal(parseServerFlags(['--max-endpoints-per-slice', '500']).maxEndpointsPerSlice, 500);
  for (const bad of ['0', '1001', 'x', '1.5']) {
    assert.throws(() => parseServerFlags([`--max-endpoints-per-slice=${bad}`]), new RegExp(`invalid value for --max-endpoints-per-slice: "${bad.replace('.', '\\.')}" \\(want a number from 1 to 1000\\)`));
  }
});

test('server flags: --leader-elect defaults to true with etcd only; --token and --token-file', () => {
  assert.equal(parseServerFlags([]).leaderElect, false);
  assert.equal(parseServerFlags(['--storage', 'etcd://127.0.0.1:2379']).leaderElect, true);
  assert.equal(parseServerFlags(['--storage', 'etcd://127.0.0.1:2379', '--leader-elect=false']).leaderElect, false);
  assert.equal(parseServerFlags(['--leader-elect', '--storage', 'memory']).leaderElect, true);
  assert.equal(parseServerFlags(['--token', 'secret']).token, 'secret');
  assert.equal(parseServerFlags(['--token-file=/x/node-token']).tokenFile, '/x/node-token');
  assert.throws(() => parseServerFlags(['--token', 'a', '--token-file', 'b']), /--token and --token-file are mutually exclusive/);
  assert.throws(() => parseServerFlags(['--leader-elect=yes']), /invalid value for --leader-elect: "yes" \(want true or false\)/);
});

test('agent flags: --server takes several URLs (comma-separated or repeated), deduplicated, in order', async () => {
  const a = await parseAgentFlags(['--server', 'https://127.0.0.1:6443,https://127.0.0.1:6444/', '--server=https://127.0.0.1:6445', '--server', 'https://127.0.0.1:6443', '--token', 't']);
  assert.equal(a.server, 'https://127.0.0.1:6443');
  assert.deepEqual(a.servers, ['https://127.0.0.1:6443', 'https://127.0.0.1:6444', 'https://127.0.0.1:6445']);
  await assert.rejects(parseAgentFlags(['--server', 'https://127.0.0.1:6443,http://127.0.0.1:6444', '--token', 't']), /invalid value for --server: "http:\/\/127.0.0.1:6444" \(want https:\/\/HOST:PORT\)/);
});

test('agent flags: --protect-kernel-defaults as a bare flag or =true|false; any other value is a usage error', async () => {
  const base = ['--server', 'https://127.0.0.1:6443', '--token', 't'];
  assert.equal((await parseAgentFlags(base)).protectKernelDefaults, false);
  assert.equal((await parseAgentFlags([...base, '--protect-kernel-defaults'])).protectKernelDefaults, true);
  assert.equal((await parseAgentFlags([...base, '--protect-kernel-defaults=false'])).protectKernelDefaults, false);
  await assert.rejects(parseAgentFlags([...base, '--protect-kernel-defaults=yes']), /invalid value for --protect-kernel-defaults: "yes" \(want true or false\)/);
});

test('--cluster-dns and --cluster-domain on server and agent: defaults (.10 of the service CIDR, cluster.local), values, bad values', async () => {
  const d = parseServerFlags([]);
  assert.equal(d.clusterDns, '10.43.0.10');
  assert.equal(d.clusterDomain, 'cluster.local');
  const o = parseServerFlags(['--cluster-dns', '10.99.0.53', '--cluster-domain=corp.example.']);
  assert.equal(o.clusterDns, '10.99.0.53');
  assert.equal(o.clusterDomain, 'corp.example');
  for (const argv of [['--cluster-dns', 'dns'], ['--cluster-dns', '10.43.0.300'], ['--cluster-dns', 'fd00::10'], ['--cluster-domain', 'Cluster.Local'],
    ['--cluster-domain', 'bad_domain'], ['--cluster-domain', '-x.local']]) {
    assert.throws(() => parseServerFlags(argv), UsageError, argv.join(' '));
  }
  assert.throws(() => parseServerFlags(['--cluster-dns', 'x']), /^UsageError: invalid value for --cluster-dns: "x" \(want an IPv4 address such as 10\.43\.0\.10\)$/);

  const base = ['--server', 'https://127.0.0.1:6443', '--token', 't'];
  const a = await parseAgentFlags(base);
  assert.deepEqual([a.serviceCidr, a.clusterDns, a.clusterDomain], ['10.43.0.0/16', '10.43.0.10', 'cluster.local']);
  const b = await parseAgentFlags([...base, '--service-cidr', '10.96.0.0/12']);
  assert.equal(b.clusterDns, '10.96.0.10', 'the .10 of the given service CIDR');
  const c = await parseAgentFlags([...base, '--service-cidr=10.96.0.0/12', '--cluster-dns', '10.96.0.53', '--cluster-domain', 'corp.example']);
  assert.deepEqual([c.clusterDns, c.clusterDomain], ['10.96.0.53', 'corp.example']);
  for (const bad of [['--service-cidr', '10.96.0.1/12'], ['--service-cidr', 'nope'], ['--cluster-dns', 'x'], ['--cluster-domain', 'A..b']]) {
    await assert.rejects(parseAgentFlags([...base, ...bad]), UsageError, bad.join(' '));
  }
});

test('--pod-network (server) and --node-ip (server and agent): defaults, values, bad values', async () => {
  const d = parseServerFlags([]);
  assert.equal(d.podNetwork, 'vxlan');
  assert.equal(d.nodeIp, undefined);
  const o = parseServerFlags(['--pod-network', 'host-gw', '--node-ip=192.168.7.1']);
  assert.deepEqual([o.podNetwork, o.nodeIp], ['host-gw', '192.168.7.1']);
  assert.throws(() => parseServerFlags(['--pod-network', 'udp']), /^UsageError: invalid value for --pod-network: "udp" \(want host-gw or vxlan\)$/);
  assert.throws(() => parseServerFlags(['--node-ip', 'fd00::1']), /^UsageError: invalid value for --node-ip: "fd00::1" \(want an IPv4 address\)$/);
  const base = ['--server', 'https://127.0.0.1:6443', '--token', 't'];
  assert.equal((await parseAgentFlags(base)).nodeIp, undefined);
  assert.equal((await parseAgentFlags([...base, '--node-ip', '192.168.7.2'])).nodeIp, '192.168.7.2');
  await assert.rejects(parseAgentFlags([...base, '--node-ip', 'host']), UsageError);
  await assert.rejects(parseAgentFlags([...base, '--pod-network', 'vxlan']), /unknown flag --pod-network/, 'agents take the backend from the server');
});

test('--log-format (server and agent): unset by default, text or json, nothing else', async () => {
  assert.equal(parseServerFlags([]).logFormat, undefined);
  assert.equal(parseServerFlags(['--log-format', 'text']).logFormat, 'text');
  assert.throws(() => parseServerFlags(['--log-format=yaml']), /^UsageError: invalid value for --log-format: "yaml" \(want text or json\)$/);
  const base = ['--server', 'https://127.0.0.1:6443', '--token', 't'];
  assert.equal((await parseAgentFlags([...base, '--log-format=json'])).logFormat, 'json');
  await assert.rejects(parseAgentFlags([...base, '--log-format', 'pretty']), UsageError);
});

test('server flags: unknown flags and bad values are usage errors', () => {
  for (const argv of [['--nope'], ['--storage', 'mysql'], ['--runtime', 'docker'], ['--listen', 'localhost'], ['--listen', 'h:99999'],
    ['--node-labels', 'novalue'], ['--register-with-taints', 'k=v:Sometimes'], ['--data-dir'], ['extra'], ['--node-name', 'Bad_Name'],
    ['--cluster-cidr', '10.42.0.0'], ['--cluster-cidr', '10.42.0.0/25'], ['--cluster-cidr', '10.42.0.0/7'], ['--cluster-cidr', '10.42.1.0/16'],
    ['--cluster-cidr', '300.1.0.0/16'], ['--cluster-cidr', 'fd00::/48'], ['--tls-san', 'bad name'], ['--pod-manifest-path', '']]) {
    assert.throws(() => parseServerFlags(argv), UsageError, argv.join(' '));
  }
});

test('server flags: --cluster-cidr, --pod-manifest-path, --tls-san (repeatable and comma-separated)', () => {
  const o = parseServerFlags(['--cluster-cidr', '10.123.0.0/16', '--pod-manifest-path=/etc/kubeling/pods',
    '--tls-san', 'kube.example.com', '--tls-san=192.0.2.7,2001:db8::1']);
  assert.equal(o.clusterCidr, '10.123.0.0/16');
  assert.equal(o.podManifestPath, '/etc/kubeling/pods');
  assert.deepEqual(o.tlsSans, ['kube.example.com', '192.0.2.7', '2001:db8::1']);
  assert.equal(parseServerFlags(['--cluster-cidr=10.42.0.0/24']).clusterCidr, '10.42.0.0/24');
  assert.throws(() => parseServerFlags(['--cluster-cidr', '10.42.1.0/16']), /host bits set; did you mean 10\.42\.0\.0\/16\?/);
});

test('server flags: --service-cidr and --service-node-port-range, with their defaults; bad values are usage errors', () => {
  const d = parseServerFlags([]);
  assert.equal(d.serviceCidr, '10.43.0.0/16');
  assert.equal(d.serviceNodePortRange, '30000-32767');
  const o = parseServerFlags(['--service-cidr', '10.96.0.0/12', '--service-node-port-range=31000-31999']);
  assert.equal(o.serviceCidr, '10.96.0.0/12');
  assert.equal(o.serviceNodePortRange, '31000-31999');
  assert.equal(serverNode(o)?.serviceCidr, '10.96.0.0/12');
  // The serving certificate carries what pods dial: the kubernetes Service's IP and names.
  const inCluster = inClusterHosts(o);
  for (const h of ['10.96.0.1', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local']) assert.ok(inCluster.includes(h), h);
  assert.throws(() => parseServerFlags(['--service-cidr', '10.43.1.0/16']), /invalid value for --service-cidr: "10\.43\.1\.0\/16" \(host bits set; did you mean 10\.43\.0\.0\/16\?\)/);
  for (const bad of ['10.43.0.0', '10.43.0.0/30', 'fd00::/64', '300.0.0.0/16']) {
    assert.throws(() => parseServerFlags(['--service-cidr', bad]), /invalid value for --service-cidr/, bad);
  }
  assert.throws(() => parseServerFlags(['--cluster-cidr', '10.43.0.0/16']), /--service-cidr 10\.43\.0\.0\/16 overlaps --cluster-cidr 10\.43\.0\.0\/16/);
  assert.throws(() => parseServerFlags(['--service-cidr', '10.42.128.0/20']), /overlaps --cluster-cidr 10\.42\.0\.0\/16/);
  for (const bad of ['32767-30000', '30000-70000', 'x', '0-10']) {
    assert.throws(() => parseServerFlags(['--service-node-port-range', bad]), /invalid value for --service-node-port-range/, bad);
  }
});

test('agent flags: --service-cidr (default 10.43.0.0/16)', async () => {
  const base = ['--server', 'https://127.0.0.1:6443', '--token', 't'];
  assert.equal((await parseAgentFlags(base)).serviceCidr, '10.43.0.0/16');
  assert.equal((await parseAgentFlags([...base, '--service-cidr=10.96.0.0/16'])).serviceCidr, '10.96.0.0/16');
  await assert.rejects(parseAgentFlags([...base, '--service-cidr', 'nope']), /invalid value for --service-cidr/);
});

const bin = resolve(import.meta.dirname, 'kubeling.ts');

test('the binary prints one line and exits 2 on a usage error', () => {
  const r = spawnSync(process.execPath, [bin, 'server', '--bogus'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'kubeling server: unknown flag --bogus\n');
  const c = spawnSync(process.execPath, [bin, 'server', '--cluster-cidr', 'nope'], { encoding: 'utf8' });
  assert.equal(c.status, 2);
  assert.equal(c.stderr, 'kubeling server: invalid value for --cluster-cidr: "nope" (want an IPv4 CIDR such as 10.42.0.0/16)\n');
});

test('node lifecycle flags: kube-controller-manager and kube-apiserver defaults, Go durations, bad values are one line', () => {
  const d = parseServerFlags([]);
  assert.deepEqual(
    [d.nodeMonitorGracePeriodMs, d.nodeMonitorPeriodMs, d.nodeEvictionRate, d.secondaryNodeEvictionRate, d.unhealthyZoneThreshold,
      d.largeClusterSizeThreshold, d.defaultNotReadyTolerationSeconds, d.defaultUnreachableTolerationSeconds, d.terminatedPodGcThreshold],
    [40_000, 5000, 0.1, 0.01, 0.55, 50, 300, 300, 12500],
  );
  const o = parseServerFlags([
    '--node-monitor-grace-period', '1m30s', '--node-monitor-period=500ms', '--node-eviction-rate', '2', '--secondary-node-eviction-rate=0.5',
    '--unhealthy-zone-threshold', '0.4', '--large-cluster-size-threshold', '3', '--default-not-ready-toleration-seconds', '5',
    '--default-unreachable-toleration-seconds=0', '--terminated-pod-gc-threshold', '10',
  ]);
  assert.deepEqual(
    [o.nodeMonitorGracePeriodMs, o.nodeMonitorPeriodMs, o.nodeEvictionRate, o.secondaryNodeEvictionRate, o.unhealthyZoneThreshold,
      o.largeClusterSizeThreshold, o.defaultNotReadyTolerationSeconds, o.defaultUnreachableTolerationSeconds, o.terminatedPodGcThreshold],
    [90_000, 500, 2, 0.5, 0.4, 3, 5, 0, 10],
  );
  assert.equal(parseDuration('1.5h', '--x'), 5_400_000);
  assert.equal(parseDuration('0', '--x', false), 0);
  for (const bad of ['40', '0', 's', '1x', '-5s', '5s ']) {
    assert.throws(() => parseServerFlags(['--node-monitor-grace-period', bad]), new UsageError(`invalid value for --node-monitor-grace-period: ${JSON.stringify(bad)} (want a duration such as 40s, 1m30s or 500ms, above 0)`), bad);
  }
  assert.throws(() => parseServerFlags(['--unhealthy-zone-threshold', '1.5']), /invalid value for --unhealthy-zone-threshold: "1.5" \(want a fraction above 0 and at most 1\)/);
  assert.throws(() => parseServerFlags(['--node-eviction-rate', '-1']), /invalid value for --node-eviction-rate/);
  assert.throws(() => parseServerFlags(['--terminated-pod-gc-threshold', '1.5']), /invalid value for --terminated-pod-gc-threshold: "1.5" \(want a whole number of pods \(0 = never\)\)/);
  assert.throws(() => parseServerFlags(['--default-unreachable-toleration-seconds', 'x']), /invalid value for --default-unreachable-toleration-seconds/);
});

test('abuse limit flags: kube-apiserver defaults (400, 200, 1m0s), our watch cap (1000), 0 = no limit, bad values are one line', () => {
  const d = parseServerFlags([]);
  assert.deepEqual([d.maxRequestsInflight, d.maxMutatingRequestsInflight, d.maxWatchesPerUser, d.requestTimeoutMs], [400, 200, 1000, 60_000]);
  const o = parseServerFlags(['--max-requests-inflight', '10', '--max-mutating-requests-inflight=0', '--max-watches-per-user', '5', '--request-timeout=30s']);
  assert.deepEqual([o.maxRequestsInflight, o.maxMutatingRequestsInflight, o.maxWatchesPerUser, o.requestTimeoutMs], [10, 0, 5, 30_000]);
  assert.throws(() => parseServerFlags(['--max-requests-inflight', '-1']), new UsageError('invalid value for --max-requests-inflight: "-1" (want a whole number of requests (0 = no limit))'));
  assert.throws(() => parseServerFlags(['--max-watches-per-user', 'x']), /invalid value for --max-watches-per-user: "x"/);
  assert.throws(() => parseServerFlags(['--request-timeout', '0']), /invalid value for --request-timeout: "0"/);
});

test('kubeling --help prints every subcommand with its flags and exits 0; an unknown command is one line + usage, exit 2', () => {
  const h = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
  assert.equal(h.status, 0);
  assert.equal(h.stderr, '');
  for (const cmd of ['server', 'agent', 'run', 'image', 'kubectl', 'why', 'completion', 'killall', 'simulate']) assert.match(h.stdout, new RegExp(`^  kubeling ${cmd} `, 'm'), cmd);
  for (const flag of ['--cluster-cidr CIDR', '--pod-manifest-path DIR', '--tls-san NAME', '--no-agent', '--dashboard', '--token TOKEN', '--register-with-taints',
    '--timeout DURATION', '--tag REF', '--protect-kernel-defaults', '--max-endpoints-per-slice N', '--cluster-dns IP', '--cluster-domain DOMAIN', '--service-cidr CIDR', '--pod-network host-gw|vxlan', '--node-ip IP',
    '--node-monitor-grace-period DURATION', '--node-monitor-period DURATION', '--node-eviction-rate RATE', '--secondary-node-eviction-rate RATE',
    '--unhealthy-zone-threshold FRACTION', '--large-cluster-size-threshold N', '--default-not-ready-toleration-seconds N',
    '--default-unreachable-toleration-seconds N', '--terminated-pod-gc-threshold N', '--service-account-issuer URL', '--api-audiences A,...',
    '--service-account-max-token-expiration DURATION', '--service-account-jwks-uri URL', '--log-format text|json', '--timeline', '--kube-api-qps QPS', '--scheduler-thread[=false]', '--simulate N', '--node-capacity']) {
    assert.ok(h.stdout.includes(flag), flag);
  }
  const u = spawnSync(process.execPath, [bin, 'frobnicate'], { encoding: 'utf8' });
  assert.equal(u.status, 2);
  assert.equal(u.stdout, '');
  const [first, ...rest] = u.stderr.split('\n');
  assert.equal(first, 'kubeling: unknown command "frobnicate" (want one of: server, image, run, agent, kubectl, why, completion, killall, simulate)');
  assert.equal(rest.join('\n'), h.stdout);
  const proto = spawnSync(process.execPath, [bin, 'constructor'], { encoding: 'utf8' });
  assert.equal(proto.status, 2);
});

test('the node flags server and agent share are read alike (one parser), each command keeping its own flags and empty-value rule', async () => {
  const node = ['--node-name', 'n1', '--node-labels=a=b', '--register-with-taints', 'k=v:NoSchedule', '--runtime=fake', '--pod-manifest-path', '/m',
    '--service-cidr', '10.96.0.0/12', '--cluster-domain', 'example.org.', '--node-ip', '192.0.2.7', '--protect-kernel-defaults'];
  const s = parseServerFlags(node);
  const a = await parseAgentFlags(['--server', 'https://127.0.0.1:6443', '--token', 't', ...node]);
  for (const o of [s, a]) {
    assert.deepEqual(
      [o.nodeName, o.nodeLabels, o.nodeTaints, o.runtime, o.podManifestPath, o.serviceCidr, o.clusterDns, o.clusterDomain, o.nodeIp, o.protectKernelDefaults],
      ['n1', { a: 'b' }, [{ key: 'k', value: 'v', effect: 'NoSchedule' }], 'fake', '/m', '10.96.0.0/12', '10.96.0.10', 'example.org', '192.0.2.7', true],
    );
  }
  const long = `${'a'.repeat(250)}.com`;
  assert.throws(() => parseServerFlags(['--node-name', long]), /invalid value for --node-name: .* \(want a lowercase DNS subdomain\)/);
  await assert.rejects(parseAgentFlags(['--node-name', long]), /invalid value for --node-name: .* \(want a lowercase DNS subdomain\)/);
  assert.throws(() => parseServerFlags(['--data-dir=']), /--data-dir must not be empty/);
  await assert.rejects(parseAgentFlags(['--data-dir=']), /flag --data-dir needs a value/);
  await assert.rejects(parseAgentFlags(['--listen', '0.0.0.0:1']), /unknown flag --listen/);
  assert.throws(() => parseServerFlags(['--server', 'https://x:1']), /unknown flag --server/);
});

test('server flags: --encryption-provider-config names a file, read at start', () => {
  assert.equal(parseServerFlags([]).encryptionProviderConfig, undefined);
  assert.equal(parseServerFlags(['--encryption-provider-config', '/etc/kubeling/enc.yaml']).encryptionProviderConfig, '/etc/kubeling/enc.yaml');
  assert.equal(parseServerFlags(['--encryption-provider-config=enc.yaml']).encryptionProviderConfig, 'enc.yaml');
  assert.throws(() => parseServerFlags(['--encryption-provider-config=']), /--encryption-provider-config must not be empty/);
});

test('the audit flags: kube-apiserver names, whole non-negative numbers, json only', () => {
  assert.equal(parseServerFlags([]).audit, undefined);
  const o = parseServerFlags(['--audit-policy-file', '/p.yaml', '--audit-log-path=-', '--audit-log-maxage', '7', '--audit-log-maxbackup=3', '--audit-log-maxsize', '50', '--audit-log-format', 'json']);
  assert.deepEqual(o.audit, { policyFile: '/p.yaml', logPath: '-', maxAge: 7, maxBackup: 3, maxSize: 50 });
  assert.throws(() => parseServerFlags(['--audit-log-maxsize', '-1']), /invalid value for --audit-log-maxsize: "-1" \(want a whole number of megabytes, 0 or more\)/);
  assert.throws(() => parseServerFlags(['--audit-log-format', 'legacy']), /invalid value for --audit-log-format: "legacy" \(only json is supported\)/);
  const h = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
  for (const flag of ['--audit-policy-file FILE', '--audit-log-path FILE|-', '--audit-log-maxage DAYS', '--audit-log-maxbackup N', '--audit-log-maxsize MB', '--audit-log-format json']) {
    assert.ok(h.stdout.includes(flag), flag);
  }
});

test('server flags: --admission-control-config-file', () => {
  assert.equal(parseServerFlags([]).admissionControlConfigFile, undefined);
  assert.equal(parseServerFlags(['--admission-control-config-file', '/etc/kubeling/admission.yaml']).admissionControlConfigFile, '/etc/kubeling/admission.yaml');
  assert.equal(parseServerFlags(['--admission-control-config-file=a.yaml']).admissionControlConfigFile, 'a.yaml');
});

test('service account flags: --service-account-issuer repeatable (first issues), --api-audiences, max token expiration, jwks uri', () => {
  const o = parseServerFlags(['--service-account-issuer', 'https://a.example', '--service-account-issuer=https://b.example', '--api-audiences', 'x,y', '--api-audiences=z',
    '--service-account-max-token-expiration', '2h', '--service-account-jwks-uri', 'https://keys.example/jwks']);
  assert.deepEqual(o.serviceAccountIssuers, ['https://a.example', 'https://b.example']);
  assert.deepEqual(o.apiAudiences, ['x', 'y', 'z']);
  assert.equal(o.serviceAccountMaxTokenExpirationMs, 7_200_000);
  assert.equal(o.serviceAccountJwksUri, 'https://keys.example/jwks');
  assert.deepEqual(parseServerFlags(['--service-account-issuer', 'kubernetes/serviceaccount']).serviceAccountIssuers, ['kubernetes/serviceaccount']);
  assert.throws(() => parseServerFlags(['--service-account-issuer', 'https://a', '--service-account-issuer', 'https://a']), /service-account-issuer "https:\/\/a" is already specified/);
  assert.throws(() => parseServerFlags(['--service-account-issuer', 'http://[::1']), /contained a ':' but was not a valid URL/);
  assert.throws(() => parseServerFlags(['--service-account-max-token-expiration', '10m']), /must be between 1 hour and 2\^32 seconds/);
  assert.throws(() => parseServerFlags(['--service-account-jwks-uri', 'http://keys.example']), /requires https scheme/);
});

test('--authorization-mode: known modes in order; an unknown one is a one-line usage error', () => {
  assert.deepEqual(parseServerFlags(['--authorization-mode', 'RBAC']).authorizationModes, ['RBAC']);
  assert.deepEqual(parseServerFlags(['--authorization-mode=AlwaysAllow']).authorizationModes, ['AlwaysAllow']);
  assert.throws(() => parseServerFlags(['--authorization-mode', 'Node,ABAC']), { name: 'UsageError', message: '--authorization-mode: authorization-mode "ABAC" is not a valid mode (valid: AlwaysAllow, AlwaysDeny, Node, RBAC)' });
  assert.throws(() => parseServerFlags(['--authorization-mode', 'RBAC,RBAC']), { name: 'UsageError' });
});

test('server flags: --private-registry reaches the server node; empty is a usage error', () => {
  const o = parseServerFlags(['--private-registry', '/etc/kubeling/registries.yaml']);
  assert.equal(o.privateRegistry, '/etc/kubeling/registries.yaml');
  assert.equal(serverNode(o)?.privateRegistry, '/etc/kubeling/registries.yaml');
  assert.equal(serverNode(parseServerFlags([]))?.privateRegistry, undefined);
  assert.throws(() => parseServerFlags(['--private-registry=']), UsageError);
});

test('agent flags: --private-registry is made absolute, as --data-dir is', async () => {
  const a = await parseAgentFlags(['--server', 'https://127.0.0.1:6443', '--token', 't', '--private-registry', 'conf/registries.yaml']);
  assert.equal(a.privateRegistry, resolve('conf/registries.yaml'));
  assert.equal((await parseAgentFlags(['--server', 'https://127.0.0.1:6443', '--token', 't'])).privateRegistry, undefined);
});

test('server flags: --disable-admission-plugins / --enable-admission-plugins take comma lists', () => {
  assert.deepEqual(parseServerFlags(['--disable-admission-plugins', 'PodPreset']).disableAdmissionPlugins, ['PodPreset']);
  assert.deepEqual(parseServerFlags(['--disable-admission-plugins=PodPreset,Foo']).disableAdmissionPlugins, ['PodPreset', 'Foo']);
  assert.deepEqual(parseServerFlags(['--enable-admission-plugins=PodPreset']).enableAdmissionPlugins, ['PodPreset']);
  assert.equal(parseServerFlags([]).disableAdmissionPlugins, undefined);
});

test('the kubelet eviction flags reach the node config; inconsistent ones are usage errors', async () => {
  const o = parseServerFlags([
    '--eviction-hard=memory.available<1Gi',
    '--eviction-soft', 'memory.available<2Gi',
    '--eviction-soft-grace-period', 'memory.available=1m30s',
    '--eviction-pressure-transition-period=30s',
  ]);
  assert.deepEqual(serverNode(o)?.eviction, {
    evictionHard: 'memory.available<1Gi',
    evictionSoft: 'memory.available<2Gi',
    evictionSoftGracePeriod: 'memory.available=1m30s',
    pressureTransitionPeriod: '30s',
  });
  assert.equal(serverNode(parseServerFlags([]))?.eviction, undefined);
  assert.throws(() => parseServerFlags(['--eviction-soft=memory.available<2Gi']), (e: unknown) => e instanceof UsageError && /grace period must be specified/.test(e.message));
  assert.throws(() => parseServerFlags(['--eviction-hard=cpu<1']), UsageError);
  assert.throws(() => parseServerFlags(['--eviction-pressure-transition-period=soon']), UsageError);
  const agent = await parseAgentFlags(['--server', 'https://127.0.0.1:6443', '--token', 't', '--eviction-hard=memory.available<5%', '--image-gc-high-threshold=90']);
  assert.equal(agent.eviction?.evictionHard, 'memory.available<5%');
  assert.deepEqual(agent.imageGC, { highThresholdPercent: 90, lowThresholdPercent: 80 });
  assert.deepEqual(serverNode(parseServerFlags(['--image-gc-high-threshold', '70', '--image-gc-low-threshold', '60']))?.imageGC, { highThresholdPercent: 70, lowThresholdPercent: 60 });
  assert.throws(() => parseServerFlags(['--image-gc-low-threshold=90']), /--image-gc-low-threshold \(90\) can not be higher than --image-gc-high-threshold \(85\)/);
  assert.throws(() => parseServerFlags(['--image-gc-high-threshold=101']), UsageError);
  // Dead-container GC: the kubelet's defaults for the flags not given; negative means no limit.
  assert.deepEqual(serverNode(parseServerFlags(['--maximum-dead-containers-per-container=3']))?.containerGC, { maxPerPodContainer: 3, maxContainers: -1, minAgeMs: 0 });
  assert.deepEqual(
    (await parseAgentFlags(['--server', 'https://127.0.0.1:6443', '--token', 't', '--maximum-dead-containers', '10', '--minimum-container-ttl-duration=1m30s'])).containerGC,
    { maxPerPodContainer: 1, maxContainers: 10, minAgeMs: 90_000 },
  );
  assert.equal(serverNode(parseServerFlags([]))?.containerGC, undefined);
  assert.throws(() => parseServerFlags(['--maximum-dead-containers=many']), /invalid value for --maximum-dead-containers: "many" \(want an integer\)/);
  assert.throws(() => parseServerFlags(['--minimum-container-ttl-duration=soon']), UsageError);
});

test('--sandbox-pool-size: a whole number 0-100 for the server\'s node and an agent; unset leaves the default to the kubelet', async () => {
  assert.equal(serverNode(parseServerFlags([]))?.sandboxPoolSize, undefined);
  assert.equal(serverNode(parseServerFlags(['--sandbox-pool-size=0']))?.sandboxPoolSize, 0);
  assert.equal((await parseAgentFlags(['--server', 'https://127.0.0.1:6443', '--token', 't', '--sandbox-pool-size', '4'])).sandboxPoolSize, 4);
  assert.throws(() => parseServerFlags(['--sandbox-pool-size=-1']), /invalid value for --sandbox-pool-size: "-1" \(want a whole number 0-100\)/);
  assert.throws(() => parseServerFlags(['--sandbox-pool-size=many']), UsageError);
  assert.throws(() => parseServerFlags(['--sandbox-pool-size=101']), UsageError);
});

test('agent flags: --simulate N with --node-name-prefix and --node-capacity (fake runtime only)', async () => {
  const base = ['--server', 'https://127.0.0.1:6443', '--token', 't'];
  assert.equal((await parseAgentFlags(base)).simulate, undefined);
  const d = await parseAgentFlags([...base, '--runtime', 'fake', '--simulate', '3']);
  assert.deepEqual(d.simulate, { count: 3, prefix: 'simulated-', capacity: { cpu: '8', memory: '32Gi', pods: '110' } });
  const o = await parseAgentFlags([...base, '--runtime', 'fake', '--simulate', '1000', '--node-name-prefix', 'kwok-', '--node-capacity', 'cpu=2,memory=4096Mi,pods=20']);
  assert.deepEqual(o.simulate, { count: 1000, prefix: 'kwok-', capacity: { cpu: '2', memory: '4Gi', pods: '20' } });
  await assert.rejects(parseAgentFlags([...base, '--simulate', '3']), /--simulate needs --runtime fake/);
  await assert.rejects(parseAgentFlags([...base, '--runtime', 'fake', '--simulate', '0']), /invalid value for --simulate: "0"/);
  await assert.rejects(parseAgentFlags([...base, '--runtime', 'fake', '--simulate', '2', '--node-capacity', 'cpu=lots']), /invalid value for --node-capacity: cpu=lots/);
  await assert.rejects(parseAgentFlags([...base, '--runtime', 'fake', '--simulate', '2', '--node-capacity', 'cpu']), /want RESOURCE=QUANTITY/);
  await assert.rejects(parseAgentFlags([...base, '--runtime', 'fake', '--simulate', '2', '--node-name-prefix', 'Big_']), /invalid value for --node-name-prefix/);
  await assert.rejects(parseAgentFlags([...base, '--node-capacity', 'cpu=2']), /go with --simulate N/);
});

test('server flags: --kube-api-qps and --kube-api-burst', () => {
  const d = parseServerFlags([]);
  assert.equal(d.kubeApiQps, undefined);
  const o = parseServerFlags(['--kube-api-qps', '200', '--kube-api-burst=400']);
  assert.deepEqual([o.kubeApiQps, o.kubeApiBurst], [200, 400]);
  assert.throws(() => parseServerFlags(['--kube-api-qps', '0']), /invalid value for --kube-api-qps: "0"/);
  assert.throws(() => parseServerFlags(['--kube-api-burst', '1.5']), /invalid value for --kube-api-burst: "1.5"/);
});
