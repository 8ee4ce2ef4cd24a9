// Every command of `platform`. Adding one: write commands/<noun>-<verb>.ts and add it to COMMANDS (and its noun to NOUNS if new).
import type { Command } from './command.ts';
import { secretsCheck } from './commands/secrets-check.ts';

export const NOUNS: Readonly<Record<string, string>> = {
  secrets: 'Secrets and TRC_SECRETS_V1 files',
};

export const COMMANDS: readonly Command[] = [
  secretsCheck,
];
