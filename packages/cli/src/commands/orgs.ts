// `platform orgs create|list|show`.
import type { Command } from '../command.ts';
import { clientFor } from '../api/target.ts';
import { EXIT } from '../exit-codes.ts';
import { formatBytes, printFields, printJson, printTable } from '../output.ts';
import { seg, withServer } from './common.ts';

interface Quotas { memoryBytes: number | null; instances: number | null; publicRoutes: number | null; ipv4Addresses: number | null }
interface OrgView { name: string; createdAt: string; quotas: Quotas }

export function quotaFields(q: Quotas): [string, string][] {
  const limit = (n: number | null): string => (n === null ? 'unlimited' : String(n));
  return [['memory', q.memoryBytes === null ? 'unlimited' : formatBytes(q.memoryBytes)], ['instances', limit(q.instances)], ['public routes', limit(q.publicRoutes)], ['ipv4 addresses', limit(q.ipv4Addresses)]];
}

export const orgsCreate: Command = {
  noun: 'orgs', verb: 'create', summary: 'Create an org (operator)',
  args: [{ name: 'NAME', description: 'lower-case letters, digits and dashes' }],
  flags: withServer(), read: false,
  async run(input, io) {
    const org = await clientFor(input, io).call<{ name: string }>('POST', '/orgs', { name: input.args.NAME });
    io.stdout(`Created org ${org.name}\n`);
    return EXIT.OK;
  },
};

export const orgsList: Command = {
  noun: 'orgs', verb: 'list', summary: 'List the orgs the token may see',
  args: [], flags: withServer(), read: true,
  async run(input, io) {
    const orgs = await clientFor(input, io).call<{ name: string; createdAt: string }[]>('GET', '/orgs');
    if (input.json) printJson(io, orgs);
    else printTable(io, ['NAME', 'CREATED'], orgs.map((o) => [o.name, o.createdAt]));
    return EXIT.OK;
  },
};

export const orgsShow: Command = {
  noun: 'orgs', verb: 'show', summary: 'Show an org and its quotas',
  args: [{ name: 'NAME', description: 'the org' }], flags: withServer(), read: true,
  async run(input, io) {
    const org = await clientFor(input, io).call<OrgView>('GET', `/orgs/${seg(input.args.NAME!)}`);
    if (input.json) printJson(io, org);
    else printFields(io, [['name', org.name], ['created', org.createdAt], ...quotaFields(org.quotas)]);
    return EXIT.OK;
  },
};
