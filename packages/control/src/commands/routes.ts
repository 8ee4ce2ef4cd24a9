// Public TCP routes and IPv4 addresses (a paid add-on from the operator's pool). Both pass quota admission;
// their changes are serialised on one aggregate each, so an (address, port) or an address is never given twice.
import { checkProxyProtocol, userError, type Problem } from '@trc/core';
import { isIPv4 } from 'node:net';
import { aggregates, routeKey, type Ipv4Allocation, type RouteState } from '../state/state.ts';
import { notFound, requireApp, requireOperator, type Actor } from './actor.ts';
import { requireEnv } from './apps.ts';
import type { Control } from './control.ts';
import { nameProblem } from './names.ts';
import { admit } from './placement.ts';
import { invalid } from './validate.ts';

/** A route as platform.toml spells it, plus the dedicated address to listen on (default: the shared one). */
export interface RouteInput {
  readonly process: string;
  readonly port: number;
  readonly proxy_protocol?: string;
  readonly backend_expects_proxy_protocol?: boolean;
  readonly address?: string;
}

export async function createRoute(control: Control, actor: Actor, appName: string, envName: string, route: string, input: RouteInput): Promise<RouteState> {
  const state = await control.read();
  const app = requireApp(state, actor, appName);
  const env = requireEnv(app, envName);
  const problems: Problem[] = [...nameProblem(route, 'route', 'route name')];
  const proxy = checkProxyProtocol({ ...input }, '', route);
  problems.push(...proxy.problems);
  const release = env.release === null ? undefined : app.releases.find((r) => r.version === env.release);
  if (release === undefined) throw userError('TRC_NOT_DEPLOYED', `environment "${appName}/${env.name}" has no release deployed`, 'deploy a release with the process type first');
  if (!(input.process in release.processes)) problems.push({ path: 'process', code: 'TRC_INVALID_INPUT', message: `process type "${input.process}" is not in release ${release.version}`, hint: `one of: ${Object.keys(release.processes).join(', ')}` });
  const address = input.address ?? null;
  if (address !== null && state.ipv4.get(address)?.app !== appName) problems.push({ path: 'address', code: 'TRC_INVALID_INPUT', message: `${address} is not allocated to app "${appName}"`, hint: 'allocate an IPv4 address to the environment first, or leave address out for the shared one' });
  else if (address !== null && state.ipv4.get(address)?.env !== env.name) problems.push({ path: 'address', code: 'TRC_INVALID_INPUT', message: `${address} is allocated to another environment of "${appName}"`, hint: 'use an address allocated to this environment' });
  if (problems.length > 0) throw invalid(problems);
  if (state.routes.has(routeKey(appName, env.name, route))) throw userError('TRC_ALREADY_EXISTS', `route "${route}" exists already in ${appName}/${env.name}`, 'delete it first to change it');
  const taken = [...state.routes.values()].find((r) => r.address === address && r.port === input.port);
  if (taken !== undefined) {
    // Never name another org's app.
    const owner = taken.org === app.org ? ` by ${taken.app}/${taken.env} route "${taken.name}"` : '';
    throw userError('TRC_ALREADY_EXISTS', `port ${input.port} on ${address ?? 'the shared address'} is taken${owner}`, 'pick another public port, or allocate a dedicated IPv4 address');
  }
  admit(state, app.org, new Set(), { publicRoutes: 1 });
  await control.commit(actor, [
    {
      aggregateId: aggregates.routes,
      expectedVersion: control.version(aggregates.routes),
      changes: [{ type: 'RouteCreated', payload: { app: appName, org: app.org, env: env.name, route, processType: input.process, port: input.port, proxyProtocol: proxy.proxyProtocol, address } }],
    },
  ]);
  return (await control.read()).routes.get(routeKey(appName, env.name, route))!;
}

export async function listRoutes(control: Control, actor: Actor, appName: string): Promise<RouteState[]> {
  const state = await control.read();
  requireApp(state, actor, appName);
  return [...state.routes.values()].filter((r) => r.app === appName);
}

