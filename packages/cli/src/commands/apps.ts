// `platform apps create|list|show|delete`, `platform releases list`, `platform instances list` (envs: envs.ts).
import type { InstanceView } from '@trc/core';
import type { Command } from '../command.ts';
import { clientFor } from '../api/target.ts';
import { EXIT } from '../exit-codes.ts';
import { formatBytes, printFields, printJson, printTable } from '../output.ts';
import { APP_FLAG, ENV_FLAG, envOf, ORG_FLAG, required, seg, withServer } from './common.ts';
import { ownOrg } from './tokens.ts';

export interface EnvView { name: string; release: number | null; scale: Record<string, number>; secretsVersion: number | null; restarts: Record<string, unknown> }
export interface AppView { name: string; org: string; createdAt: string; envs: Record<string, EnvView> }
export interface ReleaseView { version: number; image: string; digest: string; processes: Record<string, { cpu: number; memoryBytes: number; count: number }>; createdAt: string }
export type { InstanceView };

export const scaleText = (scale: Record<string, number>): string => Object.entries(scale).map(([p, n]) => `${p}=${n}`).join(' ') || '-';
export const restartsText = (r: Record<string, unknown>): string => Object.keys(r).join(' ') || '-';

export function printEnv(io: Parameters<Command['run']>[1], app: string, env: EnvView): void {
  printFields(io, [['app', app], ['env', env.name], ['release', env.release], ['scale', scaleText(env.scale)], ['secrets version', env.secretsVersion], ['restarting', restartsText(env.restarts)]]);
}

export const appsCreate: Command = {
  noun: 'apps', verb: 'create', summary: 'Create an app with its prod and staging environments',
  args: [{ name: 'NAME', description: 'unique across the platform' }],
  flags: withServer({ org: { ...ORG_FLAG, description: "The org that owns it (an org token's own org by default)" } }), read: false,
  async run(input, io) {
    const client = clientFor(input, io);
    const org = (input.flags.org as string | undefined) ?? (await ownOrg(client, this));
    const app = await client.call<AppView>('POST', '/apps', { org, name: input.args.NAME });
    io.stdout(`Created app ${app.name} in org ${app.org}, with environments ${Object.keys(app.envs).join(' and ')}\n`);
    return EXIT.OK;
  },
};

export const appsList: Command = {
  noun: 'apps', verb: 'list', summary: 'List the apps the token may see',
  args: [], flags: withServer(), read: true,
  async run(input, io) {
    const apps = await clientFor(input, io).call<AppView[]>('GET', '/apps');
    if (input.json) printJson(io, apps);
    else printTable(io, ['NAME', 'ORG', 'PROD RELEASE', 'STAGING RELEASE', 'CREATED'], apps.map((a) => [a.name, a.org, a.envs.prod?.release, a.envs.staging?.release, a.createdAt]));
    return EXIT.OK;
  },
};

export const appsShow: Command = {
  noun: 'apps', verb: 'show', summary: 'Show an app and its environments',
  args: [{ name: 'NAME', description: 'the app' }], flags: withServer(), read: true,
  async run(input, io) {
    const app = await clientFor(input, io).call<AppView>('GET', `/apps/${seg(input.args.NAME!)}`);
    if (input.json) {
      printJson(io, app);
      return EXIT.OK;
    }
    printFields(io, [['name', app.name], ['org', app.org], ['created', app.createdAt]]);
    io.stdout('\n');
    printTable(io, ['ENV', 'RELEASE', 'SCALE', 'SECRETS VERSION', 'RESTARTING'], Object.values(app.envs).map((e) => [e.name, e.release, scaleText(e.scale), e.secretsVersion, restartsText(e.restarts)]));
    return EXIT.OK;
  },
};

export const appsDelete: Command = {
  noun: 'apps', verb: 'delete', summary: 'Delete an app: its instances stop, its routes and IPv4 addresses go',
  args: [{ name: 'NAME', description: 'the app' }], flags: withServer(), read: false,
  async run(input, io) {
    await clientFor(input, io).call('DELETE', `/apps/${seg(input.args.NAME!)}`);
    io.stdout(`Deleted app ${input.args.NAME}\n`);
    return EXIT.OK;
  },
};

export const releasesList: Command = {
  noun: 'releases', verb: 'list', summary: "List an app's releases, oldest first",
  args: [], flags: withServer({ app: APP_FLAG }), read: true,
  async run(input, io) {
    const releases = await clientFor(input, io).call<ReleaseView[]>('GET', `/apps/${seg(required(input, 'app', this))}/releases`);
    if (input.json) printJson(io, releases);
    else {
      const processes = (r: ReleaseView): string => Object.entries(r.processes).map(([n, p]) => `${n}=${p.count}x(${p.cpu}cpu,${formatBytes(p.memoryBytes)})`).join(' ');
      printTable(io, ['VERSION', 'DIGEST', 'PROCESSES', 'IMAGE', 'CREATED'], releases.map((r) => [r.version, r.digest, processes(r), r.image, r.createdAt]));
    }
    return EXIT.OK;
  },
};

export const instancesList: Command = {
  noun: 'instances', verb: 'list', summary: "List an app's instances: desired and actual state, node, release, digest, secrets version",
  args: [], flags: withServer({ app: APP_FLAG, env: { ...ENV_FLAG, description: 'Only this environment (default: all)' } }), read: true,
  async run(input, io) {
    const env = input.flags.env === undefined ? undefined : envOf(input);
    const all = await clientFor(input, io).call<InstanceView[]>('GET', `/apps/${seg(required(input, 'app', this))}/instances`);
    const instances = all.filter((i) => env === undefined || i.env === env);
    if (input.json) printJson(io, instances);
    else printTable(io, ['ID', 'ENV', 'PROCESS', 'RELEASE', 'NODE', 'DESIRED', 'ACTUAL', 'SECRETS', 'DIGEST'], instances.map((i) => [i.id, i.env, i.processType, i.release, i.node, i.desired, i.drainingSince === undefined ? i.actual : `${i.actual} (draining)`, i.bundleVersion, i.digest]));
    return EXIT.OK;
  },
};
