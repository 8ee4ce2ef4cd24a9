// `platform routes create|list|delete|status`, `platform ips allocate|list|release`, `platform ip-pool show|set`.
import type { Command } from '../command.ts';
import { clientFor } from '../api/target.ts';
import { EXIT } from '../exit-codes.ts';
import { printFields, printJson, printTable } from '../output.ts';
import type { InstanceView } from './apps.ts';
import { APP_FLAG, ENV_FLAG, envOf, required, seg, wholeNumber, withServer } from './common.ts';

interface RouteView { app: string; env: string; name: string; processType: string; port: number; proxyProtocol: string; address: string | null; createdAt: string }
interface Ipv4View { address: string; app: string; env: string; allocatedAt: string }

const SCOPE = { app: APP_FLAG, env: ENV_FLAG };

export const routesCreate: Command = {
  noun: 'routes', verb: 'create', summary: 'Create a public TCP route to a process type',
  args: [{ name: 'NAME', description: 'the route name' }],
  flags: withServer({
    ...SCOPE,
    process: { type: 'string', description: 'The process type that serves it', valueName: 'PROCESS' },
    port: { type: 'string', description: 'The public port', valueName: 'PORT' },
    'proxy-protocol': { type: 'string', description: 'off (default) or v2', valueName: 'off|v2' },
    'backend-expects-proxy-protocol': { type: 'boolean', description: 'Acknowledge that the backend accepts PROXY v2 (required with v2)' },
    address: { type: 'string', description: "A dedicated IPv4 address of the app (default: the shared address)", valueName: 'IPV4' },
  }),
  read: false,
  examples: ['platform routes create --app shop --process web --port 443 https'],
  async run(input, io) {
    const app = required(input, 'app', this);
    const env = envOf(input);
    const f = input.flags;
    const body = {
      process: required(input, 'process', this),
      port: wholeNumber(required(input, 'port', this), '--port', this),
      ...(f['proxy-protocol'] === undefined ? {} : { proxy_protocol: f['proxy-protocol'] }),
      ...(f['backend-expects-proxy-protocol'] === true ? { backend_expects_proxy_protocol: true } : {}),
      ...(f.address === undefined ? {} : { address: f.address }),
    };
    const route = await clientFor(input, io).call<RouteView>('PUT', `/apps/${seg(app)}/envs/${env}/routes/${seg(input.args.NAME!)}`, body);
    io.stdout(`Created route ${route.name}: ${route.address ?? '(shared address)'}:${route.port} -> ${app}/${env} ${route.processType} (PROXY protocol ${route.proxyProtocol})\n`);
    return EXIT.OK;
  },
};

export const routesList: Command = {
  noun: 'routes', verb: 'list', summary: "List an app's public TCP routes",
  args: [], flags: withServer({ app: APP_FLAG }), read: true,
  async run(input, io) {
    const routes = await clientFor(input, io).call<RouteView[]>('GET', `/apps/${seg(required(input, 'app', this))}/routes`);
    if (input.json) printJson(io, routes);
    else printTable(io, ['NAME', 'ENV', 'ADDRESS', 'PORT', 'PROCESS', 'PROXY'], routes.map((r) => [r.name, r.env, r.address ?? 'shared', r.port, r.processType, r.proxyProtocol]));
    return EXIT.OK;
  },
};

export const routesDelete: Command = {
  noun: 'routes', verb: 'delete', summary: 'Delete a route',
  args: [{ name: 'NAME', description: 'the route' }], flags: withServer(SCOPE), read: false,
  async run(input, io) {
    const app = required(input, 'app', this);
    const env = envOf(input);
    await clientFor(input, io).call('DELETE', `/apps/${seg(app)}/envs/${env}/routes/${seg(input.args.NAME!)}`);
    io.stdout(`Deleted route ${input.args.NAME} of ${app}/${env}\n`);
    return EXIT.OK;
  },
};

interface BackendStatus { address: string; instanceId: string; healthy: boolean | null; reason: string; proxyMismatch: boolean; edge: string | null; since: string | null }
interface EdgeRouteStatus { backends: BackendStatus[] }

function backendState(b: BackendStatus): string {
  if (b.healthy === null) return 'not checked by an edge yet';
  return b.healthy ? 'healthy' : `unhealthy: ${b.reason}`;
}

