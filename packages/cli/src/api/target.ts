// Which control plane a command talks to, and with which token: --url/--token, then TRC_URL/TRC_TOKEN, then the config file.
import { userError } from '@trc/core';
import type { CliIo, CommandInput, FlagSpec } from '../command.ts';
import { readConfig } from '../config.ts';
import { ApiClient } from './client.ts';

/** The flags every command that talks to the control plane takes. */
export const SERVER_FLAGS: Readonly<Record<string, FlagSpec>> = {
  url: { type: 'string', description: 'Control plane URL (default: TRC_URL, then the one `platform login` stored)', valueName: 'URL' },
  token: { type: 'string', description: 'API token (default: TRC_TOKEN, then the one `platform login` stored)', valueName: 'TOKEN' },
};

export interface Target {
  readonly url: string;
  readonly token: string;
}

export function resolveTarget(input: CommandInput, io: CliIo): Target {
  const flagUrl = input.flags.url as string | undefined;
  const flagToken = input.flags.token as string | undefined;
  const envUrl = io.env.TRC_URL === '' ? undefined : io.env.TRC_URL;
  const envToken = io.env.TRC_TOKEN === '' ? undefined : io.env.TRC_TOKEN;
  // The config file is only read when flags and environment leave something open.
  const file = (flagUrl ?? envUrl) !== undefined && (flagToken ?? envToken) !== undefined ? {} : readConfig(io.env);
  const url = flagUrl ?? envUrl ?? file.url;
  const token = flagToken ?? envToken ?? file.token;
  if (url === undefined || token === undefined) {
    throw userError('TRC_CLI_NOT_LOGGED_IN', `no control plane ${url === undefined ? 'URL' : 'token'} is configured`, 'run `platform login --url URL --token TOKEN`, or set TRC_URL and TRC_TOKEN');
  }
  return { url: normaliseUrl(url), token };
}

export function normaliseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw userError('TRC_CLI_USAGE', `${JSON.stringify(url.slice(0, 200))} is not a URL`, 'e.g. --url http://127.0.0.1:7700');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw userError('TRC_CLI_USAGE', `the control plane URL must be http:// or https://, not ${parsed.protocol}`, 'e.g. --url http://127.0.0.1:7700');
  return url.replace(/\/+$/, '');
}

export function clientFor(input: CommandInput, io: CliIo): ApiClient {
  const target = resolveTarget(input, io);
  return new ApiClient(target.url, target.token);
}
