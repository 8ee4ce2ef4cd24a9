// Runs bin/platform for `make run`, exactly as a user would, with the config (XDG_CONFIG_HOME) in the data
// dir. The token goes in the environment, not the command line, so it does not show in `ps`.
import { userError } from '@trc/core';
import { spawn } from 'node:child_process';

export const PLATFORM = new URL('../../bin/platform', import.meta.url).pathname;

export interface PlatformResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class PlatformCli {
  readonly #env: Record<string, string>;

  constructor(configHome: string, url: string, token: string) {
    this.#env = { XDG_CONFIG_HOME: configHome, TRC_URL: url, TRC_TOKEN: token };
  }

  /** Runs one command; never throws for a non-zero exit (the caller decides). */
  run(args: readonly string[], timeoutMs = 60_000): Promise<PlatformResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(PLATFORM, [...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.#env }, timeout: timeoutMs, killSignal: 'SIGKILL' });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      child.once('error', reject);
      child.once('close', (code, signal) => resolve({ code: code ?? (signal === null ? 1 : 128), stdout, stderr }));
    });
  }

  /** Runs one command that must succeed. */
  async ok(args: readonly string[], timeoutMs?: number): Promise<string> {
    const r = await this.run(args, timeoutMs);
    // Only the noun and verb: later arguments may be a token or a secret's value.
    if (r.code !== 0) throw userError('TRC_RUN_START_FAILED', `platform ${args.slice(0, 2).join(' ')} exited ${r.code}:\n${r.stderr.trim()}`, 'the control plane\'s log is in the logs directory of the data dir');
    return r.stdout;
  }

  async json<T>(args: readonly string[]): Promise<T> {
    return JSON.parse(await this.ok([...args, '--json'])) as T;
  }

  /** The same CLI with another token. */
  as(token: string): PlatformCli {
    return new PlatformCli(this.#env.XDG_CONFIG_HOME!, this.#env.TRC_URL!, token);
  }
}