export const routesStatus: Command = {
  noun: 'routes', verb: 'status', summary: "Each route's healthy instances, and each backend as the edges see it (PROXY mismatches named)",
  description: 'A route serves traffic only through healthy instances: 0 healthy means the route answers nothing. The backends table shows what the edge proxies last reported for each backend, e.g. a backend that does not accept the PROXY v2 header of a v2 route.',
  args: [{ name: 'NAME', description: 'only this route', optional: true }],
  flags: withServer({ app: APP_FLAG }), read: true,
  async run(input, io) {
    const app = required(input, 'app', this);
    const client = clientFor(input, io);
    const [routes, instances] = await Promise.all([client.call<RouteView[]>('GET', `/apps/${seg(app)}/routes`), client.call<InstanceView[]>('GET', `/apps/${seg(app)}/instances`)]);
    const status = await Promise.all(routes.filter((r) => input.args.NAME === undefined || r.name === input.args.NAME).map(async (r) => {
      const serving = instances.filter((i) => i.env === r.env && i.processType === r.processType && i.desired === 'running');
      const edge = await client.call<EdgeRouteStatus>('GET', `/apps/${seg(app)}/routes/${seg(r.name)}/status?env=${r.env}`);
      return { ...r, instances: serving.length, healthy: serving.filter((i) => i.actual === 'healthy').length, backends: edge.backends };
    }));
    if (input.json) {
      printJson(io, status);
      return EXIT.OK;
    }
    printTable(io, ['NAME', 'ENV', 'ADDRESS', 'PORT', 'PROCESS', 'HEALTHY'], status.map((r) => [r.name, r.env, r.address ?? 'shared', r.port, r.processType, `${r.healthy}/${r.instances}`]));
    const backends = status.flatMap((r) => r.backends.map((b) => [r.name, r.env, b.address, b.instanceId, b.edge ?? '-', backendState(b)]));
    if (backends.length > 0) {
      io.stdout('\n');
      printTable(io, ['ROUTE', 'ENV', 'BACKEND', 'INSTANCE', 'EDGE', 'STATE'], backends);
    }
    return EXIT.OK;
  },
};

export const ipsAllocate: Command = {
  noun: 'ips', verb: 'allocate', summary: "Allocate a dedicated IPv4 address from the operator's pool",
  args: [], flags: withServer(SCOPE), read: true,
  async run(input, io) {
    const app = required(input, 'app', this);
    const ip = await clientFor(input, io).call<Ipv4View>('POST', `/apps/${seg(app)}/envs/${envOf(input)}/ipv4`);
    if (input.json) printJson(io, ip);
    else io.stdout(`Allocated ${ip.address} to ${ip.app}/${ip.env}\n`);
    return EXIT.OK;
  },
};

export const ipsList: Command = {
  noun: 'ips', verb: 'list', summary: "List an app's IPv4 addresses",
  args: [], flags: withServer({ app: APP_FLAG }), read: true,
  async run(input, io) {
    const ips = await clientFor(input, io).call<Ipv4View[]>('GET', `/apps/${seg(required(input, 'app', this))}/ipv4`);
    if (input.json) printJson(io, ips);
    else printTable(io, ['ADDRESS', 'ENV', 'ALLOCATED'], ips.map((i) => [i.address, i.env, i.allocatedAt]));
    return EXIT.OK;
  },
};

export const ipsRelease: Command = {
  noun: 'ips', verb: 'release', summary: 'Release an IPv4 address back to the pool (no route may still use it)',
  args: [{ name: 'ADDRESS', description: 'the address' }], flags: withServer({ app: APP_FLAG }), read: false,
  async run(input, io) {
    await clientFor(input, io).call('DELETE', `/apps/${seg(required(input, 'app', this))}/ipv4/${seg(input.args.ADDRESS!)}`);
    io.stdout(`Released ${input.args.ADDRESS}\n`);
    return EXIT.OK;
  },
};

export const ipPoolShow: Command = {
  noun: 'ip-pool', verb: 'show', summary: 'The IPv4 address pool and its allocations (operator)',
  args: [], flags: withServer(), read: true,
  async run(input, io) {
    const pool = await clientFor(input, io).call<{ addresses: string[]; allocated: Ipv4View[] }>('GET', '/ipv4-pool');
    if (input.json) printJson(io, pool);
    else printTable(io, ['ADDRESS', 'ALLOCATED TO'], pool.addresses.map((a) => {
      const used = pool.allocated.find((x) => x.address === a);
      return [a, used === undefined ? '-' : `${used.app}/${used.env}`];
    }));
    return EXIT.OK;
  },
};

export const ipPoolSet: Command = {
  noun: 'ip-pool', verb: 'set', summary: 'Set the IPv4 address pool (operator); addresses in use must stay in it',
  args: [{ name: 'ADDRESS', description: 'every address of the pool', optional: true, variadic: true }],
  flags: withServer(), read: false,
  async run(input, io) {
    const pool = await clientFor(input, io).call<{ addresses: string[] }>('PUT', '/ipv4-pool', { addresses: [...input.rest] });
    printFields(io, [['pool', pool.addresses.join(' ') || '(empty)']]);
    return EXIT.OK;
  },
};
