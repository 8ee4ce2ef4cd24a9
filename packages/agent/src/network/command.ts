// Runs `ip` and `nft`, turning a failure into TRC_NETWORK_COMMAND_FAILED with the tool's own error output.
import { TrcError } from '@trc/core';
import type { ProcessRunner } from '../spawn/runner.ts';

/** A program and what runs it (the agent's spawn helper by default, see ../spawn/). */
export interface Tool {
  readonly file: string;
  readonly runner: ProcessRunner;
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a program without a shell, feeding `input` on stdin; never rejects for a non-zero exit. Its standard
 * output is kept only when asked (`stdout` is '' otherwise): most runs only need their status.
 */
export async function runCommand(tool: Tool, args: readonly string[], input?: string, keepStdout = false): Promise<CommandResult> {
  try {
    return await tool.runner.run(tool.file, args, { stdout: keepStdout, ...(input === undefined ? {} : { input }) });
  } catch (cause) {
    throw new TrcError('TRC_NETWORK_COMMAND_FAILED', `cannot run ${tool.file}: ${(cause as Error).message}`, { hint: 'check that iproute2 and nftables are installed and that the agent runs as root', cause });
  }
}

/** Like runCommand, but a non-zero exit is an error naming the command and quoting its stderr. */
export async function mustRun(tool: Tool, args: readonly string[], input?: string, keepStdout = false): Promise<string> {
  const r = await runCommand(tool, args, input, keepStdout);
  if (r.code !== 0) {
    const detail = r.stderr.trim().slice(0, 2000);
    throw new TrcError('TRC_NETWORK_COMMAND_FAILED', `${tool.file} ${args.join(' ')} failed (exit ${r.code}): ${detail}`, { hint: 'check that iproute2 and nftables are installed and that the agent runs as root' });
  }
  return r.stdout;
}