export async function deleteRoute(control: Control, actor: Actor, appName: string, envName: string, route: string): Promise<void> {
  const state = await control.read();
  const app = requireApp(state, actor, appName);
  const env = requireEnv(app, envName);
  if (!state.routes.has(routeKey(appName, env.name, route))) throw notFound(`route "${route}" in ${appName}/${env.name}`);
  await control.commit(actor, [{ aggregateId: aggregates.routes, expectedVersion: control.version(aggregates.routes), changes: [{ type: 'RouteDeleted', payload: { app: appName, org: app.org, env: env.name, route } }] }]);
}

/** The operator's pool. Addresses still allocated must stay in it. */
export async function setIpv4Pool(control: Control, actor: Actor, input: { addresses: readonly string[] }): Promise<{ addresses: string[] }> {
  requireOperator(actor, 'change the IPv4 pool');
  const problems: Problem[] = input.addresses.filter((a) => !isIPv4(a)).map((a) => ({ path: 'addresses', code: 'TRC_INVALID_INPUT' as const, message: `"${a.slice(0, 60)}" is not an IPv4 address`, hint: 'dotted quad, e.g. 203.0.113.10' }));
  const addresses = [...new Set(input.addresses)];
  const state = await control.read();
  for (const a of state.ipv4.keys()) if (!addresses.includes(a)) problems.push({ path: 'addresses', code: 'TRC_INVALID_INPUT', message: `${a} is allocated and cannot leave the pool`, hint: 'have it released first' });
  if (problems.length > 0) throw invalid(problems);
  await control.commit(actor, [{ aggregateId: aggregates.ipv4, expectedVersion: control.version(aggregates.ipv4), changes: [{ type: 'Ipv4PoolChanged', payload: { addresses } }] }]);
  return { addresses };
}

export async function allocateIpv4(control: Control, actor: Actor, appName: string, envName: string): Promise<Ipv4Allocation> {
  const state = await control.read();
  const app = requireApp(state, actor, appName);
  const env = requireEnv(app, envName);
  admit(state, app.org, new Set(), { ipv4Addresses: 1 });
  const address = state.ipv4Pool.find((a) => !state.ipv4.has(a));
  if (address === undefined) throw userError('TRC_IPV4_POOL_EXHAUSTED', 'every IPv4 address of the pool is allocated', 'ask the operator to add addresses to the pool, or use the shared address');
  await control.commit(actor, [{ aggregateId: aggregates.ipv4, expectedVersion: control.version(aggregates.ipv4), changes: [{ type: 'Ipv4AddressAllocated', payload: { address, app: appName, org: app.org, env: env.name } }] }]);
  return (await control.read()).ipv4.get(address)!;
}

export async function listIpv4(control: Control, actor: Actor, appName: string): Promise<Ipv4Allocation[]> {
  const state = await control.read();
  requireApp(state, actor, appName);
  return [...state.ipv4.values()].filter((a) => a.app === appName);
}

export async function releaseIpv4(control: Control, actor: Actor, appName: string, address: string): Promise<void> {
  const state = await control.read();
  const app = requireApp(state, actor, appName);
  const allocation = state.ipv4.get(address);
  if (allocation === undefined || allocation.app !== appName) throw notFound(`IPv4 address ${address.slice(0, 60)} of app "${appName}"`);
  const using = [...state.routes.values()].filter((r) => r.address === address).map((r) => r.name);
  if (using.length > 0) throw userError('TRC_IPV4_IN_USE', `${address} still carries route ${using.map((n) => `"${n}"`).join(', ')}`, 'delete those routes first');
  await control.commit(actor, [{ aggregateId: aggregates.ipv4, expectedVersion: control.version(aggregates.ipv4), changes: [{ type: 'Ipv4AddressReleased', payload: { address, app: appName, org: app.org, env: allocation.env } }] }]);
}
