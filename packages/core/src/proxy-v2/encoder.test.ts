// The encoder against the spec's section 2.2 layouts, written out byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTrcError } from '../errors/errors.ts';
import { crc32c } from './crc32c.ts';
import { encodeProxyV2 } from './encoder.ts';
import type { ProxyV2Header } from './header.ts';

const SIG = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const expectBytes = (actual: Uint8Array, expected: number[]): void => assert.equal(hex(actual), hex(Uint8Array.from(expected)));

test('LOCAL encodes as the 16-byte header with version 2, command 0, family UNSPEC and length 0', () => {
  expectBytes(encodeProxyV2({ command: 'LOCAL' }), [...SIG, 0x20, 0x00, 0x00, 0x00]);
});

test('PROXY TCP over IPv4 encodes as in spec 2.2: \\x21 \\x11, length 12, addresses then ports in network order', () => {
  const bytes = encodeProxyV2({ command: 'PROXY', transport: 'tcp', source: { address: '192.0.2.1', port: 56324 }, destination: { address: '198.51.100.7', port: 443 } });
  expectBytes(bytes, [...SIG, 0x21, 0x11, 0x00, 0x0c, 192, 0, 2, 1, 198, 51, 100, 7, 0xdc, 0x04, 0x01, 0xbb]);
});

test('PROXY TCP over IPv6 encodes as in spec 2.2: \\x21 \\x21, length 36', () => {
  const bytes = encodeProxyV2({ command: 'PROXY', transport: 'tcp', source: { address: '2001:db8::1', port: 1234 }, destination: { address: '2001:db8::2', port: 80 } });
  expectBytes(bytes, [
    ...SIG, 0x21, 0x21, 0x00, 0x24,
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
    0x04, 0xd2, 0x00, 0x50,
  ]);
});

test('UDP and UNIX transports use bytes \\x12, \\x22, \\x31 and \\x32 with 12, 36 and 216 address bytes', () => {
  const udp4 = encodeProxyV2({ command: 'PROXY', transport: 'udp', source: { address: '10.0.0.1', port: 53 }, destination: { address: '10.0.0.2', port: 5353 } });
  expectBytes(udp4.subarray(12, 16), [0x21, 0x12, 0x00, 0x0c]);
  const udp6 = encodeProxyV2({ command: 'PROXY', transport: 'udp', source: { address: '::1', port: 1 }, destination: { address: '::ffff:10.0.0.1', port: 2 } });
  expectBytes(udp6.subarray(12, 16), [0x21, 0x22, 0x00, 0x24]);
  const path = new TextEncoder().encode('/run/app.sock');
  const unix = encodeProxyV2({ command: 'PROXY', transport: 'unix-stream', source: { path }, destination: { path: new Uint8Array(0) } });
  assert.equal(unix.length, 16 + 216);
  expectBytes(unix.subarray(12, 16), [0x21, 0x31, 0x00, 0xd8]);
  expectBytes(unix.subarray(16, 16 + 108), [...path, ...new Array<number>(108 - path.length).fill(0)]);
  const dgram = encodeProxyV2({ command: 'LOCAL', transport: 'unix-dgram', source: { path }, destination: { path } });
  expectBytes(dgram.subarray(12, 16), [0x20, 0x32, 0x00, 0xd8]);
});

test('TLVs follow the address block as type, 2-byte length, value; ALPN, AUTHORITY, UNIQUE_ID, NETNS, NOOP, custom', () => {
  const bytes = encodeProxyV2({
    command: 'PROXY', transport: 'tcp', source: { address: '192.0.2.1', port: 1 }, destination: { address: '192.0.2.2', port: 2 },
    tlvs: [
      { type: 'alpn', value: Uint8Array.from(ascii('h2')) },
      { type: 'authority', value: 'example.com' },
      { type: 'unique-id', value: Uint8Array.of(0xab, 0xcd) },
      { type: 'netns', value: 'blue' },
      { type: 'noop', value: new Uint8Array(0) },
      { type: 'other', code: 0xe0, value: Uint8Array.of(7) },
    ],
  });
  expectBytes(bytes, [
    ...SIG, 0x21, 0x11, 0x00, 12 + 5 + 14 + 5 + 7 + 3 + 4,
    192, 0, 2, 1, 192, 0, 2, 2, 0x00, 0x01, 0x00, 0x02,
    0x01, 0x00, 0x02, ...ascii('h2'),
    0x02, 0x00, 0x0b, ...ascii('example.com'),
    0x05, 0x00, 0x02, 0xab, 0xcd,
    0x30, 0x00, 0x04, ...ascii('blue'),
    0x04, 0x00, 0x00,
    0xe0, 0x00, 0x01, 0x07,
  ]);
});

