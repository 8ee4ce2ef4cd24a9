// `platform secrets set|unset|list|render`: an environment's secrets bundle in the control plane.
// Values go to the API and are never printed back, except by `render`, whose job is to print them.
import { userError } from '@trc/core';
import { parseSecretsFileOrThrow } from '@trc/core/secrets-file/index';
import type { Command } from '../command.ts';
import { clientFor } from '../api/target.ts';
import { EXIT } from '../exit-codes.ts';
import { readInput } from '../input.ts';
import { printJson, printTable } from '../output.ts';
import { APP_FLAG, ENV_FLAG, envOf, required, seg, usage, withServer } from './common.ts';

interface SecretsView { version: number; names: string[] }

const SCOPE = { app: APP_FLAG, env: ENV_FLAG };
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export const secretsSet: Command = {
  noun: 'secrets', verb: 'set', summary: 'Set secrets (merged into the bundle); running process types restart, one instance at a time',
  description: 'Values come from KEY=VALUE arguments or from a TRC_SECRETS_V1 file (--from-file, - for standard input), never both.\nValues are never printed.',
  args: [{ name: 'KEY=VALUE', description: 'one per secret', optional: true, variadic: true }],
  flags: withServer({ ...SCOPE, 'from-file': { type: 'string', description: 'A TRC_SECRETS_V1 file (- for standard input)', valueName: 'FILE' } }),
  read: false,
  examples: ['platform secrets set --app shop --env prod DATABASE_URL=postgres://...', 'platform secrets set --app shop --from-file - < prod.env'],
  async run(input, io) {
    const app = required(input, 'app', this);
    const env = envOf(input);
    const file = input.flags['from-file'] as string | undefined;
    const values: Record<string, string> = {};
    if (file !== undefined) {
      if (input.rest.length > 0) throw usage(this, 'give KEY=VALUE arguments or --from-file, not both');
      const entries = parseSecretsFileOrThrow(await readInput(io, file), file === '-' ? '<stdin>' : file);
      for (const e of entries) {
        try {
          values[e.key] = utf8.decode(e.value);
        } catch {
          // JSON carries text: a binary value cannot travel through the API.
          throw userError('TRC_CLI_USAGE', `the value of ${e.key} is not UTF-8 text`, 'the API takes text values; keep binary data base64-encoded in your app');
        }
      }
    } else {
      if (input.rest.length === 0) throw usage(this, 'give at least one KEY=VALUE, or --from-file FILE');
      input.rest.forEach((arg, i) => {
        const eq = arg.indexOf('=');
        // The argument is not quoted: it may hold a secret with its '=' missing.
        if (eq <= 0) throw usage(this, `argument ${i + 1} is not KEY=VALUE`);
        values[arg.slice(0, eq)] = arg.slice(eq + 1);
      });
    }
    const view = await clientFor(input, io).call<SecretsView>('PUT', `/apps/${seg(app)}/envs/${env}/secrets`, { values });
    io.stdout(`Set ${Object.keys(values).sort().join(', ')} in ${app}/${env}: secrets version ${view.version} (${view.names.length} secret(s)); running instances restart one at a time\n`);
    return EXIT.OK;
  },
};

export const secretsUnset: Command = {
  noun: 'secrets', verb: 'unset', summary: 'Remove secrets; running process types restart',
  args: [{ name: 'KEY', description: 'the names to remove', variadic: true }],
  flags: withServer(SCOPE), read: false,
  async run(input, io) {
    const app = required(input, 'app', this);
    const env = envOf(input);
    const view = await clientFor(input, io).call<SecretsView>('POST', `/apps/${seg(app)}/envs/${env}/secrets/unset`, { keys: [...input.rest] });
    io.stdout(`Removed ${input.rest.join(', ')} from ${app}/${env}: secrets version ${view.version} (${view.names.length} secret(s) left)\n`);
    return EXIT.OK;
  },
};

export const secretsList: Command = {
  noun: 'secrets', verb: 'list', summary: 'List the secret names and the bundle version (never values)',
  args: [], flags: withServer(SCOPE), read: true,
  async run(input, io) {
    const app = required(input, 'app', this);
    const env = envOf(input);
    const view = await clientFor(input, io).call<SecretsView>('GET', `/apps/${seg(app)}/envs/${env}/secrets`);
    if (input.json) printJson(io, view);
    else {
      io.stdout(`${app}/${env}: secrets version ${view.version}\n`);
      printTable(io, ['NAME'], view.names.map((n) => [n]));
    }
    return EXIT.OK;
  },
};

export const secretsRender: Command = {
  noun: 'secrets', verb: 'render', summary: 'Print the bundle as a TRC_SECRETS_V1 file, exactly as instances receive it (values included)',
  args: [], flags: withServer(SCOPE), read: false,
  examples: ['platform secrets render --app shop --env prod > prod.env'],
  async run(input, io) {
    const app = required(input, 'app', this);
    const env = envOf(input);
    const bytes = await clientFor(input, io).bytes(`/apps/${seg(app)}/envs/${env}/secrets/render`);
    // The format is UTF-8 text, so the decode/encode round trip is byte-exact.
    io.stdout(utf8.decode(bytes));
    return EXIT.OK;
  },
};
