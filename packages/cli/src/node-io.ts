// The real CliIo: the process's streams, files and environment.
import { readFile } from 'node:fs/promises';
import process from 'node:process';
import type { CliIo } from './command.ts';

export function nodeIo(): CliIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    readFile: async (path) => new Uint8Array(await readFile(path)),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return new Uint8Array(Buffer.concat(chunks));
    },
    env: process.env,
    stderrIsTTY: process.stderr.isTTY === true,
  };
}
