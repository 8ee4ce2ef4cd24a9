// A harness whose process dies without close() leaves its control plane, registry, instance, network,
// cgroups, mounts and subnet lock behind; the next harness's sweep removes all of it (root, runc).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { skipReason } from './agent-harness.ts';
import { HARNESS_RECORD, sweepDeadHarnesses, type HarnessRecord } from './harness-sweep.ts';

const NODE = process.execPath;
const CHILD = new URL('./harness-child.ts', import.meta.url).pathname;

function commandLinesNaming(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.startsWith(`${dir}/`))) found.push(argv.join(' '));
    } catch {
      // gone
    }
  }
  return found;
}

function leftovers(record: HarnessRecord): Record<string, unknown> {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(`${record.work}/`));
  return {
    work: existsSync(record.work),
    programs: record.programDirs.flatMap(commandLinesNaming).length,
    mounts: mounts.length,
    netns: readdirSync('/run/netns').filter((n) => n.startsWith(record.network.netnsPrefix)).length,
    lock: existsSync(record.lock) && readFileSync(record.lock, 'utf8').trim() === String(record.pid),
  };
}

test('what a harness killed without close() left (programs, instance, network, mounts, lock, work directory) is swept by the next harness', { skip: skipReason }, async () => {
  // The child's temp dir is the test's own: its harness, registry and spawn helper's scratch land there, and
  // the sweep looks there only (other harnesses in /tmp are not this test's to sweep).
  const scratch = mkdtempSync(path.join(tmpdir(), 'trc-sweep-test-'));
  const child = spawn(NODE, [CHILD], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TMPDIR: scratch } });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
    for (let i = 0; i < 600 && !out.includes('\n') && child.exitCode === null; i++) await sleep(100);
    const work = /^READY (\S+)$/m.exec(out)?.[1];
    assert.ok(work !== undefined, `the child harness never got ready: ${out}`);
    const record = JSON.parse(readFileSync(path.join(work, HARNESS_RECORD), 'utf8')) as HarnessRecord;
    child.kill('SIGKILL');
    await exited;
    const before = leftovers(record);
    assert.deepEqual({ ...before, programs: (before.programs as number) > 0, mounts: (before.mounts as number) > 0, netns: (before.netns as number) > 0 }, { work: true, programs: true, mounts: true, netns: true, lock: true }, 'the killed harness left things behind');
    assert.ok((await sweepDeadHarnesses(scratch)).includes(work));
    assert.deepEqual(leftovers(record), { work: false, programs: 0, mounts: 0, netns: 0, lock: false });
  } finally {
    // On a failure too: the child goes, and what it made with it.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    await sweepDeadHarnesses(scratch);
    rmSync(scratch, { recursive: true, force: true });
  }
});
