// `platform secrets check FILE`: validates a TRC_SECRETS_V1 file offline, naming every problem and no value.
import { formatError, TrcError } from '@trc/core';
import { formatSecretsProblem, parseSecretsFile, secretsFileInvalid, type SecretsFileProblem } from '@trc/core/secrets-file/index';
import type { Command } from '../command.ts';
import { EXIT } from '../exit-codes.ts';
import { readInput } from '../input.ts';

export const secretsCheck: Command = {
  noun: 'secrets',
  verb: 'check',
  summary: 'Check that a file is a valid TRC_SECRETS_V1 secrets file',
  description: [
    'Reads FILE and reports every problem as FILE:LINE: CODE message, on stderr; values are never printed.',
    'Exit 0 when the file is valid, 1 when it is not, 66 when it cannot be read.',
  ].join('\n'),
  args: [{ name: 'FILE', description: 'the secrets file (- for standard input)' }],
  read: true,
  examples: ['platform secrets check .secrets.env', 'platform secrets check --json /run/secrets/platform.env'],
  async run(input, io) {
    const path = input.args.FILE!;
    const name = path === '-' ? '<stdin>' : path;
    const result = parseSecretsFile(await readInput(io, path), name);
    if (result.ok) {
      const keys = result.value.map((e) => e.key);
      if (input.json) io.stdout(`${JSON.stringify({ valid: true, keys })}\n`);
      else io.stdout(`${name}: valid TRC_SECRETS_V1 file, ${keys.length === 1 ? '1 key' : `${keys.length} keys`}\n`);
      return EXIT.OK;
    }
    const problems = result.problems as readonly SecretsFileProblem[];
    for (const p of problems) io.stderr(`${formatSecretsProblem(p)}\n`);
    const summary = secretsFileInvalid(name, problems);
    io.stderr(`${formatError(new TrcError(summary.code, summary.message, summary.hint === undefined ? {} : { hint: summary.hint }))}\n`);
    if (input.json) {
      const listed = problems.map((p) => ({ file: p.file, line: p.line, code: p.code, message: p.message }));
      io.stdout(`${JSON.stringify({ valid: false, keys: [], problems: listed })}\n`);
    }
    return EXIT.FAILURE;
  },
};
