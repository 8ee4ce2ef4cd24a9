// The strict base64 codec: round trip, agreement with Node's encoder, and refusal of every non-canonical form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeBase64Strict, encodeBase64 } from './base64.ts';

test('encodeBase64 matches RFC 4648 test vectors and Node', () => {
  const rfc: [string, string][] = [['', ''], ['f', 'Zg=='], ['fo', 'Zm8='], ['foo', 'Zm9v'], ['foob', 'Zm9vYg=='], ['fooba', 'Zm9vYmE='], ['foobar', 'Zm9vYmFy']];
  for (const [plain, encoded] of rfc) {
    assert.equal(encodeBase64(new TextEncoder().encode(plain)), encoded);
    const back = decodeBase64Strict(encoded);
    assert.ok(back.ok);
    assert.equal(new TextDecoder().decode(back.bytes), plain);
  }
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
    const text = encodeBase64(bytes);
    assert.equal(text, Buffer.from(bytes).toString('base64'));
    assert.deepEqual(decodeBase64Strict(text), { ok: true, bytes });
  }), { numRuns: 300 });
});

test('decodeBase64Strict refuses wrong alphabet, wrong padding, bad length and non-canonical trailing bits', () => {
  for (const bad of ['ab-_', 'YW I=', 'YQ== ', 'abc', 'YQ', 'YQ=', 'a===', 'ab=c', '====', 'YQ==YQ==', '=YQ=', 'YR==', 'YWJ=', '/x==', 'YQ\n==', 'Y\u00e9==']) {
    assert.equal(decodeBase64Strict(bad).ok, false, bad);
  }
});

test('each byte string has exactly one accepted encoding', () => {
  fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ '.split('')), maxLength: 16 }), (text) => {
    const r = decodeBase64Strict(text);
    if (r.ok) assert.equal(encodeBase64(r.bytes), text);
  }), { numRuns: 2000 });
});
