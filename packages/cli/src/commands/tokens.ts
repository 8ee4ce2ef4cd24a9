// `platform tokens create|list|revoke`: org API tokens, or (--join, operator) node join tokens.
// A token is printed once, when it is created, as the API returns it; lists never hold one.
import type { CliIo, Command, CommandInput } from '../command.ts';
import { clientFor } from '../api/target.ts';
import { EXIT } from '../exit-codes.ts';
import { printJson, printTable } from '../output.ts';
import type { ApiClient } from '../api/client.ts';
import { ORG_FLAG, seg, usage, withServer } from './common.ts';
import { identify } from './session.ts';

/** An org token's own org, when --org is left out; the operator must name one. */
export async function ownOrg(client: ApiClient, command: Command): Promise<string> {
  const who = await identify(client);
  if (who.kind !== 'org' || who.org === null) throw usage(command, '--org is required with an operator token');
  return who.org;
}

interface TokenView { id: string; kind: string; name: string; org?: string; node?: string; createdAt: string }

const SCOPE_FLAGS = withServer({
  org: { ...ORG_FLAG, description: "The org whose tokens these are (an org token's own org by default)" },
  join: { type: 'boolean', description: 'Node join tokens instead (operator)' },
});

/** The collection path: `/join-tokens`, or the org's tokens (an org token's only org when --org is left out). */
async function basePath(input: CommandInput, io: CliIo, command: Command): Promise<string> {
  const org = input.flags.org as string | undefined;
  if (input.flags.join === true) {
    if (org !== undefined) throw usage(command, '--join and --org cannot be combined');
    return '/join-tokens';
  }
  if (org !== undefined) return `/orgs/${seg(org)}/tokens`;
  return `/orgs/${seg(await ownOrg(clientFor(input, io), command))}/tokens`;
}

/** Shared by `tokens create --join` and `nodes join-token`. */
export function printCreatedToken(io: CliIo, json: boolean, created: TokenView & { token: string }): void {
  if (json) {
    printJson(io, created);
    return;
  }
  io.stdout(`Created ${created.kind} token ${created.id} (${created.name})${created.org === undefined ? '' : ` for org ${created.org}`}\n`);
  io.stdout(`token: ${created.token}\n`);
  io.stderr('The token is shown only now: store it safely.\n');
}

export const tokensCreate: Command = {
  noun: 'tokens', verb: 'create', summary: 'Create an org API token, or a node join token with --join (shown once)',
  args: [{ name: 'NAME', description: 'a label, e.g. ci or rack-1' }],
  flags: SCOPE_FLAGS, read: true,
  examples: ['platform tokens create --org acme ci', 'platform tokens create --join rack-1'],
  async run(input, io) {
    const path = await basePath(input, io, this);
    printCreatedToken(io, input.json, await clientFor(input, io).call('POST', path, { name: input.args.NAME }));
    return EXIT.OK;
  },
};

export const tokensList: Command = {
  noun: 'tokens', verb: 'list', summary: "List an org's tokens, or the join tokens with --join (never the tokens themselves)",
  args: [], flags: SCOPE_FLAGS, read: true,
  async run(input, io) {
    const tokens = await clientFor(input, io).call<TokenView[]>('GET', await basePath(input, io, this));
    if (input.json) printJson(io, tokens);
    else printTable(io, ['ID', 'KIND', 'NAME', 'CREATED'], tokens.map((t) => [t.id, t.kind, t.name, t.createdAt]));
    return EXIT.OK;
  },
};

export const tokensRevoke: Command = {
  noun: 'tokens', verb: 'revoke', summary: 'Revoke a token by its id (tok_...)',
  args: [{ name: 'ID', description: 'the token id, as `platform tokens list` shows it' }],
  flags: SCOPE_FLAGS, read: false,
  async run(input, io) {
    await clientFor(input, io).call('DELETE', `${await basePath(input, io, this)}/${seg(input.args.ID!)}`);
    io.stdout(`Revoked token ${input.args.ID}\n`);
    return EXIT.OK;
  },
};
