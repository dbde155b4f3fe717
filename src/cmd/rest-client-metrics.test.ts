import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { restClientMetrics } from './rest-client-metrics.ts';

test('rest_client_requests_total counts by code, host and method; two observers share one counter', async () => {
  const registry = new Registry();
  const a = restClientMetrics(registry);
  const b = restClientMetrics(registry);
  a({ method: 'GET', host: '127.0.0.1:6443', code: '200' });
  b({ method: 'GET', host: '127.0.0.1:6443', code: '200' });
  b({ method: 'PATCH', host: '127.0.0.1:6443', code: '<error>' });
  const text = await registry.metrics();
  assert.match(text, /^# TYPE rest_client_requests_total counter$/m);
  assert.match(text, /^rest_client_requests_total\{code="200",host="127\.0\.0\.1:6443",method="GET"\} 2$/m);
  assert.match(text, /^rest_client_requests_total\{code="<error>",host="127\.0\.0\.1:6443",method="PATCH"\} 1$/m);
});
