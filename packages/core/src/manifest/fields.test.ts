// Field readers: did-you-mean suggestions, unknown fields and type checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Problem } from '../errors/errors.ts';
import { checkKnownFields, describeType, didYouMean, editDistance, joinPath, readBoolean, readInteger, readString } from './fields.ts';

test('edit distance counts insertions, deletions, substitutions and neighbour swaps as one edit each', () => {
  const table: [string, string, number][] = [['', '', 0], ['memory', 'memory', 0], ['memroy', 'memory', 1], ['memor', 'memory', 1], ['wbe', 'web', 1], ['cpu', 'gpu', 1], ['kitten', 'sitting', 3], ['', 'abc', 3]];
  for (const [a, b, d] of table) {
    assert.equal(editDistance(a, b), d, `${a} -> ${b}`);
    assert.equal(editDistance(b, a), d, `${b} -> ${a}`);
  }
});

test('did-you-mean picks the closest field within a third of the word, else one the word abbreviates', () => {
  const fields = ['cmd', 'count', 'cpu', 'memory', 'port', 'health_check'];
  assert.equal(didYouMean('memroy', fields), 'memory');
  assert.equal(didYouMean('Memory', fields), 'memory');
  assert.equal(didYouMean('cpus', fields), 'cpu');
  assert.equal(didYouMean('health', fields), 'health_check');
  assert.equal(didYouMean('replicas', fields), undefined);
});

test('unknown fields are reported one by one with their path and a hint', () => {
  const problems: Problem[] = [];
  checkKnownFields({ memroy: 1, replicas: 2, cpu: 1 }, 'processes.web', ['cpu', 'memory'], problems);
  assert.deepEqual(problems, [
    { path: 'processes.web.memroy', code: 'TRC_MANIFEST_UNKNOWN_FIELD', message: 'unknown field "memroy"', hint: 'did you mean "memory"?' },
    { path: 'processes.web.replicas', code: 'TRC_MANIFEST_UNKNOWN_FIELD', message: 'unknown field "replicas"', hint: 'known fields here: cpu, memory' },
  ]);
});

test('paths quote keys that are not bare TOML keys', () => {
  assert.equal(joinPath('', 'app'), 'app');
  assert.equal(joinPath('processes', 'web'), 'processes.web');
  assert.equal(joinPath('processes', 'my app'), 'processes."my app"');
});

test('wrong types are reported with the expected and the actual TOML type', () => {
  const problems: Problem[] = [];
  const raw = { s: 1, b: 'true', i: '3', f: 2.5, big: 70000 };
  assert.equal(readString(raw, 's', 't', problems), undefined);
  assert.equal(readBoolean(raw, 'b', 't', problems), undefined);
  assert.equal(readInteger(raw, 'i', 't', problems, { min: 0, max: 10 }), undefined);
  assert.equal(readInteger(raw, 'f', 't', problems, { min: 0, max: 10 }), undefined);
  assert.equal(readInteger(raw, 'big', 't', problems, { min: 1, max: 65535 }), undefined);
  assert.deepEqual(problems.map((p) => [p.path, p.code, p.message]), [
    ['t.s', 'TRC_MANIFEST_WRONG_TYPE', 'must be a string, not an integer'],
    ['t.b', 'TRC_MANIFEST_WRONG_TYPE', 'must be a boolean (true or false), not a string'],
    ['t.i', 'TRC_MANIFEST_WRONG_TYPE', 'must be an integer, not a string'],
    ['t.f', 'TRC_MANIFEST_WRONG_TYPE', 'must be an integer, not a float'],
    ['t.big', 'TRC_MANIFEST_OUT_OF_RANGE', '70000 is out of range'],
  ]);
  assert.equal(problems[1]!.hint, 'write it without quotes: b = true');
  assert.equal(problems[2]!.hint, 'write it without quotes: i = 3');
  assert.equal(describeType([]), 'an array');
  assert.equal(describeType(new Date(0)), 'a date');
  assert.equal(describeType({}), 'a table');
});
