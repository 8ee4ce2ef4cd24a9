// A long-running program `make run` starts: its output goes to a log file (and is searched for the lines
// that say it is ready), and it is stopped with SIGTERM, then SIGKILL after a grace.
import { userError } from '@trc/core';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ChildOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly logFile: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Output kept in memory for matching ready lines; the whole of it is in the log file. */
const KEEP = 64 * 1024;

export class Child {
  readonly name: string;
  readonly logFile: string;
  readonly #process: ChildProcess;
  readonly #log: WriteStream;
  #output = '';
  readonly #exited: Promise<void>;
  readonly #waiters = new Set<() => void>();

  constructor(options: ChildOptions) {
    this.name = options.name;
    this.logFile = options.logFile;
    this.#log = createWriteStream(options.logFile, { flags: 'a', mode: 0o600 });
    // Its own process group: a Ctrl-C in the terminal reaches `make run` alone, which then stops the
    // children in order (edge before agent before control plane), not all at once.
    this.#process = spawn(options.command, [...options.args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, ...options.env } });
    const collect = (chunk: Buffer): void => {
      this.#log.write(chunk);
      this.#output = (this.#output + chunk.toString('utf8')).slice(-KEEP);
      for (const w of this.#waiters) w();
    };
    this.#process.stdout!.on('data', collect);
    this.#process.stderr!.on('data', collect);
    this.#exited = new Promise((resolve) => {
      this.#process.once('close', () => {
        for (const w of this.#waiters) w();
        this.#log.end(() => resolve());
      });
      this.#process.once('error', (e) => collect(Buffer.from(`spawn failed: ${e.message}\n`)));
    });
  }

  get pid(): number | undefined {
    return this.#process.pid;
  }

  get running(): boolean {
    return this.#process.exitCode === null && this.#process.signalCode === null;
  }

  /** Output seen since the start (the last 64 KiB). */
  output(): string {
    return this.#output;
  }

  /** Waits until the output matches, the program exits, or the time is up; the match or an Error. */
  async waitFor(pattern: RegExp, timeoutMs: number, what: string): Promise<RegExpExecArray> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const m = pattern.exec(this.#output);
      if (m !== null) return m;
      if (!this.running) throw userError('TRC_RUN_START_FAILED', `${this.name} exited before ${what}:\n${this.#output.slice(-2000)}`, `its whole log is ${this.logFile}`);
      const left = deadline - performance.now();
      if (left <= 0) throw userError('TRC_RUN_START_FAILED', `${this.name}: no ${what} after ${Math.round(timeoutMs / 1000)}s:\n${this.#output.slice(-2000)}`, `its whole log is ${this.logFile}`);
      let wake: () => void = () => undefined;
      const woken = new Promise<void>((resolve) => (wake = resolve));
      this.#waiters.add(wake);
      await Promise.race([woken, sleep(Math.min(left, 500))]);
      this.#waiters.delete(wake);
    }
  }

  /** `ready`'s result; if it fails, the program is stopped first, so a failed start leaves nothing running. */
  async readyOrStop<T>(ready: Promise<T>): Promise<T> {
    try {
      return await ready;
    } catch (e) {
      await this.stop(3_000);
      throw e;
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the program has exited. */
  async stop(graceMs: number): Promise<void> {
    if (this.running) {
      this.#process.kill('SIGTERM');
      const exited = await Promise.race([this.#exited.then(() => true), sleep(graceMs, undefined, { ref: false }).then(() => false)]);
      if (!exited) this.kill();
    }
    await this.#exited;
  }

  kill(): void {
    if (this.running) this.#process.kill('SIGKILL');
  }

  exited(): Promise<void> {
    return this.#exited;
  }
}
