// The decoder on the spec's layouts, byte-at-a-time delivery, early rejection and the payload that follows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProxyV2Decoder, decodeProxyV2 } from './decoder.ts';
import type { DecodeResult } from './decoder.ts';
import { encodeProxyV2 } from './encoder.ts';
import { unixPath } from './header.ts';
import type { DecodedProxyV2Header } from './header.ts';
import { concat, feed } from './test-support/feed.ts';

const SIG = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
const TCP4 = [...SIG, 0x21, 0x11, 0x00, 0x0c, 192, 0, 2, 1, 198, 51, 100, 7, 0xdc, 0x04, 0x01, 0xbb];

function headerOf(result: DecodeResult): DecodedProxyV2Header {
  assert.equal(result.status, 'header', result.status === 'error' ? `${result.error.code}: ${result.error.message}` : result.status);
  return (result as Extract<DecodeResult, { status: 'header' }>).header;
}

test('decodes the spec TCP4 layout into addresses, ports and the PROXY command', () => {
  const result = decodeProxyV2(Uint8Array.from(TCP4));
  assert.deepEqual(headerOf(result), {
    command: 'PROXY', transport: 'tcp', family: 'ipv4',
    source: { address: '192.0.2.1', port: 56324 }, destination: { address: '198.51.100.7', port: 443 }, tlvs: [],
  });
  assert.equal(result.status === 'header' && result.headerBytes, 28);
});

test('decodes the spec TCP6 layout with addresses in RFC 5952 text', () => {
  const bytes = [...SIG, 0x21, 0x21, 0x00, 0x24,
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 9,
    0x04, 0xd2, 0x00, 0x50];
  assert.deepEqual(headerOf(decodeProxyV2(Uint8Array.from(bytes))), {
    command: 'PROXY', transport: 'tcp', family: 'ipv6',
    source: { address: '2001:db8::1', port: 1234 }, destination: { address: '::ffff:192.0.2.9', port: 80 }, tlvs: [],
  });
});

test('decodes LOCAL/UNSPEC, and a LOCAL carrying an address block (receivers must skip it by length)', () => {
  assert.deepEqual(headerOf(decodeProxyV2(Uint8Array.from([...SIG, 0x20, 0x00, 0x00, 0x00]))), { command: 'LOCAL', transport: 'unspec', tlvs: [] });
  const local4 = [...TCP4];
  local4[12] = 0x20;
  const h = headerOf(decodeProxyV2(Uint8Array.from(local4)));
  assert.equal(h.command, 'LOCAL');
  assert.equal(h.transport, 'tcp');
});

test('decodes UDP over IPv4/IPv6 and UNIX stream/datagram by their address lengths (12, 36, 216)', () => {
  const udp4 = [...SIG, 0x21, 0x12, 0x00, 0x0c, 10, 0, 0, 1, 10, 0, 0, 2, 0, 53, 0x14, 0xe9];
  assert.deepEqual(headerOf(decodeProxyV2(Uint8Array.from(udp4))), {
    command: 'PROXY', transport: 'udp', family: 'ipv4', source: { address: '10.0.0.1', port: 53 }, destination: { address: '10.0.0.2', port: 5353 }, tlvs: [],
  });
  const udp6 = [...SIG, 0x21, 0x22, 0x00, 0x24, ...new Array<number>(15).fill(0), 1, ...new Array<number>(15).fill(0), 2, 0, 1, 0, 2];
  const h6 = headerOf(decodeProxyV2(Uint8Array.from(udp6)));
  assert.deepEqual(h6.transport === 'udp' && [h6.source, h6.destination], [{ address: '::1', port: 1 }, { address: '::2', port: 2 }]);
  for (const [byte, transport] of [[0x31, 'unix-stream'], [0x32, 'unix-dgram']] as const) {
    const src = [...ascii('/run/a.sock'), ...new Array<number>(108 - 11).fill(0)];
    const dst = [0, ...ascii('abstract'), ...new Array<number>(108 - 9).fill(0)];
    const unix = [...SIG, 0x21, byte, 0x00, 0xdb, ...src, ...dst, 0x04, 0x00, 0x00];
    const h = headerOf(decodeProxyV2(Uint8Array.from(unix)));
    assert.equal(h.transport, transport);
    assert.ok(h.transport === transport && h.source.path.length === 108 && h.destination.path.length === 108);
    assert.equal(h.transport === transport && unixPath(h.source), '/run/a.sock');
    assert.equal(h.transport === transport && unixPath(h.destination), '');
    assert.deepEqual(h.tlvs, [{ type: 'noop', value: new Uint8Array(0) }]);
  }
});

