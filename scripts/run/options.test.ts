// make run's options: defaults in the checkout's .data/run, overrides from flags and the environment,
// every bad value refused as TRC_RUN_USAGE, and host names short enough for the kernel and the agent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTrcError } from '@trc/core';
import { hostNames, parseRunOptions } from './options.ts';

test('defaults keep the state in .data/run of the checkout; TRC_RUN_DATA_DIR, TRC_RUN_NAME and flags override them', () => {
  const d = parseRunOptions([], {}, '/repo');
  assert.deepEqual(d, { dataDir: '/repo/.data/run', name: 'local', controlPort: 7700, agentAdminPort: 7701, edgeAdminPort: 7702, registryPort: 7703, routePort: 8080, subnet: '10.89.0.0/24', greeting: 'world' });
  assert.equal(parseRunOptions([], { TRC_RUN_DATA_DIR: '/tmp/x', TRC_RUN_NAME: 'ci1' }, '/repo').dataDir, '/tmp/x');
  assert.equal(parseRunOptions(['--name', 'ab12', '--route-port', '18080'], { TRC_RUN_NAME: 'ci1' }, '/repo').name, 'ab12');
});

test('an unknown option, a bad port, name, subnet or greeting is TRC_RUN_USAGE with the usage as hint', () => {
  for (const argv of [['--bogus'], ['--control-port', '0'], ['--route-port', '70000'], ['--name', 'Has-Dash'], ['--name', 'toolongname'], ['--subnet', '10.0.0.0'], ['--greeting', '']]) {
    assert.throws(() => parseRunOptions(argv, {}, '/repo'), (e: unknown) => isTrcError(e) && e.code === 'TRC_RUN_USAGE' && /usage: scripts\/run\.ts/.test(e.hint ?? ''), argv.join(' '));
  }
});

test('host names derived from the longest name fit the agent\'s and the kernel\'s limits', () => {
  const n = hostNames('abcdef');
  assert.match(n.table, /^[A-Za-z_][A-Za-z0-9_]{0,63}$/);
  assert.match(n.netnsPrefix, /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$/);
  assert.match(n.interfacePrefix, /^[A-Za-z][A-Za-z0-9_-]{0,9}$/);
  assert.deepEqual([n.runcRoot, n.secretsDir], ['/run/trc-run-abcdef/runc', '/run/trc-run-abcdef/secrets']);
});
