// The start gate of a runc instance: a FIFO in the instance directory that the bundle's createRuntime hook
// (spec.ts GATE_SCRIPT) reads one line from before runc lets the container's first process run.
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { TrcError } from '@trc/core';

export const GATE_FILE = 'gate';

/** Node has no mkfifo(3): one short process, run while the bundle is written. */
export function makeGate(mkfifo: string, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(mkfifo, ['-m', '0600', file], { timeout: 30_000 }, (error, _stdout, stderr) => {
      if (error === null) return resolve();
      reject(new TrcError('TRC_RUNTIME_FAILED', `cannot make the start gate ${file}: ${(stderr.trim() || error.message).slice(0, 500)}`, { hint: 'check that coreutils mkfifo is installed' }));
    });
  });
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
