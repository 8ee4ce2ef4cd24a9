// CRC32C against the standard check value and the RFC 3720 (iSCSI) test vectors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { crc32c } from './crc32c.ts';

test('crc32c of "123456789" is the Castagnoli check value 0xE3069283', () => {
  assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(0)), 0);
});

test('crc32c matches the RFC 3720 B.4 vectors', () => {
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
});

test('crc32c continues across split buffers', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), (bytes, cut) => {
    const at = cut % (bytes.length + 1);
    assert.equal(crc32c(bytes.subarray(at), crc32c(bytes.subarray(0, at))), crc32c(bytes));
  }), { numRuns: 200 });
});
