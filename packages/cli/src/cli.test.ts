// The dispatcher, in process: grammar, flags, help at every level, and how failures map to exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrcError, userError } from '@trc/core';
import { runCli, type CommandSet } from './cli.ts';
import type { CliIo, Command, CommandInput } from './command.ts';
import { EXIT } from './exit-codes.ts';
import { COMMANDS, NOUNS } from './registry.ts';
import { commandName } from './help.ts';

interface Captured {
  readonly io: CliIo;
  readonly out: string[];
  readonly err: string[];
}

function captureIo(files: Record<string, string> = {}): Captured {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    readFile: async (path) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return new TextEncoder().encode(text);
    },
    readStdin: async () => new TextEncoder().encode(files['-'] ?? ''),
    env: {},
  };
  return { io, out, err };
}

let seen: CommandInput | undefined;
const testCommands: Command[] = [
  {
    noun: 'widgets', verb: 'list', summary: 'List widgets', read: true,
    args: [{ name: 'NAME', description: 'a name' }, { name: 'MORE', description: 'more names', optional: true, variadic: true }],
    flags: { env: { type: 'string', short: 'e', description: 'environment', valueName: 'ENV' }, tag: { type: 'string', multiple: true, description: 'tags' }, all: { type: 'boolean', description: 'all' } },
    run: (input) => { seen = input; return EXIT.OK; },
  },
  { noun: 'widgets', verb: 'crash', summary: 'A bug', read: false, args: [], run: () => { throw new RangeError('index out of range'); } },
  { noun: 'widgets', verb: 'fail', summary: 'A user error', read: false, args: [], run: () => { throw userError('TRC_INVALID_INPUT', 'that widget is wrong', 'fix it'); } },
  { noun: 'widgets', verb: 'internal', summary: 'A platform error', read: false, args: [], run: () => { throw new TrcError('TRC_INTERNAL', 'store broke'); } },
];
const testSet: CommandSet = { nouns: { widgets: 'Widgets' }, commands: testCommands, version: '9.9.9' };

test('flags and arguments are parsed with util.parseArgs, in any order, and given to the command', async () => {
  const c = captureIo();
  assert.equal(await runCli(['widgets', 'list', 'a', '--env', 'prod', 'b', '--tag=x', '-e', 'staging', '--tag', 'y', 'c', '--json', '--all'], testSet, c.io), EXIT.OK);
  assert.deepEqual(seen, { args: { NAME: 'a' }, rest: ['b', 'c'], flags: { env: 'staging', tag: ['x', 'y'], all: true }, json: true });
  assert.equal(await runCli(['widgets', 'list', 'a'], testSet, c.io), EXIT.OK);
  assert.deepEqual(seen, { args: { NAME: 'a' }, rest: [], flags: {}, json: false });
});

test('usage errors exit 2: missing argument, missing flag value, boolean flag given a value, unknown flag', async () => {
  for (const argv of [['widgets', 'list'], ['widgets', 'list', 'a', '--env'], ['widgets', 'list', 'a', '--all=yes'], ['widgets', 'list', 'a', '--evn', 'x'], ['widgets', 'crash', 'extra'], ['widgets', 'fail', '--json']]) {
    const c = captureIo();
    assert.equal(await runCli(argv, testSet, c.io), EXIT.USAGE, argv.join(' '));
    assert.match(c.err.join(''), /^TRC_CLI_(USAGE|UNKNOWN_FLAG): .*\nHint: /, argv.join(' '));
    assert.deepEqual(c.out, []);
  }
  const c = captureIo();
  await runCli(['widgets', 'list', 'a', '--evn', 'x'], testSet, c.io);
  assert.match(c.err.join(''), /did you mean '--env'\?/);
});

test('a user error prints CODE: message and Hint, and exits 1', async () => {
  const c = captureIo();
  assert.equal(await runCli(['widgets', 'fail'], testSet, c.io), EXIT.FAILURE);
  assert.equal(c.err.join(''), 'TRC_INVALID_INPUT: that widget is wrong\nHint: fix it\n');
});

test('a bug prints its code, message and stack, and exits 70', async () => {
  const c = captureIo();
  assert.equal(await runCli(['widgets', 'crash'], testSet, c.io), EXIT.BUG);
  const err = c.err.join('');
  assert.match(err, /^TRC_INTERNAL: platform failed unexpectedly: index out of range\n/);
  assert.match(err, /RangeError: index out of range\n\s+at /);
  assert.match(err, /Hint: this is a bug in platform/);
  const d = captureIo();
  assert.equal(await runCli(['widgets', 'internal'], testSet, d.io), EXIT.BUG);
  assert.match(d.err.join(''), /^TRC_INTERNAL: store broke\nTrcError: store broke\n\s+at /);
});

test('--help at every level of the registry prints help on stdout and exits 0; every read command takes --json', async () => {
  const set: CommandSet = { nouns: NOUNS, commands: COMMANDS, version: '0' };
  const levels = [['--help'], ['-h'], ...Object.keys(NOUNS).map((n) => [n, '--help'])];
  for (const cmd of COMMANDS) {
    const words = cmd.verb === '' ? [cmd.noun] : [cmd.noun, cmd.verb];
    levels.push([...words, '--help'], [...words, '-h']);
    const c = captureIo();
    assert.equal(await runCli([...words, '--help'], set, c.io), EXIT.OK);
    assert.match(c.out.join(''), new RegExp(`^${commandName(cmd)}: `));
    assert.equal(c.out.join('').includes('--json'), cmd.read, `${cmd.noun} ${cmd.verb} --json`);
  }
  for (const argv of levels) {
    const c = captureIo();
    assert.equal(await runCli(argv, set, c.io), EXIT.OK, argv.join(' '));
    assert.match(c.out.join(''), /Usage: platform /, argv.join(' '));
    assert.deepEqual(c.err, []);
  }
});

test('the registry is consistent: unique noun/verb pairs, every noun summarised, lower-case words, no clash with --help/--json', () => {
  const pairs = new Set<string>();
  for (const c of COMMANDS) {
    assert.match(c.noun, /^[a-z][a-z-]*$/);
    // An empty verb: the noun is a command by itself (`platform deploy`), and then its only one.
    assert.match(c.verb, /^([a-z][a-z-]*)?$/);
    if (c.verb === '') assert.equal(COMMANDS.filter((o) => o.noun === c.noun).length, 1, `${c.noun} is a command by itself and has verbs`);
    assert.ok(!pairs.has(`${c.noun} ${c.verb}`), `${c.noun} ${c.verb} twice`);
    pairs.add(`${c.noun} ${c.verb}`);
    assert.ok(c.noun in NOUNS, `noun ${c.noun} needs a line in NOUNS`);
    assert.ok(!('help' in (c.flags ?? {})) && !('json' in (c.flags ?? {})), `${c.noun} ${c.verb} redefines --help or --json`);
    assert.ok(c.args.slice(0, -1).every((a) => a.variadic !== true), 'only the last argument may be variadic');
  }
  for (const noun of Object.keys(NOUNS)) assert.ok(COMMANDS.some((c) => c.noun === noun), `noun ${noun} has no verb`);
});
