// Test harness: bin/platform-control as a child process on 127.0.0.1 (port 0) with a given data dir.
import { spawn, type ChildProcess } from 'node:child_process';

const bin = new URL('../../../../bin/platform-control', import.meta.url).pathname;

export interface RunningControl {
  readonly base: string;
  readonly child: ChildProcess;
  stdout(): string;
  /** SIGTERM, then SIGKILL after 10 s; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL now: a crash. */
  kill(): Promise<void>;
}

export async function startControl(dataDir: string, extraArgs: readonly string[] = []): Promise<RunningControl> {
  const child = spawn(bin, ['--data-dir', dataDir, '--listen', '127.0.0.1:0', ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`platform-control did not start: ${err}`))), 15_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then((code) => (clearTimeout(timer), reject(new Error(`platform-control exited ${code}: ${err}`))));
  });
  return {
    base,
    child,
    stdout: () => out,
    async stop() {
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.kill('SIGTERM');
      const code = await exited;
      clearTimeout(kill);
      return code;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
