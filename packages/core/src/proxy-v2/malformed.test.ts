// Malformed headers from the spec and public test suites (HAProxy, go-proxyproto): each refused with its own code, as early as possible.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ErrorCode } from '../errors/errors.ts';
import { ProxyV2Decoder, decodeProxyV2 } from './decoder.ts';
import { encodeProxyV2 } from './encoder.ts';
import type { ProxyV2Header } from './header.ts';

const SIG = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
const ADDR4 = [192, 0, 2, 1, 198, 51, 100, 7, 0xdc, 0x04, 0x01, 0xbb];
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
const be16 = (n: number): number[] => [n >> 8, n & 0xff];
/** A LOCAL/UNSPEC header around raw TLV bytes. */
const withTlvs = (tlvs: number[]): number[] => [...SIG, 0x20, 0x00, ...be16(tlvs.length), ...tlvs];

function codeOf(bytes: number[] | Uint8Array, maxHeaderBytes?: number): ErrorCode | 'header' {
  const result = decodeProxyV2(Uint8Array.from(bytes), maxHeaderBytes === undefined ? {} : { maxHeaderBytes });
  if (result.status === 'header') return 'header';
  assert.equal(result.status, 'error');
  assert.equal(result.status === 'error' && result.error.kind, 'user');
  return (result as { error: { code: ErrorCode } }).error.code;
}

