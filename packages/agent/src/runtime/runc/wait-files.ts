// Waits for files to appear in a directory without spawning anything: inotify (fs.watch) wakes the check at
// once, and a slow timer re-checks in case an event is missed (a watch is best effort on some filesystems).
import { closeSync, existsSync, openSync, readSync, watch, type FSWatcher } from 'node:fs';

export interface FileWait<T> {
  /** The check's first defined answer, or undefined when the time is up. */
  readonly done: Promise<T | undefined>;
  /** Stops waiting; `done` then resolves undefined. */
  cancel(): void;
}

/** inotify is reliable on the local filesystems the state lives on: the timer is a safety net, not the way. */
const FALLBACK_MS = 250;

/**
 * Calls `check` whenever one of `names` changes in `dir` (and every 250ms regardless) until it returns a
 * value or `timeoutMs` passes. Checks never overlap, and one more runs after a change seen mid-check.
 */
export function waitForFiles<T>(dir: string, names: readonly string[], check: () => Promise<T | undefined>, timeoutMs: number): FileWait<T> {
  let watcher: FSWatcher | undefined;
  let fallback: NodeJS.Timeout | undefined;
  let deadline: NodeJS.Timeout | undefined;
  let finish: (value: T | undefined) => void = () => undefined;
  let fail: (error: unknown) => void = () => undefined;
  let settled = false;
  let checking = false;
  let again = false;
  const done = new Promise<T | undefined>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const stop = (): void => {
    settled = true;
    watcher?.close();
    clearInterval(fallback);
    clearTimeout(deadline);
  };
  const run = async (): Promise<void> => {
    if (settled) return;
    if (checking) {
      again = true;
      return;
    }
    checking = true;
    try {
      do {
        again = false;
        const value = await check();
        if (value !== undefined && !settled) {
          stop();
          finish(value);
        }
      } while (again && !settled);
    } catch (error) {
      if (!settled) {
        stop();
        fail(error);
      }
    } finally {
      checking = false;
    }
  };
  try {
    watcher = watch(dir, (_event, name) => {
      if (name === null || names.includes(name)) void run();
    });
    watcher.on('error', () => undefined);
  } catch {
    // no watch here: the timer alone finds the files
  }
  fallback = setInterval(() => void run(), FALLBACK_MS);
  deadline = setTimeout(() => {
    if (settled) return;
    stop();
    finish(undefined);
  }, timeoutMs);
  void run();
  return {
    done,
    cancel: () => {
      if (settled) return;
      stop();
      finish(undefined);
    },
  };
}

/**
 * A small file's first bytes (64), or undefined when it is not there: synchronous, for checks a start waits
 * on (a stat, not an error object, when it is missing).
 */
export function readSmallFile(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const buffer = Buffer.alloc(64);
    return buffer.toString('utf8', 0, readSync(fd, buffer, 0, buffer.length, 0));
  } finally {
    closeSync(fd);
  }
}
