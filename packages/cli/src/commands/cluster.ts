// Operator and capacity commands: `platform volumes`, `quotas`, `nodes`, `settings`, `admin verify`.
import { isTrcError, userError } from '@trc/core';
import type { Command } from '../command.ts';
import { clientFor } from '../api/target.ts';
import { EXIT } from '../exit-codes.ts';
import { formatBytes, printFields, printJson, printTable } from '../output.ts';
import { APP_FLAG, ENV_FLAG, envOf, ORG_FLAG, required, seg, usage, wholeNumber, withServer } from './common.ts';
import { quotaFields } from './orgs.ts';
import { printCreatedToken } from './tokens.ts';

interface VolumeView { id: string; app: string; env: string; name: string; processType: string; sizeBytes: number; backupEnabled: boolean; node: string; createdAt: string }
interface Quotas { memoryBytes: number | null; instances: number | null; publicRoutes: number | null; ipv4Addresses: number | null }
interface NodeView { name: string; cores: number; memoryBytes: number; reservedMemoryBytes: number; status: string; downReason?: string; registeredAt: string }
interface Settings { cpuOvercommit: number; memorySafetyBufferBytes: number }

export const volumesCreate: Command = {
  noun: 'volumes', verb: 'create', summary: 'Create a local volume for one instance of a process type',
  args: [{ name: 'NAME', description: 'the volume name' }],
  flags: withServer({
    app: APP_FLAG, env: ENV_FLAG,
    process: { type: 'string', description: 'The process type whose instance mounts it', valueName: 'PROCESS' },
    size: { type: 'string', description: 'e.g. 1Gi', valueName: 'SIZE' },
    'no-backup': { type: 'boolean', description: 'Leave it out of the backups' },
  }),
  read: false,
  async run(input, io) {
    const app = required(input, 'app', this);
    const env = envOf(input);
    const body = { name: input.args.NAME, processType: required(input, 'process', this), size: required(input, 'size', this), ...(input.flags['no-backup'] === true ? { backupEnabled: false } : {}) };
    const v = await clientFor(input, io).call<VolumeView>('POST', `/apps/${seg(app)}/envs/${env}/volumes`, body);
    io.stdout(`Created volume ${v.name} (${formatBytes(v.sizeBytes)}) for ${app}/${env} ${v.processType} on node ${v.node}\n`);
    return EXIT.OK;
  },
};

export const volumesList: Command = {
  noun: 'volumes', verb: 'list', summary: "List an app's volumes and their nodes",
  args: [], flags: withServer({ app: APP_FLAG }), read: true,
  async run(input, io) {
    const volumes = await clientFor(input, io).call<VolumeView[]>('GET', `/apps/${seg(required(input, 'app', this))}/volumes`);
    if (input.json) printJson(io, volumes);
    else printTable(io, ['NAME', 'ENV', 'PROCESS', 'SIZE', 'NODE', 'BACKUP'], volumes.map((v) => [v.name, v.env, v.processType, formatBytes(v.sizeBytes), v.node, v.backupEnabled ? 'yes' : 'no']));
    return EXIT.OK;
  },
};

export const volumesDelete: Command = {
  noun: 'volumes', verb: 'delete', summary: 'Delete a volume no running instance mounts',
  args: [{ name: 'NAME', description: 'the volume' }], flags: withServer({ app: APP_FLAG, env: ENV_FLAG }), read: false,
  async run(input, io) {
    const app = required(input, 'app', this);
    const env = envOf(input);
    await clientFor(input, io).call('DELETE', `/apps/${seg(app)}/envs/${env}/volumes/${seg(input.args.NAME!)}`);
    io.stdout(`Deleted volume ${input.args.NAME} of ${app}/${env}\n`);
    return EXIT.OK;
  },
};

export const quotasShow: Command = {
  noun: 'quotas', verb: 'show', summary: "Show an org's quotas",
  args: [], flags: withServer({ org: ORG_FLAG }), read: true,
  async run(input, io) {
    const q = await clientFor(input, io).call<Quotas>('GET', `/orgs/${seg(required(input, 'org', this))}/quotas`);
    if (input.json) printJson(io, q);
    else printFields(io, quotaFields(q));
    return EXIT.OK;
  },
};

/** `--instances 20`, or `none` for unlimited; a flag left out keeps the current limit. */
function limit(text: string | undefined, current: number | null, what: string, command: Command): number | null {
  if (text === undefined) return current;
  return text === 'none' ? null : wholeNumber(text, what, command);
}

export const quotasSet: Command = {
  noun: 'quotas', verb: 'set', summary: "Change an org's quotas (operator); a limit left out stays as it is, `none` is unlimited",
  args: [],
  flags: withServer({
    org: ORG_FLAG,
    memory: { type: 'string', description: 'Total memory, e.g. 8Gi, or none', valueName: 'SIZE' },
    instances: { type: 'string', description: 'Number of instances, or none', valueName: 'N' },
    'public-routes': { type: 'string', description: 'Number of public routes, or none', valueName: 'N' },
    ipv4: { type: 'string', description: 'Number of dedicated IPv4 addresses, or none', valueName: 'N' },
  }),
  read: true,
  examples: ['platform quotas set --org acme --memory 8Gi --instances 20'],
  async run(input, io) {
    const org = required(input, 'org', this);
    const f = input.flags as Record<string, string | undefined>;
    if (['memory', 'instances', 'public-routes', 'ipv4'].every((k) => f[k] === undefined)) throw usage(this, 'give at least one of --memory, --instances, --public-routes, --ipv4');
    const client = clientFor(input, io);
    const q = await client.call<Quotas>('GET', `/orgs/${seg(org)}/quotas`);
    const memory = f.memory === undefined ? (q.memoryBytes === null ? null : formatBytes(q.memoryBytes)) : f.memory === 'none' ? null : f.memory;
    const body = { memory, instances: limit(f.instances, q.instances, '--instances', this), publicRoutes: limit(f['public-routes'], q.publicRoutes, '--public-routes', this), ipv4Addresses: limit(f.ipv4, q.ipv4Addresses, '--ipv4', this) };
    const updated = await client.call<Quotas>('PUT', `/orgs/${seg(org)}/quotas`, body);
    if (input.json) printJson(io, updated);
    else printFields(io, quotaFields(updated));
    return EXIT.OK;
  },
};

