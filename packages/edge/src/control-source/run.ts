// platform-edge in control-plane mode: the table comes from the control plane and follows it; health
// transitions go to stdout and to the control plane. Returns the exit code once stopped by a signal.
import process from 'node:process';
import type { Server } from 'node:http';
import { isTrcError, type TrcError } from '@trc/core';
import { formatSocketAddress, type SocketAddress } from '../config/address.ts';
import { Edge } from '../edge.ts';
import { startAdminServer } from '../admin/server.ts';
import { JsonLinesEventSink } from '../events/edge-events.ts';
import { HttpControlApi } from './control-client.ts';
import { ControlPlaneRouteSource } from './control-source.ts';
import { ControlHealthReporter, FanOutEventSink } from './health-reporter.ts';

export interface ControlModeOptions {
  readonly control: string;
  readonly token: string;
  readonly admin: SocketAddress;
  readonly publicAddress?: string;
}

export async function runWithControlPlane(options: ControlModeOptions, describe: (e: TrcError) => string): Promise<number> {
  const log = (line: string, e?: TrcError): void => {
    process.stderr.write(`platform-edge: ${line}${e === undefined ? '' : `\n${describe(e)}`}\n`);
  };
  const api = new HttpControlApi(options.control, options.token);
  const reporter = new ControlHealthReporter(api, { onDropped: (r, why) => log(`health report on ${r.route} ${r.address} not delivered: ${why}`) });
  const edge = new Edge({ events: new FanOutEventSink(new JsonLinesEventSink((l) => process.stdout.write(l)), reporter), random: Math.random, now: () => new Date() });
  let admin: Server;
  try {
    admin = await startAdminServer(options.admin, { status: () => edge.status(), metricsText: () => edge.metrics.render() });
  } catch (e) {
    if (!isTrcError(e)) throw e;
    log('cannot serve the admin endpoint', e);
    return 1;
  }
  const source = new ControlPlaneRouteSource(api, options.publicAddress === undefined ? {} : { publicAddress: options.publicAddress });
  const hooks = {
    apply: async (table: Parameters<Edge['applyRoutes']>[0]) => {
      const r = await edge.applyRoutes(table);
      for (const e of r.errors) log('a route could not start', e);
      log(`applied the control plane's table at seq ${source.seq}: ${table.routes.length} route(s)`);
    },
    log,
  };

  let stopping = false;
  let stopRequested: (signal: string) => void = () => undefined;
  const stopped = new Promise<string>((resolve) => (stopRequested = resolve));
  const onSignal = (signal: string): void => {
    if (stopping) {
      log(`${signal} again: exiting without waiting for connections`);
      process.exit(1);
    }
    stopping = true;
    stopRequested(signal);
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  // Until the first table arrives there is nothing to serve; a refused token will not fix itself.
  let started = false;
  for (let delay = 200; !started && !stopping; delay = Math.min(delay * 2, 5_000)) {
    try {
      await source.start(hooks);
      started = true;
    } catch (e) {
      if (!isTrcError(e)) throw e;
      if (e.code === 'TRC_EDGE_CONTROL_REFUSED') {
        log('the control plane refused the token', e);
        admin.close();
        return 2;
      }
      log('cannot load the routing table yet; retrying', e);
      await Promise.race([stopped, new Promise((r) => setTimeout(r, delay))]);
    }
  }
  if (started) log(`following ${options.control}; admin on ${formatSocketAddress(options.admin)}`);

  const signal = await stopped;
  log(`${signal}: no longer accepting; draining connections`);
  await source.stop();
  await edge.stop();
  await reporter.stop();
  admin.close();
  admin.closeAllConnections();
  log('stopped');
  return 0;
}
