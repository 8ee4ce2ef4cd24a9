// ProcessRunner through one long-lived `sh` that forks on the agent's behalf: the agent writes a request
// line, the helper runs it in the background and answers "<id> <status>". Forking the agent itself (libuv's
// spawn blocks the event loop until the child has exec'd) cost ~2.5 ms of the agent's only thread per
// program under load, and a start runs eight; a fork of the helper costs the agent nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { TrcError } from '@trc/core';
import { descendantsOf } from './proc.ts';
import type { ProcessRunner, RunOptions, RunResult, SupervisedFiles } from './runner.ts';

/**
 * `S` runs a command line (the program with its own redirections, then `echo $? >status`) in a background
 * subshell of the helper, which waits for the program: a supervisor without an exec of its own.
 * `R` runs a command in a background subshell, its output in `<dir>/<id>.o|.e`, answers "<id> p <pid>" with
 * the subshell's pid at once (what a time-out signals is below it) and its status at the end (`Q` the same
 * with its stdout discarded: one file fewer to make, read and remove);
 * `D` starts one as a background job of the helper itself (which reaps it) and answers its pid. Jobs get
 * /dev/null as stdin, and never the reply pipe as stdout, so nothing they leave behind holds it open.
 */
const SCRIPT = `d=$1
while IFS= read -r line; do
  id=\${line%% *}; rest=\${line#* }; kind=\${rest%% *}; cmd=\${rest#* }
  case $kind in
    R) ( eval "$cmd" </dev/null >"$d/$id.o" 2>"$d/$id.e"; echo "$id $?" ) & echo "$id p $!" ;;
    Q) ( eval "$cmd" </dev/null >/dev/null 2>"$d/$id.e"; echo "$id $?" ) & echo "$id p $!" ;;
    D) eval "exec $cmd" </dev/null >/dev/null 2>&1 & echo "$id $!" ;;
    S) eval "$cmd" </dev/null >/dev/null 2>&1 & echo "$id $!" ;;
  esac
done
`;

