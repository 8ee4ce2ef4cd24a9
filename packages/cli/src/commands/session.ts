// `platform login`, `platform logout`, `platform whoami`: which control plane and token the CLI uses.
import { isTrcError, userError } from '@trc/core';
import type { CliIo, Command } from '../command.ts';
import { ApiClient } from '../api/client.ts';
import { normaliseUrl, resolveTarget } from '../api/target.ts';
import { configPath, removeConfig, writeConfig } from '../config.ts';
import { EXIT } from '../exit-codes.ts';
import { printFields, printJson } from '../output.ts';
import { required, withServer } from './common.ts';

export interface Identity {
  readonly url: string;
  readonly kind: 'operator' | 'org';
  readonly org: string | null;
}

/**
 * Who a token is, asked of the API itself: only an operator token may read /v1/settings, and an org token
 * sees exactly its own org in /v1/orgs. A bad token fails the first call with TRC_UNAUTHENTICATED.
 */
export async function identify(client: ApiClient): Promise<Identity> {
  try {
    await client.call('GET', '/settings');
    return { url: client.url, kind: 'operator', org: null };
  } catch (e) {
    if (!isTrcError(e) || e.code !== 'TRC_FORBIDDEN') throw e;
  }
  const orgs = await client.call<{ name: string }[]>('GET', '/orgs');
  return { url: client.url, kind: 'org', org: orgs[0]?.name ?? null };
}

function describe(who: Identity): string {
  return who.kind === 'operator' ? 'the operator' : `org ${who.org ?? '?'}`;
}

export const login: Command = {
  noun: 'login',
  verb: '',
  summary: 'Check a control plane URL and token, and store them in the config file',
  description: `Stores them in $XDG_CONFIG_HOME/trc/config.json (default ~/.config/trc/config.json), readable by you alone.\nThe token is checked against the control plane first and never printed.`,
  args: [],
  flags: {
    url: { type: 'string', description: 'Control plane URL, e.g. http://127.0.0.1:7700', valueName: 'URL' },
    token: { type: 'string', description: 'An operator or org API token (visible to other users in ps: prefer --token-stdin or TRC_TOKEN)', valueName: 'TOKEN' },
    'token-stdin': { type: 'boolean', description: 'Read the token from standard input' },
  },
  read: false,
  examples: ['platform login --url http://127.0.0.1:7700 --token-stdin < token.txt', 'TRC_TOKEN=... platform login --url http://127.0.0.1:7700'],
  async run(input, io) {
    const url = normaliseUrl(required(input, 'url', this));
    const fromFlag = input.flags.token;
    const fromStdin = input.flags['token-stdin'] === true ? new TextDecoder().decode(await io.readStdin()).trim() : undefined;
    const fromEnv = io.env.TRC_TOKEN === '' ? undefined : io.env.TRC_TOKEN;
    const token = typeof fromFlag === 'string' ? fromFlag : fromStdin ?? fromEnv;
    if (token === undefined || token === '') throw userError('TRC_CLI_USAGE', 'login needs a token', 'give --token-stdin (reads it from standard input), set TRC_TOKEN, or --token TOKEN');
    const who = await identify(new ApiClient(url, token));
    const path = writeConfig(io.env, { url, token });
    io.stdout(`Logged in to ${url} as ${describe(who)} (saved in ${path})\n`);
    return EXIT.OK;
  },
};

export const logout: Command = {
  noun: 'logout',
  verb: '',
  summary: 'Forget the stored control plane URL and token',
  args: [],
  read: false,
  run(_input, io: CliIo) {
    const path = configPath(io.env);
    io.stdout(removeConfig(io.env) ? `Logged out (removed ${path})\n` : `Not logged in (no ${path})\n`);
    return EXIT.OK;
  },
};

export const whoami: Command = {
  noun: 'whoami',
  verb: '',
  summary: 'Show the control plane URL and what the token is (operator or which org)',
  args: [],
  flags: withServer(),
  read: true,
  async run(input, io) {
    const target = resolveTarget(input, io);
    const who = await identify(new ApiClient(target.url, target.token));
    if (input.json) printJson(io, who);
    else printFields(io, [['url', who.url], ['token', who.kind === 'operator' ? 'operator' : `org ${who.org ?? '?'}`]]);
    return EXIT.OK;
  },
};
