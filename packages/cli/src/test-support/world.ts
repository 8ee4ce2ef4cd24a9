// For command tests: the real platform-control (bin/platform-control on 127.0.0.1, SQLite) started once per
// test file, and the CLI run in process (runCli) with captured output and an isolated config directory.
import { after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControl } from '../../../control/src/test-support/program.ts';
import { runCli } from '../cli.ts';
import type { CliIo } from '../command.ts';
import { COMMANDS, NOUNS } from '../registry.ts';
import { operatorTokenOf } from './cli-env.ts';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** The token, given as TRC_TOKEN (default: the operator's); null gives none. */
  readonly token?: string | null;
  readonly stdin?: string;
  readonly files?: Readonly<Record<string, string>>;
  readonly env?: Readonly<Record<string, string>>;
}

export interface World {
  readonly base: string;
  readonly operatorToken: string;
  readonly configHome: string;
  cli(args: readonly string[], options?: RunOptions): Promise<CliResult>;
  /**
   * Runs `stop` when the file's tests are over, before the control plane stops (a node stand-in's loop would
   * otherwise meet a closed port); what it throws fails the file.
   */
  stopFirst(stop: () => Promise<void>): void;
}

export function captureIo(env: Readonly<Record<string, string | undefined>>, stdin = '', files: Readonly<Record<string, string>> = {}): { io: CliIo; result: () => { stdout: string; stderr: string } } {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    readFile: async (path) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return new TextEncoder().encode(text);
    },
    readStdin: async () => new TextEncoder().encode(stdin),
    env,
  };
  return { io, result: () => ({ stdout, stderr }) };
}

/** Runs the CLI in process against an explicit environment: nothing of this process's own leaks in. */
export async function runIn(args: readonly string[], env: Readonly<Record<string, string | undefined>>, stdin = '', files: Readonly<Record<string, string>> = {}): Promise<CliResult> {
  const { io, result } = captureIo(env, stdin, files);
  const code = await runCli(args, { nouns: NOUNS, commands: COMMANDS, version: '0.0.0-test' }, io);
  return { code, ...result() };
}

export async function startWorld(name: string): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), `trc-cli-${name}-`));
  const control = await startControl(join(dir, 'data'));
  const first: (() => Promise<void>)[] = [];
  after(async () => {
    const results = await Promise.allSettled(first.map((stop) => stop()));
    await control.stop();
    rmSync(dir, { recursive: true, force: true });
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  });
  const operatorToken = await operatorTokenOf(control.stdout);
  const configHome = join(dir, 'config');
  return {
    base: control.base,
    operatorToken,
    configHome,
    cli(args, options = {}) {
      const token = options.token === undefined ? operatorToken : options.token;
      const env = { HOME: dir, XDG_CONFIG_HOME: configHome, TRC_URL: control.base, ...(token === null ? {} : { TRC_TOKEN: token }), ...options.env };
      return runIn(args, env, options.stdin, options.files);
    },
    stopFirst: (stop) => void first.push(stop),
  };
}
