// Tests of gated starts: waits (bounded) until runc runs an instance's gate hook, i.e. the container exists
// and its first process is held.
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

function argvOf(pid: string): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

export async function waitAtGate(id: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      const argv = argvOf(pid);
      if (argv.includes('trc-gate') && argv.some((a) => a.endsWith(`/${id}/gate`))) return;
    }
    await sleep(10);
  }
  throw new Error(`instance ${id} never reached its start gate`);
}