test('decodes every registered TLV, SSL sub-TLVs and unknown types kept as bytes', () => {
  const ssl = [0x05, 0, 0, 0, 0, 0x21, 0, 7, ...ascii('TLSv1.3'), 0x22, 0, 2, ...ascii('cn'), 0x23, 0, 1, ...ascii('c'), 0x24, 0, 1, ...ascii('s'), 0x25, 0, 1, ...ascii('k'), 0x26, 0, 1, 9];
  const tlvs = [
    0x01, 0, 2, ...ascii('h2'), 0x02, 0, 11, ...ascii('example.com'), 0x04, 0, 2, 0, 0, 0x05, 0, 3, 1, 2, 3,
    0x20, 0, ssl.length, ...ssl, 0x30, 0, 4, ...ascii('blue'), 0xe5, 0, 1, 0x42,
  ];
  const bytes = [...SIG, 0x20, 0x00, 0x00, tlvs.length, ...tlvs];
  assert.deepEqual(headerOf(decodeProxyV2(Uint8Array.from(bytes))).tlvs, [
    { type: 'alpn', value: Uint8Array.from(ascii('h2')) },
    { type: 'authority', value: 'example.com' },
    { type: 'noop', value: new Uint8Array(2) },
    { type: 'unique-id', value: Uint8Array.of(1, 2, 3) },
    { type: 'ssl', client: 0x05, verify: 0, subTlvs: [
      { type: 'version', value: 'TLSv1.3' }, { type: 'cn', value: 'cn' }, { type: 'cipher', value: 'c' }, { type: 'sig-alg', value: 's' }, { type: 'key-alg', value: 'k' },
      { type: 'other', code: 0x26, value: Uint8Array.of(9) },
    ] },
    { type: 'netns', value: 'blue' },
    { type: 'other', code: 0xe5, value: Uint8Array.of(0x42) },
  ]);
});

test('bytes delivered one at a time (or in any chunking) give the same header, with the payload after it in rest', () => {
  const payload = Uint8Array.from(ascii('GET / HTTP/1.1\r\n'));
  const bytes = concat([Uint8Array.from(TCP4), payload]);
  const whole = decodeProxyV2(bytes);
  assert.deepEqual(whole.status === 'header' && whole.rest, payload);
  for (const sizes of [[1], [2], [3], [5], [15, 1], [16], [17], [27], [28], [29], [7, 0, 13]]) {
    const fed = feed(new ProxyV2Decoder(), bytes, sizes);
    assert.deepEqual(headerOf(fed.result), headerOf(whole), String(sizes));
    assert.deepEqual(fed.result.status === 'header' && concat([fed.result.rest, ...fed.later]), payload, String(sizes));
  }
  const exact = new ProxyV2Decoder();
  for (const b of TCP4.slice(0, -1)) assert.deepEqual(exact.push(Uint8Array.of(b)), { status: 'need-more' });
  const last = exact.push(Uint8Array.of(0xbb));
  assert.equal(last.status === 'header' && last.rest.length, 0);
});

test('rest is a view of the last chunk, not a copy', () => {
  const bytes = concat([Uint8Array.from(TCP4), Uint8Array.of(1, 2, 3)]);
  const result = decodeProxyV2(bytes);
  assert.ok(result.status === 'header' && result.rest.buffer === bytes.buffer && result.rest.byteOffset === 28);
});

test('after the header, pushing more bytes is a caller bug (TRC_PROXY_V2_DECODER_FINISHED); after an error the error repeats', () => {
  const d = new ProxyV2Decoder();
  headerOf(d.push(Uint8Array.from(TCP4)));
  assert.throws(() => d.push(Uint8Array.of(1)), { code: 'TRC_PROXY_V2_DECODER_FINISHED' });
  assert.equal(d.end().status, 'header');
  const bad = new ProxyV2Decoder();
  const first = bad.push(Uint8Array.of(0x16, 0x03, 0x01));
  assert.equal(first.status, 'error');
  assert.equal(bad.push(Uint8Array.from(TCP4)), first);
  assert.equal(bad.end(), first);
});

test('maxHeaderBytes outside 16-4096 is refused when the decoder is made', () => {
  for (const max of [15, 4097, 100.5, Number.NaN]) assert.throws(() => new ProxyV2Decoder({ maxHeaderBytes: max }), RangeError);
  assert.equal(decodeProxyV2(encodeProxyV2({ command: 'LOCAL' }), { maxHeaderBytes: 16 }).status, 'header');
});
