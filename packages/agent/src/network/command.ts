// Runs `ip` and `nft`, turning a failure into TRC_NETWORK_COMMAND_FAILED with the tool's own error output.
import { spawn } from 'node:child_process';
import { TrcError } from '@trc/core';

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program without a shell, feeding `input` on stdin; never rejects for a non-zero exit. */
export function runCommand(file: string, args: readonly string[], input?: string): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', (cause) => reject(new TrcError('TRC_NETWORK_COMMAND_FAILED', `cannot run ${file}: ${cause.message}`, { hint: 'check that iproute2 and nftables are installed and that the agent runs as root', cause })));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    if (child.stdin !== null) {
      // A program that exits before reading its input closes the pipe: its exit status tells what happened.
      child.stdin.on('error', () => undefined);
      child.stdin.end(input);
    }
  });
}

/** Like runCommand, but a non-zero exit is an error naming the command and quoting its stderr. */
export async function mustRun(file: string, args: readonly string[], input?: string): Promise<string> {
  const r = await runCommand(file, args, input);
  if (r.code !== 0) {
    const detail = r.stderr.trim().slice(0, 2000);
    throw new TrcError('TRC_NETWORK_COMMAND_FAILED', `${file} ${args.join(' ')} failed (exit ${r.code}): ${detail}`, { hint: 'check that iproute2 and nftables are installed and that the agent runs as root' });
  }
  return r.stdout;
}
