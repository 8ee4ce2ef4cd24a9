// Runs bin/platform as a user would, capturing exit code, stdout and stderr.
import { execFile } from 'node:child_process';

const BIN = new URL('../../../../bin/platform', import.meta.url).pathname;

export interface PlatformRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly stdin?: string | Uint8Array;
  readonly cwd?: string;
  /** The whole environment of the child (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

export function runPlatform(args: readonly string[], options: RunOptions = {}): Promise<PlatformRun> {
  return new Promise((resolve, reject) => {
    const child = execFile(BIN, [...args], { timeout: options.timeoutMs ?? 30_000, cwd: options.cwd, env: options.env, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number') {
        reject(error);
        return;
      }
      resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr });
    });
    child.stdin?.end(options.stdin ?? '');
  });
}
