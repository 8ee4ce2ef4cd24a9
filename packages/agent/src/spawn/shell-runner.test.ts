// The spawn helper against the real /bin/sh: arguments arrive as given, input and output round-trip,
// statuses and timeouts are reported, detached programs leave the agent's session, supervised ones have their
// status written, and a helper that dies
// fails what was pending and is replaced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { descendantsOf } from './proc.ts';
import { ShellRunner, shellQuote } from './shell-runner.ts';

test('arguments reach the program exactly as given (quotes, spaces, $, backquotes, globs), none interpreted by the helper', async () => {
  const runner = new ShellRunner();
  try {
    await fc.assert(fc.asyncProperty(fc.array(fc.string({ unit: 'binary' }).filter((s) => !s.includes('\n') && !s.includes('\0')), { maxLength: 5 }), async (args) => {
      const r = await runner.run('/usr/bin/printf', ['%s\\0', ...args], { stdout: true });
      assert.equal(r.code, 0);
      assert.deepEqual(args.length === 0 ? [''] : r.stdout.split('\0').slice(0, -1), args.length === 0 ? [''] : args);
    }), { numRuns: 40 });
  } finally {
    runner.close();
  }
});

test('input is fed on stdin line by line; stdout is kept when asked; a failure gives its status and stderr', async () => {
  const runner = new ShellRunner();
  try {
    const input = "add element inet t s { \"a'b\" . 10.0.0.2 }\n$HOME `x` \\n\n";
    assert.deepEqual(await runner.run('/bin/cat', [], { input, stdout: true }), { code: 0, stdout: input, stderr: '' });
    assert.deepEqual(await runner.run('/bin/cat', [], { input: 'no newline' , stdout: true }), { code: 0, stdout: 'no newline\n', stderr: '' });
    assert.equal((await runner.run('/bin/echo', ['discarded'])).stdout, '');
    const failed = await runner.run('/bin/sh', ['-c', 'echo why >&2; exit 3']);
    assert.equal(failed.code, 3);
    assert.equal(failed.stderr, 'why\n');
    assert.equal((await runner.run('/nonexistent/program', [])).code, 127);
    assert.throws(() => shellQuote('two\nlines'), { code: 'TRC_INTERNAL' });
  } finally {
    runner.close();
  }
});

test('a program past its timeout is killed and reported with status 124; programs run concurrently', async () => {
  const runner = new ShellRunner();
  try {
    const [slow, ...fast] = await Promise.all([runner.run('/bin/sleep', ['30'], { timeoutMs: 300 }), ...Array.from({ length: 8 }, (_, i) => runner.run('/bin/echo', [String(i)], { stdout: true }))]);
    assert.equal(slow!.code, 124);
    assert.deepEqual(fast.map((r) => r.stdout), Array.from({ length: 8 }, (_, i) => `${i}\n`));
    // In time, a failing program keeps its own status.
    assert.equal((await runner.run('/bin/sh', ['-c', 'exit 3'], { timeoutMs: 5000 })).code, 3);
  } finally {
    runner.close();
  }
});

test('past its timeout, a program fed input and its children get SIGTERM, and one that ignores it SIGKILL after the grace', async () => {
  const runner = new ShellRunner({ killAfterMs: 300 });
  const marker = `trc-timeout-${process.pid}`;
  try {
    // A pipeline (the input's printf and the program), the program with a child of its own.
    const fed = runner.run('/bin/sh', ['-c', `sh -c 'while :; do sleep 0.05; done' ${marker}-child & cat >/dev/null; wait`, marker], { input: 'line', timeoutMs: 300 });
    // No SIGTERM for it: only the SIGKILL ends it.
    const stubborn = runner.run('/bin/sh', ['-c', `trap '' TERM; while :; do sleep 0.05; done`, `${marker}-stubborn`], { timeoutMs: 300 });
    const [a, b] = await Promise.all([fed, stubborn]);
    assert.equal(a.code, 124);
    assert.equal(b.code, 124);
    // Nothing of either is left running (bounded: killed processes may take a moment to be reaped).
    const left = (): string[] => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    });
    for (let i = 0; i < 50 && left().length > 0; i++) await sleep(20);
    assert.deepEqual(left(), []);
  } finally {
    runner.close();
  }
});