/** One shell word: single-quoted, with embedded quotes closed, escaped and reopened. */
export function shellQuote(word: string): string {
  if (word.includes('\n') || word.includes('\0')) throw new TrcError('TRC_INTERNAL', 'a program argument holds a newline or NUL, which the spawn helper cannot carry');
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * Requests one helper serves before it is retired (at the next moment nothing is pending) and a fresh one
 * takes over: a non-interactive sh keeps every background job it started in its job table, so a helper
 * serving forever would grow and slow down (measured with dash over 10,000 jobs: RSS 1.8 -> 2.3 MB, and
 * 2,500 jobs took 0.5 s at first, 1.0 s by the fourth batch). What a
 * retired helper started detached (instance shims) keeps running, re-parented to init.
 */
export const REQUESTS_PER_HELPER = 1000;

/** After a time-out's SIGTERM, what still runs gets SIGKILL this much later (as `timeout -k 5`). */
export const KILL_AFTER_MS = 5000;
/** The status of a program killed for running past its time (as coreutils `timeout`). */
export const TIMED_OUT_STATUS = 124;

interface Pending {
  readonly resolve: (status: number) => void;
  readonly reject: (error: unknown) => void;
  /** The subshell running an R/Q request, once the helper has said it. */
  pid?: number;
}

export class ShellRunner implements ProcessRunner {
  readonly #shell: string;
  readonly #killAfterMs: number;
  #dir: string | undefined;
  #child: ChildProcess | undefined;
  #buffer = '';
  #next = 0;
  readonly #pending = new Map<number, Pending>();
  /** Requests the current helper was given. */
  #served = 0;
  readonly #requestsPerHelper: number;
  /** Helpers started so far (tests). */
  helpersStarted = 0;

  /** `killAfterMs`: see KILL_AFTER_MS (tests shorten it). */
  constructor(options: { readonly shell?: string; readonly killAfterMs?: number; readonly requestsPerHelper?: number } = {}) {
    this.#shell = options.shell ?? '/bin/sh';
    this.#killAfterMs = options.killAfterMs ?? KILL_AFTER_MS;
    this.#requestsPerHelper = options.requestsPerHelper ?? REQUESTS_PER_HELPER;
  }

  async run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    let command = [file, ...args].map(shellQuote).join(' ');
    if (options.input !== undefined) {
      const lines = options.input.endsWith('\n') ? options.input.slice(0, -1).split('\n') : options.input.split('\n');
      command = `printf '%s\\n' ${lines.map(shellQuote).join(' ')} | ${command}`;
    }
    const keep = options.stdout === true;
    const { id, status } = this.#request(keep ? 'R' : 'Q', command);
    const dir = this.#dir!;
    // Timed here rather than by coreutils `timeout` (an exec more per program, ~1 ms of CPU each): past its
    // time the program (everything below the request's subshell) gets SIGTERM, and SIGKILL later.
    let timedOut = false;
    let killer: ReturnType<typeof setTimeout> | undefined;
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => {
      timedOut = true;
      this.#signal(id, 'SIGTERM');
      killer = setTimeout(() => this.#signal(id, 'SIGKILL'), this.#killAfterMs);
    }, options.timeoutMs);
    let code: number;
    try {
      code = await status;
    } finally {
      clearTimeout(timer);
      clearTimeout(killer);
    }
    if (timedOut && code !== 0) code = TIMED_OUT_STATUS;
    const out = path.join(dir, `${id}.o`);
    const err = path.join(dir, `${id}.e`);
    const [stdout, stderr] = await Promise.all([
      keep ? readFile(out, 'utf8') : '',
      code === 0 ? '' : readFile(err, 'utf8').catch(() => ''),
    ]);
    // Not awaited: the result is known; the files are the helper's scratch.
    if (keep) void unlink(out).catch(() => undefined);
    void unlink(err).catch(() => undefined);
    return { code, stdout, stderr };
  }

  async spawnDetached(file: string, args: readonly string[]): Promise<number> {
    return this.#request('D', [file, ...args].map(shellQuote).join(' ')).status;
  }

  async spawnSupervised(file: string, args: readonly string[], files: SupervisedFiles): Promise<number> {
    const program = [file, ...args].map(shellQuote).join(' ');
    return this.#request('S', `${program} >>${shellQuote(files.stdout)} 2>>${shellQuote(files.stderr)} </dev/null; echo $? >${shellQuote(files.status)}`).status;
  }

  /**
   * Signals what runs below a pending request's subshell (the subshell itself is left to report the
   * status); nothing once it has answered.
   */
  #signal(id: number, signal: NodeJS.Signals): void {
    const pid = this.#pending.get(id)?.pid;
    if (pid === undefined) return;
    for (const p of descendantsOf(pid)) {
      try {
        process.kill(p, signal);
      } catch {
        // ended meanwhile
      }
    }
  }

  /** Ends the helper (jobs it started keep running). Later calls start a new one. */
  close(): void {
    this.#child?.stdin?.end();
    this.#child = undefined;
    if (this.#dir !== undefined) rmSync(this.#dir, { recursive: true, force: true });
    this.#dir = undefined;
  }

  #request(kind: 'R' | 'Q' | 'D' | 'S', command: string): { id: number; status: Promise<number> } {
    const child = this.#helper();
    const id = ++this.#next;
    this.#served += 1;
    const status = new Promise<number>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    if (this.#pending.size === 1) this.#ref(child, true);
    child.stdin!.write(`${id} ${kind} ${command}\n`);
    return { id, status };
  }

  /** Ends the current helper once it has served its share (nothing is pending); the next request starts another. */
  #retire(): void {
    const child = this.#child;
    if (child === undefined) return;
    this.#child = undefined;
    this.#buffer = '';
    child.stdin?.end();
  }

  /** Held only while requests are pending, so an idle helper never keeps the agent (or a test) alive. */
  #ref(child: ChildProcess, on: boolean): void {
    const handles = [child, child.stdin, child.stdout] as ({ ref(): void; unref(): void } | null)[];
    for (const h of handles) if (h !== null) (on ? h.ref() : h.unref());
  }

  #helper(): ChildProcess {
    if (this.#child !== undefined) return this.#child;
    if (this.#dir === undefined) {
      const dir = mkdtempSync(path.join(tmpdir(), 'trc-spawn-'));
      this.#dir = dir;
      // The agent never closes its helper: its scratch directory goes when the process exits.
      process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    }
    // Its own session: a signal to the agent's process group (Ctrl-C) reaches neither it nor what it started.
    const child = spawn(this.#shell, ['-c', SCRIPT, 'trc-spawn', this.#dir], { detached: true, stdio: ['pipe', 'pipe', 'ignore'] });
    this.#child = child;
    this.#served = 0;
    this.helpersStarted += 1;
    child.stdin!.on('error', () => undefined);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => this.#onData(chunk));
    const gone = (cause?: Error): void => {
      // Jobs it left may still hold the reply pipe: nothing more is read from it.
      child.stdout!.destroy();
      this.#ref(child, false);
      // A retired helper had nothing pending: what is pending now belongs to its successor.
      if (this.#child !== child) return;
      this.#child = undefined;
      const error = new TrcError('TRC_INTERNAL', `the spawn helper (${this.#shell}) ended${cause === undefined ? '' : `: ${cause.message}`}`, { hint: 'a later request starts a new helper' });
      for (const p of this.#pending.values()) p.reject(error);
      this.#pending.clear();
    };
    child.on('error', gone);
    child.on('exit', () => gone());
    this.#ref(child, false);
    return child;
  }

  #onData(chunk: string): void {
    this.#buffer += chunk;
    for (let nl = this.#buffer.indexOf('\n'); nl >= 0; nl = this.#buffer.indexOf('\n')) {
      const line = this.#buffer.slice(0, nl);
      this.#buffer = this.#buffer.slice(nl + 1);
      const m = /^(\d+) (p )?(\d+)$/.exec(line);
      if (m === null) continue;
      const p = this.#pending.get(Number(m[1]));
      // A request whose status came before its pid (a program that ended at once) is done already.
      if (p === undefined) continue;
      if (m[2] !== undefined) {
        p.pid = Number(m[3]);
        continue;
      }
      this.#pending.delete(Number(m[1]));
      p.resolve(Number(m[3]));
      if (this.#pending.size === 0 && this.#child !== undefined) {
        this.#ref(this.#child, false);
        if (this.#served >= this.#requestsPerHelper) this.#retire();
      }
    }
  }
}

let shared: ShellRunner | undefined;

/** The agent's one helper, started on first use. */
export function defaultRunner(): ShellRunner {
  shared ??= new ShellRunner();
  return shared;
}