test('the SSL TLV is client byte, 4-byte verify, then sub-TLVs VERSION, CN, CIPHER, SIG_ALG, KEY_ALG', () => {
  const bytes = encodeProxyV2({
    command: 'LOCAL',
    tlvs: [{ type: 'ssl', client: 0x07, verify: 0x01020304, subTlvs: [
      { type: 'version', value: 'TLSv1.3' }, { type: 'cn', value: 'c' }, { type: 'cipher', value: 'x' }, { type: 'sig-alg', value: 'y' }, { type: 'key-alg', value: 'z' },
      { type: 'other', code: 0x26, value: Uint8Array.of(9) },
    ] }],
  });
  expectBytes(bytes, [
    ...SIG, 0x20, 0x00, 0x00, 3 + 5 + 10 + 4 * 4 + 4,
    0x20, 0x00, 5 + 10 + 4 * 4 + 4, 0x07, 0x01, 0x02, 0x03, 0x04,
    0x21, 0x00, 0x07, ...ascii('TLSv1.3'),
    0x22, 0x00, 0x01, ...ascii('c'), 0x23, 0x00, 0x01, ...ascii('x'), 0x24, 0x00, 0x01, ...ascii('y'), 0x25, 0x00, 0x01, ...ascii('z'),
    0x26, 0x00, 0x01, 0x09,
  ]);
});

test('checksum: true appends a CRC32C TLV computed over the whole header with its value zeroed', () => {
  const header: ProxyV2Header = { command: 'PROXY', transport: 'tcp', source: { address: '192.0.2.1', port: 56324 }, destination: { address: '198.51.100.7', port: 443 } };
  const bytes = encodeProxyV2(header, { checksum: true });
  const zeroed = [...SIG, 0x21, 0x11, 0x00, 0x13, 192, 0, 2, 1, 198, 51, 100, 7, 0xdc, 0x04, 0x01, 0xbb, 0x03, 0x00, 0x04, 0, 0, 0, 0];
  const crc = crc32c(Uint8Array.from(zeroed));
  expectBytes(bytes, [...zeroed.slice(0, -4), crc >>> 24, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff]);
  // A CRC32C TLV already in the list is filled in where it stands rather than appended again.
  const inPlace = encodeProxyV2({ command: 'LOCAL', tlvs: [{ type: 'crc32c' }, { type: 'noop', value: new Uint8Array(1) }] }, { checksum: true });
  assert.equal(inPlace.length, 16 + 7 + 4);
  const copy = inPlace.slice();
  copy.fill(0, 19, 23);
  assert.equal(new DataView(inPlace.buffer).getUint32(19), crc32c(copy));
});

test('the encoder refuses what it cannot encode with TRC_PROXY_V2_UNENCODABLE (a bug, never a silent wrong header)', () => {
  const tcp = (source: string, destination: string, sport = 1, dport = 2): ProxyV2Header => ({ command: 'PROXY', transport: 'tcp', source: { address: source, port: sport }, destination: { address: destination, port: dport } });
  const cases: [string, () => Uint8Array][] = [
    ['bad address', () => encodeProxyV2(tcp('192.0.2.256', '192.0.2.1'))],
    ['mixed families', () => encodeProxyV2(tcp('192.0.2.1', '2001:db8::1'))],
    ['port too big', () => encodeProxyV2(tcp('192.0.2.1', '192.0.2.2', 65536))],
    ['fractional port', () => encodeProxyV2(tcp('192.0.2.1', '192.0.2.2', 1, 1.5))],
    ['bad command', () => encodeProxyV2({ command: 'QUIT' } as unknown as ProxyV2Header)],
    ['bad transport', () => encodeProxyV2({ command: 'PROXY', transport: 'sctp' } as unknown as ProxyV2Header)],
    ['unique id over 128', () => encodeProxyV2({ command: 'LOCAL', tlvs: [{ type: 'unique-id', value: new Uint8Array(129) }] })],
    ['two CRC32C', () => encodeProxyV2({ command: 'LOCAL', tlvs: [{ type: 'crc32c' }, { type: 'crc32c' }] })],
    ['registered code as other', () => encodeProxyV2({ command: 'LOCAL', tlvs: [{ type: 'other', code: 0x01, value: new Uint8Array(0) }] })],
    ['registered SSL subtype as other', () => encodeProxyV2({ command: 'LOCAL', tlvs: [{ type: 'ssl', client: 0, verify: 0, subTlvs: [{ type: 'other', code: 0x22, value: new Uint8Array(0) }] }] })],
    ['lone surrogate', () => encodeProxyV2({ command: 'LOCAL', tlvs: [{ type: 'authority', value: '\ud800' }] })],
    ['over 4096 bytes', () => encodeProxyV2({ command: 'LOCAL', tlvs: [{ type: 'noop', value: new Uint8Array(4096 - 16 - 2) }] })],
    ['over a lower maximum', () => encodeProxyV2({ command: 'LOCAL', tlvs: [{ type: 'noop', value: new Uint8Array(10) }] }, { maxHeaderBytes: 28 })],
    ['maximum above 4096', () => encodeProxyV2({ command: 'LOCAL' }, { maxHeaderBytes: 5000 })],
    ['unix path over 108', () => encodeProxyV2({ command: 'PROXY', transport: 'unix-stream', source: { path: new Uint8Array(109) }, destination: { path: new Uint8Array(0) } })],
  ];
  for (const [name, run] of cases) {
    assert.throws(run, (e: unknown) => isTrcError(e) && e.code === 'TRC_PROXY_V2_UNENCODABLE' && e.kind === 'bug', name);
  }
  assert.equal(encodeProxyV2({ command: 'LOCAL', tlvs: [{ type: 'noop', value: new Uint8Array(4096 - 16 - 3) }] }).length, 4096);
});
