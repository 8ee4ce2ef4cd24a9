// Flags and helpers shared by the commands that talk to the control plane.
import { userError } from '@trc/core';
import type { CommandInput, FlagSpec } from '../command.ts';
import { SERVER_FLAGS } from '../api/target.ts';

export const APP_FLAG: FlagSpec = { type: 'string', short: 'a', description: 'The app', valueName: 'APP' };
export const ENV_FLAG: FlagSpec = { type: 'string', short: 'e', description: 'The environment: prod, staging or one created with `platform envs create` (default: prod)', valueName: 'ENV' };
export const ORG_FLAG: FlagSpec = { type: 'string', description: 'The org', valueName: 'ORG' };

/** The server flags plus the command's own. */
export function withServer(flags: Readonly<Record<string, FlagSpec>> = {}): Readonly<Record<string, FlagSpec>> {
  return { ...flags, ...SERVER_FLAGS };
}

export function usage(input: { readonly noun: string; readonly verb: string }, message: string): Error {
  const name = input.verb === '' ? input.noun : `${input.noun} ${input.verb}`;
  return userError('TRC_CLI_USAGE', message, `run 'platform ${name} --help'`);
}

/** A string flag the command cannot do without. */
export function required(input: CommandInput, flag: string, command: { readonly noun: string; readonly verb: string }): string {
  const value = input.flags[flag];
  if (typeof value !== 'string' || value === '') throw usage(command, `--${flag} is required`);
  return value;
}

/** The --env flag (default prod): any environment name; whether the app has it is the server's answer. */
export function envOf(input: CommandInput): string {
  return envName((input.flags.env as string | undefined) ?? 'prod', '--env');
}

/** An environment name in DNS-label form, checked here so that it can never change the path it is put in. */
export function envName(value: string, what = 'the environment name'): string {
  if (!/^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(value)) {
    throw userError('TRC_CLI_USAGE', `${what} ${JSON.stringify(value.slice(0, 40))} is not a valid environment name`, `use 1 to 63 lowercase letters, digits and "-", starting with a letter; list them with 'platform envs list --app APP'`);
  }
  return value;
}

/** A path segment: names are validated by the server, but must never change the path they are put in. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

/** A whole number from a flag or argument, or a usage error naming it. */
export function wholeNumber(text: string, what: string, command: { readonly noun: string; readonly verb: string }): number {
  if (!/^[0-9]{1,9}$/.test(text)) throw usage(command, `${what} must be a whole number, not ${JSON.stringify(text.slice(0, 40))}`);
  return Number(text);
}
