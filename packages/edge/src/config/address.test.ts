import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSocketAddress, parseSocketAddress } from './address.ts';

test('parses IPv4 and bracketed IPv6 addresses with a port', () => {
  assert.deepEqual(parseSocketAddress('127.0.0.1:15432'), { ok: true, address: { host: '127.0.0.1', port: 15432, family: 4 } });
  assert.deepEqual(parseSocketAddress('[::1]:15432'), { ok: true, address: { host: '::1', port: 15432, family: 6 } });
  assert.equal(formatSocketAddress({ host: '::1', port: 80 }), '[::1]:80');
  assert.equal(formatSocketAddress({ host: '10.0.0.1', port: 80 }), '10.0.0.1:80');
});

test('refuses host names, unbracketed IPv6, missing and out-of-range ports with a message', () => {
  for (const bad of ['localhost:80', '::1:80', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:70000', '[127.0.0.1]:80', 5432, '']) {
    const r = parseSocketAddress(bad);
    assert.equal(r.ok, false, String(bad));
    if (!r.ok) assert.ok(r.message.length > 0);
  }
});
