import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cachedClientProxyHeader, clientProxyHeader, LOCAL_HEADER } from './proxy-header.ts';

const SIG = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');

test('a client behind an IPv4-mapped address gets a TCP4 PROXY header with its real address and the address it reached', () => {
  const h = Buffer.from(clientProxyHeader({ remoteAddress: '::ffff:192.0.2.7', remotePort: 40000, localAddress: '::ffff:198.51.100.1', localPort: 5432 }));
  assert.deepEqual(h.subarray(0, 12), SIG);
  assert.equal(h[12], 0x21);
  assert.equal(h[13], 0x11);
  assert.equal(h.readUInt16BE(14), 12);
  assert.deepEqual([...h.subarray(16, 20)], [192, 0, 2, 7]);
  assert.deepEqual([...h.subarray(20, 24)], [198, 51, 100, 1]);
  assert.equal(h.readUInt16BE(24), 40000);
  assert.equal(h.readUInt16BE(26), 5432);
});

test('an IPv6 client gets a TCP6 header; LOCAL is the bare 16-byte header', () => {
  const h = Buffer.from(clientProxyHeader({ remoteAddress: '::1', remotePort: 1, localAddress: '::1', localPort: 2 }));
  assert.equal(h[13], 0x21);
  assert.equal(h.length, 16 + 36);
  assert.deepEqual(Buffer.from(LOCAL_HEADER), Buffer.concat([SIG, Buffer.from([0x20, 0x00, 0x00, 0x00])]));
});

test('the cached header is byte for byte the encoded one, for any sequence of clients', () => {
  const address = fc.oneof(fc.ipV4().map((a) => `::ffff:${a}`), fc.ipV4(), fc.constantFrom('::1', '2001:db8::7'));
  const ends = fc.record({ remoteAddress: address, remotePort: fc.integer({ min: 0, max: 65535 }), localAddress: fc.constantFrom('::ffff:127.0.0.1', '::1'), localPort: fc.integer({ min: 1, max: 65535 }) });
  fc.assert(
    fc.property(fc.array(ends, { minLength: 1, maxLength: 8 }), (clients) => {
      const cached = cachedClientProxyHeader();
      // Repeat each client with another port, so hits are exercised as well as misses.
      for (const c of clients.flatMap((c) => [c, { ...c, remotePort: (c.remotePort + 1) % 65536 }])) {
        assert.deepEqual(Buffer.from(cached(c)), Buffer.from(clientProxyHeader(c)));
      }
    }),
    { numRuns: 200 },
  );
});