const CASES: [string, number[], ErrorCode, number?][] = [
  ['empty stream', [], 'TRC_PROXY_V2_TRUNCATED'],
  ['truncated signature', SIG.slice(0, 7), 'TRC_PROXY_V2_TRUNCATED'],
  ['signature without version byte', SIG, 'TRC_PROXY_V2_TRUNCATED'],
  ['fixed part without length', [...SIG, 0x21, 0x11, 0x00], 'TRC_PROXY_V2_TRUNCATED'],
  ['address block cut short by the stream', [...SIG, 0x21, 0x11, 0x00, 0x0c, ...ADDR4.slice(0, 11)], 'TRC_PROXY_V2_TRUNCATED'],
  ['HTTP request', ascii('GET / HTTP/1.1\r\n\r\n'), 'TRC_PROXY_V2_BAD_SIGNATURE'],
  ['TLS ClientHello', [0x16, 0x03, 0x01, 0x02, 0x00, 0x01], 'TRC_PROXY_V2_BAD_SIGNATURE'],
  ['signature with one wrong byte', [...SIG.slice(0, 11), 0x0b, 0x21, 0x11, 0x00, 0x0c, ...ADDR4], 'TRC_PROXY_V2_BAD_SIGNATURE'],
  ['v1 TCP4 header', ascii('PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n'), 'TRC_PROXY_V1_UNSUPPORTED'],
  ['v1 UNKNOWN header', ascii('PROXY UNKNOWN\r\n'), 'TRC_PROXY_V1_UNSUPPORTED'],
  ['"PROXZ" is neither version', ascii('PROXZ TCP4'), 'TRC_PROXY_V2_BAD_SIGNATURE'],
  ['version 1 nibble in a binary header', [...SIG, 0x11, 0x11, 0x00, 0x0c, ...ADDR4], 'TRC_PROXY_V2_BAD_VERSION'],
  ['version 3 nibble', [...SIG, 0x31, 0x11, 0x00, 0x0c, ...ADDR4], 'TRC_PROXY_V2_BAD_VERSION'],
  ['version 0 nibble', [...SIG, 0x01, 0x11, 0x00, 0x0c, ...ADDR4], 'TRC_PROXY_V2_BAD_VERSION'],
  ['command 2', [...SIG, 0x22, 0x11, 0x00, 0x0c, ...ADDR4], 'TRC_PROXY_V2_BAD_COMMAND'],
  ['command 0xF', [...SIG, 0x2f, 0x11, 0x00, 0x0c, ...ADDR4], 'TRC_PROXY_V2_BAD_COMMAND'],
  ['family 4', [...SIG, 0x21, 0x41, 0x00, 0x0c, ...ADDR4], 'TRC_PROXY_V2_BAD_FAMILY'],
  ['family 0xF', [...SIG, 0x21, 0xf1, 0x00, 0x0c, ...ADDR4], 'TRC_PROXY_V2_BAD_FAMILY'],
  ['INET with UNSPEC transport (0x10)', [...SIG, 0x21, 0x10, 0x00, 0x0c, ...ADDR4], 'TRC_PROXY_V2_BAD_FAMILY'],
  ['UNSPEC with STREAM transport (0x01)', [...SIG, 0x21, 0x01, 0x00, 0x00], 'TRC_PROXY_V2_BAD_FAMILY'],
  ['UNIX with UNSPEC transport (0x30)', [...SIG, 0x21, 0x30, 0x00, 0x00], 'TRC_PROXY_V2_BAD_FAMILY'],
  ['transport 3', [...SIG, 0x21, 0x13, 0x00, 0x0c, ...ADDR4], 'TRC_PROXY_V2_BAD_TRANSPORT'],
  ['transport 0xF', [...SIG, 0x21, 0x2f, 0x00, 0x24], 'TRC_PROXY_V2_BAD_TRANSPORT'],
  ['TCP4 length 11 < 12', [...SIG, 0x21, 0x11, 0x00, 0x0b, ...ADDR4.slice(0, 11)], 'TRC_PROXY_V2_ADDRESS_TRUNCATED'],
  ['TCP4 length 0', [...SIG, 0x21, 0x11, 0x00, 0x00], 'TRC_PROXY_V2_ADDRESS_TRUNCATED'],
  ['TCP6 length 35 < 36', [...SIG, 0x21, 0x21, 0x00, 0x23, ...new Array<number>(35).fill(0)], 'TRC_PROXY_V2_ADDRESS_TRUNCATED'],
  ['TCP6 with a TCP4-sized block', [...SIG, 0x21, 0x21, 0x00, 0x0c, ...ADDR4], 'TRC_PROXY_V2_ADDRESS_TRUNCATED'],
  ['UDP4 length 4', [...SIG, 0x21, 0x12, 0x00, 0x04, 1, 2, 3, 4], 'TRC_PROXY_V2_ADDRESS_TRUNCATED'],
  ['UNIX length 215 < 216', [...SIG, 0x21, 0x31, 0x00, 0xd7, ...new Array<number>(215).fill(0)], 'TRC_PROXY_V2_ADDRESS_TRUNCATED'],
  ['length over 4096 in total', [...SIG, 0x21, 0x11, 0x0f, 0xf1], 'TRC_PROXY_V2_HEADER_TOO_LARGE'],
  ['length 0xFFFF', [...SIG, 0x20, 0x00, 0xff, 0xff], 'TRC_PROXY_V2_HEADER_TOO_LARGE'],
  ['over a lower configured maximum', [...SIG, 0x21, 0x11, 0x00, 0x0d, ...ADDR4, 0], 'TRC_PROXY_V2_HEADER_TOO_LARGE', 28],
  ['one stray byte after the addresses', [...SIG, 0x21, 0x11, 0x00, 0x0d, ...ADDR4, 0x04], 'TRC_PROXY_V2_TLV_OVERRUN'],
  ['two stray bytes (TLV head cut)', [...SIG, 0x21, 0x11, 0x00, 0x0e, ...ADDR4, 0x04, 0x00], 'TRC_PROXY_V2_TLV_OVERRUN'],
  ['TLV value longer than the header', [...SIG, 0x21, 0x11, 0x00, 0x11, ...ADDR4, 0x02, 0x00, 0x03, 0x61, 0x62], 'TRC_PROXY_V2_TLV_OVERRUN'],
  ['TLV length 0xFFFF', withTlvs([0x01, 0xff, 0xff, 0x68, 0x32]), 'TRC_PROXY_V2_TLV_OVERRUN'],
  ['second TLV overruns', withTlvs([0x04, 0x00, 0x00, 0x05, 0x00, 0x02, 0x01]), 'TRC_PROXY_V2_TLV_OVERRUN'],
  ['SSL sub-TLV overruns the SSL TLV', withTlvs([0x20, 0x00, 0x09, 0x01, 0, 0, 0, 0, 0x21, 0x00, 0x05, 0x54]), 'TRC_PROXY_V2_TLV_OVERRUN'],
  ['SSL sub-TLV head cut', withTlvs([0x20, 0x00, 0x07, 0x01, 0, 0, 0, 0, 0x21, 0x00]), 'TRC_PROXY_V2_TLV_OVERRUN'],
  ['SSL TLV shorter than client + verify', withTlvs([0x20, 0x00, 0x04, 0x01, 0, 0, 0]), 'TRC_PROXY_V2_TLV_INVALID'],
  ['CRC32C of 3 bytes', withTlvs([0x03, 0x00, 0x03, 0, 0, 0]), 'TRC_PROXY_V2_TLV_INVALID'],
  ['CRC32C of 5 bytes', withTlvs([0x03, 0x00, 0x05, 0, 0, 0, 0, 0]), 'TRC_PROXY_V2_TLV_INVALID'],
  ['UNIQUE_ID of 129 bytes', withTlvs([0x05, 0x00, 129, ...new Array<number>(129).fill(7)]), 'TRC_PROXY_V2_TLV_INVALID'],
  ['AUTHORITY not UTF-8', withTlvs([0x02, 0x00, 0x02, 0xc3, 0x28]), 'TRC_PROXY_V2_TLV_INVALID'],
  ['SSL CN not UTF-8', withTlvs([0x20, 0x00, 0x09, 0x01, 0, 0, 0, 0, 0x22, 0x00, 0x01, 0xff]), 'TRC_PROXY_V2_TLV_INVALID'],
  ['CRC32C with a wrong value', withTlvs([0x03, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef]), 'TRC_PROXY_V2_CRC_MISMATCH'],
];

