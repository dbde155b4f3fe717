import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bearerFromProtocols, BEARER_PROTOCOL_PREFIX } from './websocket-bearer-protocol.ts';

const encoded = (token: string) => BEARER_PROTOCOL_PREFIX + Buffer.from(token).toString('base64url');

test('the token is decoded and taken out of the protocols', () => {
  const got = bearerFromProtocols(`v5.channel.k8s.io, ${encoded('abc.def-ghi')}, v4.channel.k8s.io`);
  assert.deepEqual(got, { token: 'abc.def-ghi', remaining: 'v5.channel.k8s.io,v4.channel.k8s.io' });
});

test('several Sec-WebSocket-Protocol headers count as one list', () => {
  assert.deepEqual(bearerFromProtocols([encoded('t'), 'v4.channel.k8s.io']), { token: 't', remaining: 'v4.channel.k8s.io' });
});

test('no token among the protocols: nothing to say', () => {
  assert.equal(bearerFromProtocols('v4.channel.k8s.io'), undefined);
  assert.equal(bearerFromProtocols(undefined), undefined);
});

test('refused: two tokens, bad encoding, a token alone', () => {
  assert.deepEqual(bearerFromProtocols(`${encoded('a')},${encoded('b')},v4.channel.k8s.io`), { error: 'multiple base64.bearer.authorization tokens specified' });
  assert.deepEqual(bearerFromProtocols(`${BEARER_PROTOCOL_PREFIX}a+b/=,v4.channel.k8s.io`), { error: 'invalid base64.bearer.authorization token encoding' });
  assert.deepEqual(bearerFromProtocols(`${BEARER_PROTOCOL_PREFIX}${Buffer.from([0xff, 0xfe]).toString('base64url')},v4.channel.k8s.io`), { error: 'invalid base64.bearer.authorization token' });
  assert.deepEqual(bearerFromProtocols(encoded('t')), { error: 'missing additional subprotocol' });
});
