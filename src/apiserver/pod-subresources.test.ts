import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kubeletPortForwardQuery } from './pod-subresources.ts';

test('pods/portforward: the ports of PodPortForwardOptions become the kubelet\'s one port list; none, no query', () => {
  assert.equal(kubeletPortForwardQuery(new URLSearchParams('ports=8080')), '?port=8080');
  assert.equal(kubeletPortForwardQuery(new URLSearchParams('ports=80&ports=8080')), '?port=80%2C8080');
  // kubectl's SPDY port-forward names its ports per stream and sends no query.
  assert.equal(kubeletPortForwardQuery(new URLSearchParams('')), '');
});
