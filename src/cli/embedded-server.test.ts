import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pickClusterCidr, serviceCidrFor } from './embedded-server.ts';

test('pickClusterCidr: a 10.44–10.99 /16 whose first bridge does not exist; never 10.42 (a user server) or 10.43 (the service CIDR)', () => {
  const first = pickClusterCidr(() => false);
  assert.match(first, /^10\.(4[4-9]|[5-9]\d)\.0\.0\/16$/);
  // Every bridge but one exists: that one is picked, wherever the search starts.
  assert.equal(pickClusterCidr((name) => name !== 'kubeling77-0'), '10.77.0.0/16');
  // The one it would pick first is taken: the next one.
  const n = Number(first.split('.')[1]);
  const next = n === 99 ? 44 : n + 1;
  assert.equal(pickClusterCidr((name) => name === `kubeling${n}-0`), `10.${next}.0.0/16`);
  assert.throws(() => pickClusterCidr(() => true), /no free pod network/);
});

test('serviceCidrFor: a /24 of 10.201 per pod network, overlapping no pod network nor the default 10.43.0.0/16', () => {
  assert.equal(serviceCidrFor('10.44.0.0/16'), '10.201.44.0/24');
  assert.equal(serviceCidrFor('10.99.0.0/16'), '10.201.99.0/24');
});