test('descendantsOf lists children and grandchildren from a /proc tree, comm with spaces and parentheses included', () => {
  const proc = mkdtempSync(path.join(tmpdir(), 'trc-proc-'));
  try {
    const stat = (pid: number, comm: string, ppid: number): void => {
      mkdirSync(path.join(proc, String(pid)));
      writeFileSync(path.join(proc, String(pid), 'stat'), `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1\n`);
    };
    stat(10, 'sh', 1);
    stat(11, 'ip', 10);
    stat(12, 'odd) name (x', 10);
    stat(13, 'sleep', 12);
    stat(20, 'other', 1);
    mkdirSync(path.join(proc, 'self'));
    assert.deepEqual(descendantsOf(10, proc).sort(), [11, 12, 13]);
    assert.deepEqual(descendantsOf(20, proc), []);
  } finally {
    rmSync(proc, { recursive: true, force: true });
  }
});

test('a detached program gets its own pid (its argv as given) outside the agent\'s session and process group', async () => {
  const runner = new ShellRunner();
  try {
    const pid = await runner.spawnDetached('/bin/sh', ['-c', 'sleep 2', 'trc-test-detached']);
    let argv: string[] = [];
    // Bounded: the helper's job execs the program just after it answers.
    for (let i = 0; i < 100 && !argv.includes('trc-test-detached'); i++) {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (!argv.includes('trc-test-detached')) await sleep(10);
    }
    assert.deepEqual(argv.slice(0, 4), ['/bin/sh', '-c', 'sleep 2', 'trc-test-detached']);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const [pgrp, session] = [Number(stat[2]), Number(stat[3])];
    const own = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    assert.notEqual(pgrp, Number(own[2]));
    assert.notEqual(session, Number(own[3]));
    process.kill(pid, 'SIGKILL');
  } finally {
    runner.close();
  }
});

test('when the helper dies, pending requests fail with TRC_INTERNAL and the next request starts a new helper', async () => {
  const runner = new ShellRunner();
  try {
    // Short: the helper's orphaned job ends by itself soon after the test.
    const pending = runner.run('/bin/sleep', ['3']);
    // The helper is the sleep's grandparent: its session leader, found by the sleep's session id.
    await sleep(100);
    const helpers = readFileSync('/proc/self/task/' + process.pid + '/children', 'utf8').trim().split(/\s+/).filter((p) => p !== '').map(Number);
    const helper = helpers.find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('trc-spawn'));
    assert.ok(helper !== undefined, 'the helper is a child of this process');
    process.kill(helper, 'SIGKILL');
    await assert.rejects(pending, { code: 'TRC_INTERNAL' });
    assert.equal((await runner.run('/bin/echo', ['again'], { stdout: true })).stdout, 'again\n');
  } finally {
    runner.close();
  }
});

test('a helper is retired after its share of requests, once nothing is pending: its successor serves the rest, and what the old one started detached keeps running', async () => {
  const runner = new ShellRunner({ requestsPerHelper: 5 });
  try {
    const pid = await runner.spawnDetached('/bin/sleep', ['30']);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => runner.run('/bin/echo', [String(i)], { stdout: true })));
    assert.deepEqual(results.map((r) => r.stdout), Array.from({ length: 12 }, (_, i) => `${i}\n`), 'every answer reached its own request');
    for (let i = 0; i < 12; i++) assert.equal((await runner.run('/bin/echo', [`after ${i}`], { stdout: true })).stdout, `after ${i}\n`);
    assert.ok(runner.helpersStarted >= 3, `helpers started: ${runner.helpersStarted}`);
    process.kill(pid, 0);
    process.kill(pid, 'SIGKILL');
  } finally {
    runner.close();
  }
});

test('a supervised program appends its output to the given files and its supervisor writes its exit status when it ends', async () => {
  const runner = new ShellRunner();
  const dir = mkdtempSync(path.join(tmpdir(), 'trc-supervised-'));
  try {
    const files = { stdout: path.join(dir, "out 'x'.log"), stderr: path.join(dir, 'err.log'), status: path.join(dir, 'status') };
    writeFileSync(files.stdout, 'before\n');
    const pid = await runner.spawnSupervised('/bin/sh', ['-c', 'read -r x || echo "no input"; echo "$1"; echo oops >&2; sleep 0.2; exit 7', 'sh', "a 'quoted' $arg"], files);
    assert.equal(existsSync(`/proc/${pid}`), true, 'the supervisor waits while the program runs');
    // Bounded: the program sleeps 0.2 s.
    for (let i = 0; i < 300 && !existsSync(files.status); i++) await sleep(10);
    await sleep(20);
    assert.equal(readFileSync(files.status, 'utf8'), '7\n');
    assert.equal(readFileSync(files.stdout, 'utf8'), "before\nno input\na 'quoted' $arg\n");
    assert.equal(readFileSync(files.stderr, 'utf8'), 'oops\n');
  } finally {
    runner.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
