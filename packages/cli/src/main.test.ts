// bin/platform as a user runs it: the grammar's usage errors, did-you-mean, help and version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPlatform } from './test-support/run-platform.ts';

test('unknown noun, verb or flag exits 2 with CODE: message and a did-you-mean hint', async () => {
  const [noun, verb, flag, topFlag] = await Promise.all([
    runPlatform(['secret', 'check', 'x']),
    runPlatform(['secrets', 'chek', 'x']),
    runPlatform(['secrets', 'check', '--jsn', 'x']),
    runPlatform(['--hepl']),
  ]);
  assert.deepEqual([noun.code, verb.code, flag.code, topFlag.code], [2, 2, 2, 2]);
  assert.equal(noun.stderr, "TRC_CLI_UNKNOWN_NOUN: unknown noun 'secret'\nHint: did you mean 'secrets'? (run 'platform --help' for the list)\n");
  assert.equal(verb.stderr, "TRC_CLI_UNKNOWN_VERB: 'platform secrets' has no verb 'chek'\nHint: did you mean 'check'? (run 'platform secrets --help' for the list)\n");
  assert.match(flag.stderr, /^TRC_CLI_UNKNOWN_FLAG: 'platform secrets check' has no flag --jsn\nHint: did you mean '--json'\?/);
  assert.match(topFlag.stderr, /^TRC_CLI_UNKNOWN_FLAG: unknown flag --hepl\nHint: did you mean '--help'\?/);
  for (const r of [noun, verb, flag, topFlag]) assert.equal(r.stdout, '');
});

test('--help works at every level and exits 0; a missing noun or verb prints help on stderr and exits 2', async () => {
  const [top, noun, verb, none, nounOnly, version] = await Promise.all([
    runPlatform(['--help']),
    runPlatform(['secrets', '--help']),
    runPlatform(['secrets', 'check', '--help']),
    runPlatform([]),
    runPlatform(['secrets']),
    runPlatform(['--version']),
  ]);
  assert.deepEqual([top.code, noun.code, verb.code, none.code, nounOnly.code, version.code], [0, 0, 0, 2, 2, 0]);
  assert.match(top.stdout, /^Usage: platform <noun> <verb> \[flags\]/m);
  assert.match(top.stdout, /^ {2}secrets /m);
  assert.match(noun.stdout, /^ {2}check +Check that a file is a valid TRC_SECRETS_V1 secrets file$/m);
  assert.match(verb.stdout, /^Usage: platform secrets check \[flags\] FILE$/m);
  assert.match(verb.stdout, /--json/);
  assert.equal(none.stdout, '');
  assert.match(none.stderr, /^Usage: platform <noun> <verb>/m);
  assert.match(nounOnly.stderr, /^Usage: platform secrets <verb>/m);
  assert.match(version.stdout, /^platform \d+\.\d+\.\d+\n$/);
});
