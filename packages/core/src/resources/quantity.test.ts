// Memory quantities: binary units only, with a hint for decimal units and bare numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatMemory, parseMemoryQuantity, UNITS } from './quantity.ts';

test('binary quantities parse to bytes', () => {
  assert.deepEqual(parseMemoryQuantity('512Mi'), { ok: true, bytes: 512 * 2 ** 20 });
  assert.deepEqual(parseMemoryQuantity('2Gi'), { ok: true, bytes: 2 * 2 ** 30 });
  assert.deepEqual(parseMemoryQuantity('1.5Gi'), { ok: true, bytes: 1.5 * 2 ** 30 });
  assert.deepEqual(parseMemoryQuantity('64Ki'), { ok: true, bytes: 65536 });
  assert.deepEqual(parseMemoryQuantity('1Ti'), { ok: true, bytes: 2 ** 40 });
});

test('decimal units and bare numbers are refused with a did-you-mean hint', () => {
  const mb = parseMemoryQuantity('512MB');
  assert.equal(mb.ok, false);
  assert.equal(!mb.ok && mb.hint, 'did you mean "512Mi"?');
  const bare = parseMemoryQuantity('512');
  assert.equal(!bare.ok && bare.hint, 'did you mean "512Mi"?');
  const num = parseMemoryQuantity(512);
  assert.equal(!num.ok && num.hint, 'write it as a string with a binary unit: did you mean "512Mi"?');
  const g = parseMemoryQuantity('2G');
  assert.equal(!g.ok && g.hint, 'did you mean "2Gi"?');
  for (const bad of ['0Mi', '-1Mi', 'lots', '', '1.0000001Ki', true, null]) assert.equal(parseMemoryQuantity(bad).ok, false, String(bad));
});

test('formatMemory and parseMemoryQuantity agree on whole units', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 1023 }), fc.constantFrom(...(Object.keys(UNITS) as (keyof typeof UNITS)[])), (n, unit) => {
    const text = formatMemory(n * UNITS[unit]);
    assert.equal(text, `${n}${unit}`);
    assert.deepEqual(parseMemoryQuantity(text), { ok: true, bytes: n * UNITS[unit] });
  }));
  assert.equal(formatMemory(1.5 * 2 ** 30), '1.5Gi');
});