export const nodesList: Command = {
  noun: 'nodes', verb: 'list', summary: 'List the nodes (operator)',
  args: [], flags: withServer(), read: true,
  async run(input, io) {
    const nodes = await clientFor(input, io).call<NodeView[]>('GET', '/nodes');
    if (input.json) printJson(io, nodes);
    else printTable(io, ['NAME', 'STATUS', 'CORES', 'MEMORY', 'RESERVED', 'REGISTERED'], nodes.map((n) => [n.name, n.status === 'down' && n.downReason !== undefined ? `down (${n.downReason})` : n.status, n.cores, formatBytes(n.memoryBytes), formatBytes(n.reservedMemoryBytes), n.registeredAt]));
    return EXIT.OK;
  },
};

export const nodesJoinToken: Command = {
  noun: 'nodes', verb: 'join-token', summary: 'Create a join token a new node registers with (operator; shown once)',
  args: [{ name: 'NAME', description: 'a label, e.g. rack-1' }], flags: withServer(), read: true,
  async run(input, io) {
    printCreatedToken(io, input.json, await clientFor(input, io).call('POST', '/join-tokens', { name: input.args.NAME }));
    return EXIT.OK;
  },
};

function printSettings(io: Parameters<Command['run']>[1], s: Settings): void {
  printFields(io, [['cpu overcommit', s.cpuOvercommit], ['memory safety buffer', formatBytes(s.memorySafetyBufferBytes)]]);
}

export const settingsShow: Command = {
  noun: 'settings', verb: 'show', summary: 'Show the cluster settings (operator)',
  args: [], flags: withServer(), read: true,
  async run(input, io) {
    const s = await clientFor(input, io).call<Settings>('GET', '/settings');
    if (input.json) printJson(io, s);
    else printSettings(io, s);
    return EXIT.OK;
  },
};

export const settingsSet: Command = {
  noun: 'settings', verb: 'set', summary: 'Change the cluster settings (operator); a setting left out stays as it is',
  args: [],
  flags: withServer({
    'cpu-overcommit': { type: 'string', description: 'vCPU of requests one physical core carries, e.g. 4', valueName: 'N' },
    'memory-safety-buffer': { type: 'string', description: 'Memory kept free on every node, e.g. 256Mi', valueName: 'SIZE' },
  }),
  read: true,
  async run(input, io) {
    const f = input.flags as Record<string, string | undefined>;
    if (f['cpu-overcommit'] === undefined && f['memory-safety-buffer'] === undefined) throw usage(this, 'give --cpu-overcommit, --memory-safety-buffer or both');
    const overcommit = f['cpu-overcommit'] === undefined ? undefined : Number(f['cpu-overcommit']);
    if (overcommit !== undefined && !Number.isFinite(overcommit)) throw usage(this, '--cpu-overcommit must be a number');
    const client = clientFor(input, io);
    const current = await client.call<Settings>('GET', '/settings');
    const body = { cpuOvercommit: overcommit ?? current.cpuOvercommit, memorySafetyBuffer: f['memory-safety-buffer'] ?? formatBytes(current.memorySafetyBufferBytes) };
    const s = await client.call<Settings>('PUT', '/settings', body);
    if (input.json) printJson(io, s);
    else printSettings(io, s);
    return EXIT.OK;
  },
};

export const adminVerify: Command = {
  noun: 'admin', verb: 'verify', summary: 'Replay the event log and compare it with the live state (operator); exit 1 on drift',
  description: 'Prints OK, or every difference between the live projection and the replayed log (exit 1, TRC_CLI_DRIFT).',
  args: [], flags: withServer(), read: true,
  async run(input, io) {
    let result: { ok: boolean; seq: number; events: number };
    try {
      result = await clientFor(input, io).call('POST', '/admin/verify');
    } catch (e) {
      // The API answers drift as an error (it is a bug in the control plane) whose problems are the differences.
      if (isTrcError(e) && e.details.fromServer === true && (e.code === 'TRC_PROJECTION_DRIFT' || /does not match the replayed log/.test(e.message))) {
        const problems = e.problems.length > 0 ? e.problems : [{ path: '', code: 'TRC_CLI_DRIFT' as const, message: e.hint ?? 'no detail given' }];
        if (input.json) printJson(io, { ok: false, message: e.message, differences: problems.map((p) => ({ path: p.path, message: p.message })) });
        throw userError('TRC_CLI_DRIFT', e.message, 'the live state is not what the log says: stop writers and investigate before trusting it', { problems });
      }
      throw e;
    }
    if (input.json) printJson(io, result);
    else io.stdout(`OK: the live state matches a replay of ${result.events} events (up to seq ${result.seq})\n`);
    return EXIT.OK;
  },
};
