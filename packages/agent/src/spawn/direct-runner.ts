// ProcessRunner that forks the agent itself for each program (node:child_process): no helper in between.
import { spawn } from 'node:child_process';
import type { ProcessRunner, RunOptions, RunResult } from './runner.ts';

export class DirectRunner implements ProcessRunner {
  run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(file, args, { stdio: [options.input === undefined ? 'ignore' : 'pipe', options.stdout === true ? 'pipe' : 'ignore', 'pipe'], ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }) });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout?.on('data', (b: Buffer) => out.push(b));
      child.stderr!.on('data', (b: Buffer) => err.push(b));
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code: code ?? (signal === 'SIGTERM' || signal === 'SIGKILL' ? 124 : 128), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
      if (child.stdin !== null) {
        // A program that exits before reading its input closes the pipe: its exit status tells what happened.
        child.stdin.on('error', () => undefined);
        child.stdin.end(options.input!.endsWith('\n') ? options.input : `${options.input}\n`);
      }
    });
  }

  spawnDetached(file: string, args: readonly string[]): Promise<number> {
    const child = spawn(file, args, { detached: true, stdio: 'ignore' });
    child.unref();
    return child.pid === undefined ? Promise.reject(new Error(`could not start ${file}`)) : Promise.resolve(child.pid);
  }
}
