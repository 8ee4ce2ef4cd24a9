// Reading an instance's logs through the control plane with the user's org token: one read of the end, or
// (--follow) a poll every second that prints only the lines that are new since the previous read.
import process from 'node:process';
import { userError } from '@trc/core';
import type { CliIo } from '../command.ts';
import type { ApiClient } from '../api/client.ts';
import { seg } from './common.ts';

export const FOLLOW_INTERVAL_MS = 1_000;
/** Lines each follow poll asks for: the window in which new lines are told apart from those printed. */
export const FOLLOW_WINDOW = 1_000;

export interface ControlLogsRequest {
  readonly app: string;
  readonly instance: string;
  readonly tail: number;
  readonly stream: 'stdout' | 'stderr';
}

export async function readThroughControl(client: ApiClient, r: ControlLogsRequest, tail = r.tail): Promise<string> {
  return new TextDecoder().decode(await client.bytes(`/apps/${seg(r.app)}/instances/${seg(r.instance)}/logs?tail=${tail}&stream=${r.stream}`));
}

/** The lines of `next` after the longest suffix of `previous` that `next` starts with. */
export function newLines(previous: readonly string[], next: readonly string[]): string[] {
  for (let k = Math.min(previous.length, next.length); k > 0; k--) {
    let same = true;
    for (let i = 0; i < k && same; i++) same = previous[previous.length - k + i] === next[i];
    if (same) return next.slice(k);
  }
  return [...next];
}

const linesOf = (text: string): string[] => (text === '' ? [] : text.replace(/\n$/, '').split('\n'));

/** Prints the last `tail` lines, then every new line until Ctrl-C or `timeoutMs` (0: no limit). */
export async function followThroughControl(client: ApiClient, io: CliIo, r: ControlLogsRequest, timeoutMs: number): Promise<void> {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  const timer = timeoutMs > 0 ? setTimeout(stop, timeoutMs) : undefined;
  try {
    let previous = linesOf(await readThroughControl(client, r));
    for (const line of previous) io.stdout(`${line}\n`);
    // Bounded by the signal in time; the count bound only guards against a clock that never fires.
    for (let i = 0; i < 10_000_000 && !controller.signal.aborted; i++) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, FOLLOW_INTERVAL_MS);
        controller.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
      if (controller.signal.aborted) break;
      const next = linesOf(await readThroughControl(client, r, FOLLOW_WINDOW));
      for (const line of newLines(previous, next)) io.stdout(`${line}\n`);
      previous = next;
    }
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    process.off('SIGINT', stop);
  }
}

/** With --env, the instance must belong to that environment (the logs route itself is per app). */
export async function checkEnv(client: ApiClient, app: string, env: string, instance: string): Promise<void> {
  const all = await client.call<{ id: string; env: string }[]>('GET', `/apps/${seg(app)}/instances`);
  if (!all.some((i) => i.id === instance && i.env === env)) {
    throw userError('TRC_NOT_FOUND', `instance ${instance} of ${app}/${env} does not exist`, `list them with \`platform instances list --app ${app}\``);
  }
}
