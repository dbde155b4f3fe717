import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Service } from '../../api/index.ts';
import { podsSelectedBy, servicesSelecting } from './service-events.ts';

const svc = (ns: string, name: string, selector?: Record<string, string>): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { ...(selector ? { selector } : {}) } });
const pod = (ns: string, name: string, labels: Record<string, string>): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels } });

test('servicesSelecting: the Services of the pod\'s namespace whose selector picks it; selector-less Services never', () => {
  const services = [svc('a', 'web', { app: 'web' }), svc('b', 'web', { app: 'web' }), svc('a', 'all', {}), svc('a', 'none'), svc('a', 'tier', { app: 'web', tier: 'front' })];
  assert.deepEqual(servicesSelecting(services, pod('a', 'p', { app: 'web' })).map((s) => s.metadata!.name), ['web']);
  assert.deepEqual(servicesSelecting(services, pod('a', 'p', { app: 'web', tier: 'front' })).map((s) => s.metadata!.name), ['web', 'tier']);
  assert.deepEqual(servicesSelecting(services, pod('c', 'p', { app: 'web' })), []);
});

test('podsSelectedBy: pods of the namespace whose labels hold every selector pair', () => {
  const pods = [pod('a', 'p1', { app: 'web' }), pod('b', 'p2', { app: 'web' }), pod('a', 'p3', { app: 'db' }), pod('a', 'p4', { app: 'web', x: 'y' })];
  assert.deepEqual(podsSelectedBy(pods, 'a', { app: 'web' }).map((p) => p.metadata!.name), ['p1', 'p4']);
});
