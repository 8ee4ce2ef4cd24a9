// A user's shell for bin/platform in tests: an isolated config directory, no TRC_URL/TRC_TOKEN from outside,
// and a record of every run so a test can check that no secret value was ever printed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { runPlatform, type PlatformRun, type RunOptions } from './run-platform.ts';

export interface CliShell {
  readonly home: string;
  readonly configDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly runs: { readonly args: readonly string[]; readonly run: PlatformRun }[];
  platform(args: readonly string[], options?: Omit<RunOptions, 'env'>): Promise<PlatformRun>;
  remove(): void;
}

export function cliShell(extraEnv: Readonly<Record<string, string>> = {}): CliShell {
  const home = mkdtempSync(join(tmpdir(), 'trc-cli-home-'));
  const configDir = join(home, 'xdg-config');
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TRC_') && k !== 'XDG_CONFIG_HOME'));
  Object.assign(env, { HOME: home, XDG_CONFIG_HOME: configDir }, extraEnv);
  const runs: CliShell['runs'][number][] = [];
  return {
    home,
    configDir,
    env,
    runs,
    async platform(args, options = {}) {
      const run = await runPlatform(args, { ...options, env });
      runs.push({ args, run });
      return run;
    },
    remove: () => rmSync(home, { recursive: true, force: true }),
  };
}

/** The operator token platform-control prints once at first start. */
export async function operatorTokenOf(stdout: () => string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const m = /operator token \(shown once, store it now\): (\S+)/.exec(stdout());
    if (m !== null) return m[1]!;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`platform-control printed no operator token: ${stdout()}`);
}
