// Reading a file named on the command line: `-` is standard input; a missing or unreadable file is a user error.
import { userError } from '@trc/core';
import type { CliIo } from './command.ts';

const UNREADABLE: Readonly<Record<string, string>> = {
  ENOENT: 'does not exist',
  ENOTDIR: 'does not exist (a parent is not a directory)',
  EISDIR: 'is a directory',
  EACCES: 'is not readable (permission denied)',
  EPERM: 'is not readable (operation not permitted)',
  ELOOP: 'is a symbolic link loop',
};

export async function readInput(io: CliIo, path: string): Promise<Uint8Array> {
  if (path === '-') return io.readStdin();
  try {
    return await io.readFile(path);
  } catch (e) {
    const why = UNREADABLE[(e as { code?: string }).code ?? ''];
    if (why === undefined) throw e;
    throw userError('TRC_CLI_INPUT_UNREADABLE', `${path} ${why}`, 'check the path; use - to read standard input');
  }
}
