// Durations: integer and unit only, with did-you-mean hints for the usual mistakes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatDuration, parseDuration } from './duration.ts';

test('durations with ms, s, m or h parse to milliseconds', () => {
  const table: [string, number][] = [['500ms', 500], ['1s', 1000], ['10s', 10_000], ['2m', 120_000], ['1h', 3_600_000], ['0ms', 0]];
  for (const [text, ms] of table) assert.deepEqual(parseDuration(text), { ok: true, ms }, text);
});

test('bare numbers, fractions, spaces and spelled-out units are refused with a did-you-mean hint', () => {
  const table: [unknown, string][] = [
    [10, 'write it as a string with a unit: did you mean "10s"?'],
    ['10', 'did you mean "10s"?'],
    ['1.5s', 'did you mean "1500ms"?'],
    ['1.5h', 'did you mean "90m"?'],
    ['10 s', 'did you mean "10s"?'],
    ['5sec', 'did you mean "5s"?'],
    ['2 minutes', 'did you mean "2m"?'],
    ['1d', 'use an integer and a unit: "500ms", "10s", "2m" or "1h"'],
    ['-1s', 'use an integer and a unit: "500ms", "10s", "2m" or "1h"'],
    [true, 'use an integer and a unit: ms, s, m or h'],
  ];
  for (const [input, hint] of table) {
    const r = parseDuration(input);
    assert.equal(r.ok, false, String(input));
    assert.equal(!r.ok && r.hint, hint, String(input));
  }
});

test('formatDuration writes the largest exact unit and parseDuration reads it back', () => {
  assert.equal(formatDuration(1500), '1500ms');
  assert.equal(formatDuration(120_000), '2m');
  assert.equal(formatDuration(0), '0ms');
  fc.assert(fc.property(fc.integer({ min: 0, max: 10 ** 9 }), (ms) => {
    assert.deepEqual(parseDuration(formatDuration(ms)), { ok: true, ms });
  }));
});
