// Runs the Debian HAProxy 2.6 binary in the foreground with a config written to a private temp dir.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProcess, type Endpoint, type RunningProcess } from './process.ts';
import { tempDir } from './temp-dir.ts';

export const HAPROXY_BIN = '/usr/sbin/haproxy';

export interface HaproxyOptions {
  /** The whole haproxy.cfg text. */
  readonly config: string;
  /** Endpoints of its `bind` lines; start returns once each accepts connections. */
  readonly ready: readonly Endpoint[];
  /** A command HAProxy runs under that execs it, e.g. `prlimit --nofile=65536`. */
  readonly wrapper?: readonly string[];
}

export async function startHaproxy(options: HaproxyOptions): Promise<RunningProcess> {
  const dir = tempDir('haproxy');
  const cfg = join(dir.path, 'haproxy.cfg');
  writeFileSync(cfg, options.config);
  // -db: stay in the foreground so stopping the child stops HAProxy.
  const argv = [...(options.wrapper ?? []), HAPROXY_BIN, '-db', '-f', cfg];
  try {
    const running = await startProcess({ name: 'haproxy', command: argv[0]!, args: argv.slice(1), ready: options.ready });
    return withCleanup(running, () => dir[Symbol.dispose]());
  } catch (e) {
    dir[Symbol.dispose]();
    throw e;
  }
}

/** The `global` and `defaults` sections every test config shares: no daemon, short timeouts. */
export function haproxyPreamble(mode: 'http' | 'tcp'): string {
  return [
    'global',
    '  log stderr format raw local0 err',
    '  nbthread 1',
    'defaults',
    `  mode ${mode}`,
    '  timeout connect 2s',
    '  timeout client 10s',
    '  timeout server 10s',
    '',
  ].join('\n');
}

/** HAProxy spells an IPv6 bind address without brackets: `::1:8080`. */
export function haproxyAddress(host: string, port: number): string {
  return `${host}:${port}`;
}

export function withCleanup(running: RunningProcess, cleanup: () => void): RunningProcess {
  const stop = async (): Promise<void> => {
    await running.stop();
    cleanup();
  };
  return { ...running, stop, [Symbol.asyncDispose]: stop };
}
