// Round trip: any valid header encodes and decodes to itself, in any chunking, with any payload after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ProxyV2Decoder } from './decoder.ts';
import { encodeProxyV2 } from './encoder.ts';
import type { DecodedProxyV2Header, ProxyV2Header, ProxyV2Tlv } from './header.ts';
import { formatIp, parseIp } from './ip-address.ts';
import { chunkSizesArb, headerArb } from './test-support/arbitraries.ts';
import { concat, feed } from './test-support/feed.ts';

function canonicalTlvs(tlvs: readonly ProxyV2Tlv[]): ProxyV2Tlv[] {
  return tlvs.map((t) => (t.type === 'crc32c' ? { type: 'crc32c' } : t));
}

/** What the decoder must return for `h`: canonical address text, padded UNIX paths, CRC32C values left out. */
function expected(h: ProxyV2Header): unknown {
  const tlvs = canonicalTlvs(h.tlvs ?? []);
  if (h.transport === 'tcp' || h.transport === 'udp') {
    const src = parseIp(h.source.address)!;
    const dst = parseIp(h.destination.address)!;
    return {
      command: h.command, transport: h.transport, family: src.family === 4 ? 'ipv4' : 'ipv6',
      source: { address: formatIp(src.bytes), port: h.source.port }, destination: { address: formatIp(dst.bytes), port: h.destination.port }, tlvs,
    };
  }
  if (h.transport === 'unix-stream' || h.transport === 'unix-dgram') {
    const pad = (p: Uint8Array): Uint8Array => concat([p, new Uint8Array(108 - p.length)]);
    return { command: h.command, transport: h.transport, source: { path: pad(h.source.path) }, destination: { path: pad(h.destination.path) }, tlvs };
  }
  return { command: h.command, transport: 'unspec', tlvs };
}

function withoutCrcValues(h: DecodedProxyV2Header): unknown {
  return { ...h, tlvs: canonicalTlvs(h.tlvs) };
}

test('any valid header encodes and decodes to itself, delivered in arbitrary chunkings with arbitrary payload after it', () => {
  fc.assert(fc.property(headerArb, fc.uint8Array({ maxLength: 64 }), chunkSizesArb, (header, payload, sizes) => {
    const bytes = encodeProxyV2(header);
    const fed = feed(new ProxyV2Decoder(), concat([bytes, payload]), sizes);
    assert.equal(fed.result.status, 'header', fed.result.status === 'error' ? fed.result.error.message : '');
    if (fed.result.status !== 'header') return;
    assert.equal(fed.result.headerBytes, bytes.length);
    assert.deepEqual(withoutCrcValues(fed.result.header), expected(header));
    assert.deepEqual(concat([fed.result.rest, ...fed.later]), payload);
    // Re-encoding what was decoded gives the same bytes: nothing is lost or reordered.
    assert.deepEqual(encodeProxyV2(fed.result.header), bytes);
  }), { numRuns: 1500 });
});

test('checksum: true headers decode with a verified CRC32C TLV holding the checksum the encoder wrote', () => {
  fc.assert(fc.property(headerArb, chunkSizesArb, (header, sizes) => {
    const bytes = encodeProxyV2(header, { checksum: true });
    const fed = feed(new ProxyV2Decoder(), bytes, sizes);
    assert.equal(fed.result.status, 'header');
    if (fed.result.status !== 'header') return;
    const crcs = fed.result.header.tlvs.filter((t) => t.type === 'crc32c');
    assert.equal(crcs.length, 1);
    const at = bytes.length - 4 - (header.tlvs?.some((t) => t.type === 'crc32c') ? restAfterCrc(bytes) : 0);
    assert.equal(crcs[0]!.value, new DataView(bytes.buffer).getUint32(at));
  }), { numRuns: 300 });
});

/** Bytes after the CRC32C value, found by walking the TLVs the encoder wrote. */
function restAfterCrc(bytes: Uint8Array): number {
  const addr = { 0x00: 0, 0x11: 12, 0x12: 12, 0x21: 36, 0x22: 36, 0x31: 216, 0x32: 216 }[bytes[13]!] ?? 0;
  for (let at = 16 + addr; at < bytes.length; at += 3 + ((bytes[at + 1]! << 8) | bytes[at + 2]!)) {
    if (bytes[at] === 0x03) return bytes.length - (at + 7);
  }
  throw new Error('no CRC32C TLV');
}
