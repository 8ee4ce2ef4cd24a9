// `platform events` against the real control plane: the log as a table or JSON, and followed live as NDJSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import process from 'node:process';
import { startWorld } from '../test-support/world.ts';

const world = await startWorld('events');
await world.cli(['orgs', 'create', 'ev']);
await world.cli(['apps', 'create', '--org', 'ev', 'one']);
await world.cli(['apps', 'create', '--org', 'ev', 'two']);

interface Event { seq: number; type: string; payload: { app?: string; org?: string } }

test('events lists the log oldest first, filtered by --app and --type, as a table or --json', async () => {
  const all = JSON.parse((await world.cli(['events', '--json'])).stdout) as Event[];
  assert.deepEqual(all.map((e) => e.seq), [...all.map((e) => e.seq)].sort((a, b) => a - b));
  assert.deepEqual(all.filter((e) => e.type === 'AppCreated').map((e) => e.payload.app), ['one', 'two']);
  const mine = JSON.parse((await world.cli(['events', '--app', 'two', '--type', 'AppCreated,EnvironmentCreated', '--json'])).stdout) as Event[];
  assert.deepEqual(mine.map((e) => [e.type, e.payload.app]), [['AppCreated', 'two'], ['EnvironmentCreated', 'two'], ['EnvironmentCreated', 'two']]);
  const table = await world.cli(['events', '--app', 'one', '--type', 'AppCreated']);
  assert.match(table.stdout, /^SEQ +TIME +EVENT\n\d+ +\d{4}-\d\d-\d\dT[\d:.]+Z +AppCreated app=one org=ev\n$/);
  const limited = JSON.parse((await world.cli(['events', '--limit', '2', '--after', String(all[0]!.seq), '--json'])).stdout) as Event[];
  assert.deepEqual(limited.map((e) => e.seq), [all[1]!.seq, all[2]!.seq]);
});

test('events --follow prints each event as it is appended, one line each (NDJSON with --json), until --max or --until', async () => {
  const last = (JSON.parse((await world.cli(['events', '--json', '--limit', '1000'])).stdout) as Event[]).at(-1)!.seq;
  const following = world.cli(['events', '--follow', '--after', String(last), '--max', '2', '--json', '--timeout', '30']);
  const human = world.cli(['events', '--follow', '--after', String(last), '--type', 'OrgCreated', '--until', 'OrgCreated', '--timeout', '30']);
  await world.cli(['orgs', 'create', 'live']);
  await world.cli(['orgs', 'create', 'live-too']);
  const [json, text] = await Promise.all([following, human]);
  assert.equal(json.code, 0, json.stderr);
  const lines = json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Event);
  assert.equal(lines.length, 2);
  assert.equal(lines[0]!.type, 'OrgCreated');
  assert.equal(lines[0]!.seq, last + 1);
  assert.equal(lines[1]!.type, 'OrgCreated');
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`^${last + 1} \\d{4}-\\S+ OrgCreated org=live\n$`));
});

test('events --follow --timeout ends a watch with exit 0, a wait for --until/--max with TRC_CLI_TIMEOUT (exit 1); --max/--until need --follow, --limit does not go with it', async () => {
  const watch = await world.cli(['events', '--follow', '--type', 'OrgCreated', '--timeout', '1']);
  assert.equal(watch.code, 0, watch.stderr);
  assert.match(watch.stdout, /^\d+ \S+ OrgCreated org=ev\n/);
  const r = await world.cli(['events', '--follow', '--type', 'NoSuchEventYet', '--until', 'NoSuchEventYet', '--timeout', '1']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'TRC_CLI_TIMEOUT: stopped following after 1 s (0 event(s))\nHint: raise --timeout, or use --max / --until to stop on what you wait for\n');
  for (const args of [['--max', '3'], ['--until', 'X'], ['--timeout', '3'], ['--follow', '--limit', '3'], ['--after', '-1'], ['--max', 'x', '--follow']]) {
    const u = await world.cli(['events', ...args]);
    assert.equal(u.code, 2, args.join(' '));
    assert.match(u.stderr, /^TRC_CLI_USAGE: /);
  }
});

test('Ctrl-C ends bin/platform events --follow normally: exit 0, the events printed so far on stdout', async () => {
  const child = spawn(new URL('../../../../bin/platform', import.meta.url).pathname, ['events', '--follow', '--type', 'OrgCreated', '--timeout', '60'], {
    env: { PATH: process.env.PATH, HOME: world.configHome, TRC_URL: world.base, TRC_TOKEN: world.operatorToken },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => ((out += d.toString()), out.includes('\n') && resolve())));
  child.kill('SIGINT');
  assert.equal(await exited, 0);
  assert.match(out, /^\d+ \S+ OrgCreated org=ev\n/);
});
