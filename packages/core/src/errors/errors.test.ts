import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fatalReport, TrcError, userError } from './errors.ts';

test('a program ending on an error reports a user error with exit 2, a bad command line with its usage and 2, a bug as it is with 70', () => {
  assert.deepEqual(fatalReport(userError('TRC_INVALID_INPUT', 'bad name', 'use lowercase'), 'usage: x'), { exitCode: 2, report: 'TRC_INVALID_INPUT: bad name\nHint: use lowercase' });
  assert.equal(fatalReport(new TrcError('TRC_INTERNAL', 'broken'), 'usage: x').exitCode, 70);
  const parse = Object.assign(new TypeError("Unknown option '--nope'"), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' });
  assert.deepEqual(fatalReport(parse, 'usage: x'), { exitCode: 2, report: "Unknown option '--nope'\nusage: x" });
  const bug = new Error('boom');
  assert.deepEqual(fatalReport(bug, 'usage: x'), { exitCode: 70, report: bug });
  assert.deepEqual(fatalReport(undefined, 'usage: x'), { exitCode: 70, report: undefined });
});
