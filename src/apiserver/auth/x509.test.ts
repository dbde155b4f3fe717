import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { clientCertificateUser } from './x509.ts';

const NOW = Date.parse('2026-12-07T00:00:00Z');

function socket(authorized: boolean, cert: Record<string, unknown>): Socket {
  return { authorized, getPeerCertificate: () => cert } as unknown as Socket;
}

const valid = { valid_from: 'Dec  1 00:00:00 2026 GMT', valid_to: 'Dec  1 00:00:00 2027 GMT', ext_key_usage: ['1.3.6.1.5.5.7.3.2'] };

test('a verified client certificate names the user (CN) and groups (O, then system:authenticated)', () => {
  assert.deepEqual(clientCertificateUser(socket(true, { ...valid, subject: { CN: 'system:node:n1', O: 'system:nodes' } }), NOW),
    { name: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] });
  assert.deepEqual(clientCertificateUser(socket(true, { ...valid, subject: { CN: 'jane', O: ['dev', 'ops'] } }), NOW),
    { name: 'jane', groups: ['dev', 'ops', 'system:authenticated'] });
});

test('no user from an unverified, expired, not yet valid, server-only or nameless certificate, nor from plain TCP', () => {
  const subject = { CN: 'jane' };
  assert.equal(clientCertificateUser(socket(false, { ...valid, subject }), NOW), undefined);
  assert.equal(clientCertificateUser(socket(true, { ...valid, valid_to: 'Dec  6 00:00:00 2026 GMT', subject }), NOW), undefined);
  assert.equal(clientCertificateUser(socket(true, { ...valid, valid_from: 'Dec  8 00:00:00 2026 GMT', subject }), NOW), undefined);
  assert.equal(clientCertificateUser(socket(true, { ...valid, ext_key_usage: ['1.3.6.1.5.5.7.3.1'], subject }), NOW), undefined);
  assert.equal(clientCertificateUser(socket(true, { ...valid, subject: { O: 'dev' } }), NOW), undefined);
  assert.equal(clientCertificateUser({} as Socket, NOW), undefined);
});

test("a connection's certificate is read once; its validity is checked on every request", () => {
  let reads = 0;
  const s = { authorized: true, getPeerCertificate: () => (reads++, { ...valid, subject: { CN: 'system:node:n1', O: 'system:nodes' } }) } as unknown as Socket;
  for (let i = 0; i < 3; i++) assert.equal(clientCertificateUser(s, NOW)?.name, 'system:node:n1');
  assert.equal(reads, 1);
  assert.equal(clientCertificateUser(s, Date.parse('2027-12-07T00:00:00Z')), undefined, 'expired since');
});
