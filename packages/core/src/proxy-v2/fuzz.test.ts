// Fuzz: arbitrary and mutated bytes in arbitrary chunkings; the decoder only ever answers with its typed errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ERROR_CODES } from '../errors/codes.ts';
import { PROXY_CODES } from '../errors/codes-proxy.ts';
import { isTrcError } from '../errors/errors.ts';
import { ProxyV2Decoder } from './decoder.ts';
import { encodeProxyV2 } from './encoder.ts';
import { chunkSizesArb, headerArb } from './test-support/arbitraries.ts';
import { concat, feed } from './test-support/feed.ts';

const SIG = Uint8Array.of(0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a);
const DECODE_CODES = new Set(Object.keys(PROXY_CODES).filter((c) => ERROR_CODES[c as keyof typeof ERROR_CODES].kind === 'user'));

/**
 * Reads past a buffer would surface as a thrown TRC_INTERNAL (every read is bounds-checked), so
 * "nothing thrown" also means "nothing read out of bounds".
 */
function check(input: Uint8Array, sizes: readonly number[], maxHeaderBytes?: number): void {
  const decoder = new ProxyV2Decoder(maxHeaderBytes === undefined ? {} : { maxHeaderBytes });
  let fed;
  try {
    fed = feed(decoder, input, sizes);
  } catch (e) {
    assert.fail(`the decoder threw ${isTrcError(e) ? e.code : String(e)}`);
  }
  assert.ok(decoder.received <= input.length);
  const { result, later } = fed;
  if (result.status === 'error') {
    assert.ok(isTrcError(result.error));
    assert.ok(DECODE_CODES.has(result.error.code), result.error.code);
    return;
  }
  assert.equal(result.status, 'header');
  if (result.status !== 'header') return;
  assert.ok(result.headerBytes >= 16 && result.headerBytes <= (maxHeaderBytes ?? 4096) && result.headerBytes <= input.length);
  assert.deepEqual(concat([result.rest, ...later]), input.subarray(result.headerBytes));
  assert.equal(result.rest.buffer, input.buffer);
}

const RUNS = 1000;
const maxArb = fc.option(fc.integer({ min: 16, max: 4096 }), { nil: undefined });

test('fuzz: arbitrary bytes in arbitrary chunkings', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), chunkSizesArb, (input, sizes) => check(input, sizes)), { numRuns: RUNS });
});

test('fuzz: the signature followed by arbitrary bytes (version, family, length and TLVs exercised)', () => {
  const famBytes = fc.constantFrom(0x00, 0x11, 0x12, 0x21, 0x22, 0x31, 0x32, 0x10, 0x44);
  // The declared length is usually near the body's, so most runs get past the length check into the TLVs.
  fc.assert(fc.property(fc.constantFrom(0x20, 0x21, 0x22, 0x11), famBytes, fc.integer({ min: -3, max: 3 }), fc.uint8Array({ maxLength: 420 }), chunkSizesArb, maxArb,
    (verCmd, fam, slack, body, sizes, max) => {
      const length = Math.max(0, body.length + slack);
      check(concat([SIG, Uint8Array.of(verCmd, fam, length >> 8, length & 0xff), body]), sizes, max);
    }), { numRuns: RUNS });
});

test('fuzz: valid headers with bytes changed, cut or appended', () => {
  const edit = fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) });
  fc.assert(fc.property(headerArb, fc.boolean(), fc.array(edit, { maxLength: 3 }), fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 7 })), fc.uint8Array({ maxLength: 16 }), chunkSizesArb, maxArb,
    (header, checksum, edits, cut, tail, sizes, max) => {
      const bytes = encodeProxyV2(header, { checksum }).slice();
      for (const e of edits) bytes[e.at % bytes.length] = e.value;
      check(concat([bytes.subarray(0, Math.max(0, bytes.length - cut)), tail]), sizes, max);
    }), { numRuns: RUNS });
});

test('fuzz: TLV regions of arbitrary bytes after a valid address block', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), chunkSizesArb, (tlvs, sizes) => {
    const header = concat([SIG, Uint8Array.of(0x21, 0x11, (12 + tlvs.length) >> 8, (12 + tlvs.length) & 0xff), new Uint8Array(12), tlvs]);
    check(header, sizes);
  }), { numRuns: RUNS });
});
