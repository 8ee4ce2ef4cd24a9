// The log tail the admin endpoint serves: the last N lines, a trailing newline not counted as a line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastLines } from './admin-server.ts';

test('lastLines keeps the last N lines of a log', () => {
  assert.equal(lastLines('a\nb\nc\n', 2), 'b\nc\n');
  assert.equal(lastLines('a\nb\nc', 5), 'a\nb\nc\n');
  assert.equal(lastLines('a\nb\n', 0), '');
  assert.equal(lastLines('', 3), '');
});
