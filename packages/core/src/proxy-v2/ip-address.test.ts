// IPv4/IPv6 text <-> bytes, checked against hand-written cases and Node's own parsers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIPv4, isIPv6 } from 'node:net';
import fc from 'fast-check';
import { formatIp, formatIpv4, formatIpv6, parseIp, parseIpv4, parseIpv6, unmapIpv4 } from './ip-address.ts';

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
const v6 = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));

test('IPv4 dotted quads parse and format; leading zeros and out-of-range parts are refused', () => {
  assert.deepEqual(parseIpv4('192.0.2.1'), bytes(192, 0, 2, 1));
  assert.deepEqual(parseIpv4('0.0.0.0'), bytes(0, 0, 0, 0));
  assert.deepEqual(parseIpv4('255.255.255.255'), bytes(255, 255, 255, 255));
  assert.equal(formatIpv4(bytes(198, 51, 100, 7)), '198.51.100.7');
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '01.2.3.4', '1.2.3.-4', '1.2.3.4 ', ' 1.2.3.4', '1..3.4', '0x1.2.3.4', '1.2.3.4/24', '１.2.3.4']) {
    assert.equal(parseIpv4(bad), undefined, bad);
  }
});

test('IPv6 parses with zero compression, embedded IPv4 and any case', () => {
  assert.deepEqual(parseIpv6('2001:db8::1'), v6('20010db8000000000000000000000001'));
  assert.deepEqual(parseIpv6('::'), new Uint8Array(16));
  assert.deepEqual(parseIpv6('::1'), v6('00000000000000000000000000000001'));
  assert.deepEqual(parseIpv6('1::'), v6('00010000000000000000000000000000'));
  assert.deepEqual(parseIpv6('2001:DB8:0:0:8:800:200C:417A'), v6('20010db80000000000080800200c417a'));
  assert.deepEqual(parseIpv6('::ffff:192.0.2.1'), v6('00000000000000000000ffffc0000201'));
  assert.deepEqual(parseIpv6('64:ff9b::198.51.100.7'), v6('0064ff9b0000000000000000c6336407'));
  assert.deepEqual(parseIpv6('1:2:3:4:5:6:7:8'), v6('00010002000300040005000600070008'));
  assert.deepEqual(parseIpv6('1:2:3:4:5:6:1.2.3.4'), v6('00010002000300040005000601020304'));
  for (const bad of ['', ':', ':::', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', 'g::', '::1.2.3', '1.2.3.4::', '::1.2.3.4:5',
    'fe80::1%eth0', '1:2:3:4:5:6:7::8:9', '1:2:3:4:5:6:7:8::', ':1::', '1::2:', '[::1]', '::ffff:256.0.0.1', '1:2:3:4:5:6:7:1.2.3.4']) {
    assert.equal(parseIpv6(bad), undefined, bad);
  }
});

test('IPv6 formats per RFC 5952: lowercase, longest zero run compressed, single zero group kept', () => {
  assert.equal(formatIpv6(v6('20010db8000000000000000000000001')), '2001:db8::1');
  assert.equal(formatIpv6(new Uint8Array(16)), '::');
  assert.equal(formatIpv6(v6('00000000000000000000000000000001')), '::1');
  assert.equal(formatIpv6(v6('00010000000000000000000000000000')), '1::');
  assert.equal(formatIpv6(v6('20010db8000000010001000100010001')), '2001:db8:0:1:1:1:1:1');
  assert.equal(formatIpv6(v6('20010db8000000000001000000000001')), '2001:db8::1:0:0:1');
  assert.equal(formatIpv6(v6('20010000000000010000000000000001')), '2001:0:0:1::1');
  assert.equal(formatIpv6(v6('20010db8abcdef000000000000000000')), '2001:db8:abcd:ef00::');
  assert.equal(formatIpv6(v6('00000000000000000000ffffc0000201')), '::ffff:192.0.2.1');
  assert.equal(formatIpv6(v6('0064ff9b0000000000000000c6336407')), '64:ff9b::c633:6407');
});

test('IPv4-mapped addresses unmap to their dotted quad; others are left alone', () => {
  assert.equal(unmapIpv4('::ffff:192.0.2.1'), '192.0.2.1');
  assert.equal(unmapIpv4('::FFFF:c000:0201'), '192.0.2.1');
  assert.equal(unmapIpv4('2001:db8::1'), '2001:db8::1');
  assert.equal(unmapIpv4('192.0.2.1'), '192.0.2.1');
});

test('any 16 bytes format to text that Node accepts, parses back, and matches the WHATWG URL serialisation', () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 16 }), (raw, from, count) => {
    raw.fill(0, from, Math.min(16, from + count)); // zero runs are the interesting part of the format
    const text = formatIpv6(raw);
    assert.ok(isIPv6(text), text);
    assert.deepEqual(parseIpv6(text), raw);
    assert.deepEqual(parseIp(text), { family: 6, bytes: raw });
    const mapped = raw.subarray(0, 12).every((b, i) => b === (i >= 10 ? 0xff : 0));
    if (!mapped) assert.equal(new URL(`http://[${text}]/`).hostname, `[${text}]`);
  }), { numRuns: 1000 });
});

test('any 4 bytes round-trip through dotted-quad text that Node accepts', () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (raw) => {
    const text = formatIp(raw);
    assert.ok(isIPv4(text));
    assert.deepEqual(parseIp(text), { family: 4, bytes: raw });
  }), { numRuns: 300 });
});

test('parseIp agrees with node:net on which strings are addresses', () => {
  const samples = ['1.2.3.4', '::', '::1', 'a:b:c:d:e:f:1.2.3.4', '1:2::3:4', '1.2.3', '1.2.3.04', 'fe80::1%1', ':::1', 'x', '', '::ffff:1.2.3.4', '2001:db8:0:0:0:0:2:1'];
  for (const s of samples) assert.equal(parseIp(s) !== undefined, isIPv4(s) || (isIPv6(s) && !s.includes('%')), s);
  fc.assert(fc.property(fc.stringMatching(/^[0-9a-fA-F:.]{0,24}$/), (s) => {
    assert.equal(parseIp(s) !== undefined, isIPv4(s) || isIPv6(s), s);
  }), { numRuns: 2000 });
});