for (const [name, bytes, code, max] of CASES) {
  test(`malformed: ${name} -> ${code}`, () => {
    assert.equal(codeOf(bytes, max), code);
  });
}

test('a UNIQUE_ID of exactly 128 bytes and an empty NOOP are accepted', () => {
  assert.equal(codeOf(withTlvs([0x05, 0x00, 128, ...new Array<number>(128).fill(7), 0x04, 0x00, 0x00])), 'header');
});

test('a second CRC32C TLV is refused even when both hold the right checksum', () => {
  const twice = encodeProxyV2({ command: 'LOCAL', tlvs: [{ type: 'crc32c' }] });
  const bytes = [...twice.subarray(0, 14), ...be16(14), ...twice.subarray(16), ...twice.subarray(16)];
  assert.equal(codeOf(bytes), 'TRC_PROXY_V2_TLV_INVALID');
});

test('a signature mismatch is refused on the first wrong byte, not after 16 bytes', () => {
  for (let i = 0; i < SIG.length; i++) {
    const d = new ProxyV2Decoder();
    for (let j = 0; j < i; j++) assert.equal(d.push(Uint8Array.of(SIG[j]!)).status, 'need-more');
    const result = d.push(Uint8Array.of(SIG[i]! ^ 0x40));
    assert.equal(result.status === 'error' && result.error.code, 'TRC_PROXY_V2_BAD_SIGNATURE', `byte ${i}`);
    assert.equal(d.received, i + 1);
  }
});

test('a v1 header is refused once "PROXY" has arrived; version, command, family and length on their own byte', () => {
  const steps: [number[], ErrorCode][] = [
    [ascii('PROXY'), 'TRC_PROXY_V1_UNSUPPORTED'],
    [[...SIG, 0x31], 'TRC_PROXY_V2_BAD_VERSION'],
    [[...SIG, 0x23], 'TRC_PROXY_V2_BAD_COMMAND'],
    [[...SIG, 0x21, 0x51], 'TRC_PROXY_V2_BAD_FAMILY'],
    [[...SIG, 0x21, 0x14], 'TRC_PROXY_V2_BAD_TRANSPORT'],
    [[...SIG, 0x21, 0x11, 0x10, 0x00], 'TRC_PROXY_V2_HEADER_TOO_LARGE'],
    [[...SIG, 0x21, 0x21, 0x00, 0x0c], 'TRC_PROXY_V2_ADDRESS_TRUNCATED'],
  ];
  for (const [bytes, code] of steps) {
    const d = new ProxyV2Decoder();
    for (const b of bytes.slice(0, -1)) assert.equal(d.push(Uint8Array.of(b)).status, 'need-more', code);
    const result = d.push(Uint8Array.of(bytes.at(-1)!));
    assert.equal(result.status === 'error' && result.error.code, code);
  }
});

test('every error carries a hint and its details name no payload bytes', () => {
  for (const [, bytes, code, max] of CASES) {
    const result = decodeProxyV2(Uint8Array.from(bytes), max === undefined ? {} : { maxHeaderBytes: max });
    assert.ok(result.status === 'error' && result.error.code === code);
    assert.ok(result.status === 'error' && typeof result.error.hint === 'string' && result.error.hint.length > 0);
    assert.ok(result.status === 'error' && !JSON.stringify(result.error.details).includes('example'));
  }
});

test('a header encoded with a CRC32C verifies, and flipping any bit of its fixed part, addresses or checksum is refused', () => {
  const header: ProxyV2Header = {
    command: 'PROXY', transport: 'tcp', source: { address: '2001:db8::7', port: 40000 }, destination: { address: '2001:db8::1', port: 5432 },
    tlvs: [{ type: 'authority', value: 'db.example' }, { type: 'unique-id', value: Uint8Array.of(1, 2, 3, 4) }],
  };
  const bytes = encodeProxyV2(header, { checksum: true });
  assert.equal(codeOf(bytes), 'header');
  const crcAt = bytes.length - 4;
  const positions = [...Array(14).keys(), ...Array.from({ length: 36 }, (_, i) => 16 + i), crcAt, crcAt + 1, crcAt + 2, crcAt + 3];
  fc.assert(fc.property(fc.constantFrom(...positions), fc.integer({ min: 0, max: 7 }), (at, bit) => {
    const flipped = bytes.slice();
    flipped[at]! ^= 1 << bit;
    assert.notEqual(codeOf(flipped), 'header');
  }), { numRuns: 400 });
  const tlvValue = bytes.slice();
  tlvValue[16 + 36 + 3]! ^= 0x01; // a byte of the AUTHORITY value
  assert.equal(codeOf(tlvValue), 'TRC_PROXY_V2_CRC_MISMATCH');
});
