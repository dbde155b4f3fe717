/**
 * `kubeling run` with a Service on real containers: the embedded server's Services come from a range of its
 * own (10.201.N.0/24 beside its pod network 10.N.0.0/16, never the default 10.43.0.0/16 a `kubeling server`
 * on the same host uses), and a client pod reaches a one-shot web pod by the Service's name. Both pods
 * complete, the run exits 0, and no proxy table of its node is left.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { hostname } from 'node:os';
import { tableName } from '../../src/proxy/index.ts';
import { runKubelingOci } from './helpers/kubeling-run-oci.ts';
import { missingRealContainers, missingServiceProxy } from '../prerequisites.ts';

const APP = `apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  restartPolicy: Never
  containers:
  - name: web
    image: busybox:1.35
    command: ["sh", "-c", "printf 'HTTP/1.0 200 OK\\\\r\\\\n\\\\r\\\\nhello-from-web\\\\n' | nc -l -p 8080"]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: busybox:1.35
    command: ["sh", "-c", "for i in $(seq 60); do timeout 3 wget -qO- http://web/ && echo via=$WEB_SERVICE_HOST && exit 0; sleep 1; done; exit 1"]
`;

test('kubeling run: a client pod reaches a pod by its Service name, on the run\'s own service range', async (t) => {
  const why = missingRealContainers() ?? missingServiceProxy();
  if (why) return t.skip(why);
  const { code, out, err } = await (await runKubelingOci(t, 'app.yaml', APP, 180_000)).exited;
  assert.equal(code, 0, `${out}\n${err}`);
  assert.match(out, /^\[client\/c\] hello-from-web$/m);
  const via = /^\[client\/c\] via=10\.201\.(\d+)\.(\d+)$/m.exec(out);
  assert.ok(via, out);
  // The run's pod network is 10.N.0.0/16 beside services 10.201.N.0/24; its node's table is gone.
  const tables = execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' });
  assert.doesNotMatch(tables, new RegExp(`table ip ${tableName(hostname().toLowerCase(), `10.${via[1]}.0.0/24`)}\\b`));
});
