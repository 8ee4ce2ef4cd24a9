// The start gate of a runc instance: a FIFO in the instance directory that the bundle's createRuntime hook
// (spec.ts GATE_SCRIPT) reads one line from before runc lets the container's first process run.
import { constants, renameSync } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { TrcError } from '@trc/core';
import type { ProcessRunner } from '../../spawn/runner.ts';

export const GATE_FILE = 'gate';

/** Node has no mkfifo(3): one short process for several. */
async function makeFifos(runner: ProcessRunner, mkfifo: string, files: readonly string[]): Promise<void> {
  const r = await runner.run(mkfifo, ['-m', '0600', ...files], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new TrcError('TRC_RUNTIME_FAILED', `cannot make start gates in ${path.dirname(files[0]!)}: ${(r.stderr.trim() || `exit ${r.code}`).slice(0, 500)}`, { hint: 'check that coreutils mkfifo is installed' });
}

/** FIFOs made ahead, a batch per mkfifo, so a create only renames one into its instance directory. */
export class GatePool {
  static readonly BATCH = 8;
  readonly #dir: string;
  readonly #runner: ProcessRunner;
  readonly #mkfifo: string;
  readonly #free: string[] = [];
  #making: Promise<void> | undefined;
  #made = 0;

  /** `dir` is on the instances' filesystem (a rename moves a FIFO) and holds nothing else. */
  constructor(dir: string, runner: ProcessRunner, mkfifo: string) {
    this.#dir = dir;
    this.#runner = runner;
    this.#mkfifo = mkfifo;
  }

  /** Drops what an earlier agent left (unused FIFOs are only files). */
  async reset(): Promise<void> {
    await rm(this.#dir, { recursive: true, force: true });
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
  }

  /** Moves a fresh FIFO to `target`. */
  async take(target: string): Promise<void> {
    // Bounded: concurrent takers may empty a batch between its arrival and this one's turn.
    for (let i = 0; i < 16 && this.#free.length === 0; i++) await this.#refill();
    const fifo = this.#free.pop();
    if (fifo === undefined) throw new TrcError('TRC_RUNTIME_FAILED', `no start gate could be made in ${this.#dir}`, { hint: 'check that coreutils mkfifo is installed' });
    if (this.#free.length < GatePool.BATCH / 2) void this.#refill().catch(() => undefined);
    // One rename a start waits for: synchronous, not queued behind the start's other file work.
    renameSync(fifo, target);
  }

  #refill(): Promise<void> {
    this.#making ??= (async () => {
      const files = Array.from({ length: GatePool.BATCH }, () => path.join(this.#dir, `g${++this.#made}`));
      await makeFifos(this.#runner, this.#mkfifo, files);
      this.#free.push(...files);
    })().finally(() => {
      this.#making = undefined;
    });
    return this.#making;
  }
}

/**
 * Writes the decision into the FIFO without waiting for a reader: opened read-write (which never blocks on
 * Linux), so the line sits in the pipe until the hook opens and reads it. The pipe, and the line with it,
 * lives only while some descriptor holds it, so ours stays open until `until` settles (runc is past the
 * hook); an agent that dies before the hook has read it leaves a gate nobody releases, which the hook's
 * timeout turns into a failed start.
 */
export async function releaseGate(file: string, ok: boolean, until: Promise<unknown>): Promise<void> {
  let handle;
  try {
    handle = await open(file, constants.O_RDWR | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new TrcError('TRC_RUNTIME_INVALID_STATE', `${file} does not exist: the instance was not created gated`, { hint: 'create the instance with gated: true' });
    throw error;
  }
  try {
    await handle.write(ok ? 'go\n' : 'stop\n');
  } catch (error) {
    await handle.close();
    throw error;
  }
  void until.catch(() => undefined).finally(() => handle.close().catch(() => undefined));
}
