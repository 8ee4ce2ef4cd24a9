// Thin wrapper over the runc command line, with its state directory (--root) as a parameter.
import { TrcError } from '@trc/core';
import type { ProcessRunner } from '../../spawn/runner.ts';
import { defaultRunner } from '../../spawn/shell-runner.ts';

export interface RuncState {
  readonly id: string;
  /** creating | created | running | paused | stopped */
  readonly status: string;
  readonly pid: number;
}

export interface RuncOptions {
  /** The runc binary. */
  readonly binary: string;
  /** runc's state directory (`runc --root`). */
  readonly root: string;
  /** Upper bound for one runc command. */
  readonly timeoutMs: number;
  /** Default: the agent's spawn helper (../../spawn/). */
  readonly runner?: ProcessRunner;
}

export class RuncCli {
  readonly options: RuncOptions;

  constructor(options: RuncOptions) {
    this.options = options;
  }

  /** Global arguments every runc invocation starts with. */
  globalArgs(logFile?: string): string[] {
    return ['--root', this.options.root, ...(logFile === undefined ? [] : ['--log', logFile, '--log-format', 'json'])];
  }

  async run(args: readonly string[]): Promise<string> {
    const r = await (this.options.runner ?? defaultRunner()).run(this.options.binary, [...this.globalArgs(), ...args], { timeoutMs: this.options.timeoutMs, stdout: true });
    if (r.code === 0) return r.stdout;
    const detail = (r.stderr.trim() || `exit ${r.code}`).slice(0, 2000);
    throw new TrcError('TRC_RUNTIME_FAILED', `runc ${args[0] ?? ''} failed: ${detail}`, { hint: 'check that runc works on this node', details: { args: args.slice(0, 1) } });
  }

  /** The container's state, or undefined when runc does not know it. */
  async state(id: string): Promise<RuncState | undefined> {
    try {
      return JSON.parse(await this.run(['state', id])) as RuncState;
    } catch (error) {
      if (error instanceof TrcError && /does not exist|not exist|no such file/i.test(error.message)) return undefined;
      throw error;
    }
  }

  async list(): Promise<RuncState[]> {
    const out = await this.run(['list', '--format', 'json']);
    const parsed = JSON.parse(out.trim() === '' ? 'null' : out) as RuncState[] | null;
    return parsed ?? [];
  }

  /** Sends a signal to the container's first process (`runc kill`). A container that already stopped is not an error. */
  async kill(id: string, signal: string): Promise<void> {
    try {
      await this.run(['kill', id, signal]);
    } catch (error) {
      if (error instanceof TrcError && /not running|does not exist|process already finished/i.test(error.message)) return;
      throw error;
    }
  }

  async delete(id: string, force: boolean): Promise<void> {
    try {
      await this.run(['delete', ...(force ? ['--force'] : []), id]);
    } catch (error) {
      if (error instanceof TrcError && /does not exist/i.test(error.message)) return;
      throw error;
    }
  }

  async pause(id: string): Promise<void> {
    await this.run(['pause', id]);
  }

  async resume(id: string): Promise<void> {
    await this.run(['resume', id]);
  }
}
