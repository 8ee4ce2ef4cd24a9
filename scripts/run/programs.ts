// Starts the three platform programs as black boxes, through their bin/ launchers and documented options:
// the control plane (SQLite in the data dir), the node agent (as root), the edge proxy (control-plane mode).
import { userError } from '@trc/core';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Child } from './child.ts';
import type { HostNames, RunOptions } from './options.ts';

const BIN = new URL('../../bin/', import.meta.url).pathname;

/** Where `make run` keeps the operator token: shown once by the control plane, so kept for the next run. */
export const OPERATOR_TOKEN_FILE = 'operator.token';

export interface StartedControl {
  readonly child: Child;
  readonly url: string;
  readonly operatorToken: string;
  /** A new event log: state made for an earlier one (the node's identity, the org token) no longer holds. */
  readonly fresh: boolean;
}

function logFile(o: RunOptions, name: string): string {
  return path.join(o.dataDir, 'logs', `${name}.log`);
}

function writeSecretFile(file: string, value: string): void {
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
}

export async function startControl(o: RunOptions): Promise<StartedControl> {
  const dataDir = path.join(o.dataDir, 'control');
  const tokenFile = path.join(o.dataDir, OPERATOR_TOKEN_FILE);
  const firstStart = !existsSync(dataDir);
  if (!firstStart && !existsSync(tokenFile)) {
    throw userError('TRC_RUN_STATE_LOST', `${dataDir} exists but ${tokenFile} does not: the operator token (shown once) is lost`, `remove ${o.dataDir} to start afresh`);
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const child = new Child({ name: 'platform-control', command: path.join(BIN, 'platform-control'), args: ['--data-dir', dataDir, '--listen', `127.0.0.1:${o.controlPort}`], logFile: logFile(o, 'control') });
  const listening = await child.readyOrStop(child.waitFor(/platform-control listening on (http:\/\/\S+)/, 30_000, 'listening line'));
  const printed = /operator token \(shown once, store it now\): (\S+)/.exec(child.output())?.[1];
  if (printed !== undefined) writeSecretFile(tokenFile, printed);
  if (!existsSync(tokenFile)) {
    await child.stop(10_000);
    throw userError('TRC_RUN_STATE_LOST', `platform-control printed no operator token and ${tokenFile} does not exist`, `remove ${o.dataDir} to start afresh`);
  }
  return { child, url: listening[1]!, operatorToken: readFileSync(tokenFile, 'utf8').trim(), fresh: printed !== undefined };
}

/** Joins with `joinToken` the first time (given in the environment, not on the command line); later runs reuse the identity. */
export async function startAgent(o: RunOptions, names: HostNames, controlUrl: string, joinToken: string | undefined): Promise<{ child: Child; adminUrl: string; stateDir: string }> {
  const stateDir = path.join(o.dataDir, 'agent');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const child = new Child({
    name: 'platform-agent',
    command: path.join(BIN, 'platform-agent'),
    args: [
      '--control', controlUrl, '--state-dir', stateDir, '--node-name', o.name, '--subnet', o.subnet, '--reserved-memory', '256Mi',
      '--secrets-dir', names.secretsDir, '--admin-listen', `127.0.0.1:${o.agentAdminPort}`, '--cgroup-parent', names.cgroupParent,
      '--runc-root', names.runcRoot, '--network-table', names.table, '--netns-prefix', names.netnsPrefix, '--interface-prefix', names.interfacePrefix,
      '--heartbeat', '2', '--resync', '10', '--stop-grace', '3',
    ],
    logFile: logFile(o, 'agent'),
    env: { TRC_JOIN_TOKEN: joinToken },
  });
  const m = await child.readyOrStop(child.waitFor(/node \S+ running; admin on (http:\/\/\S+)/, 60_000, 'the "running" line'));
  return { child, adminUrl: m[1]!, stateDir };
}

export function agentHasJoined(o: RunOptions): boolean {
  return existsSync(path.join(o.dataDir, 'agent', 'node.json'));
}

/** The edge follows the control plane with the operator token; routes without a dedicated address listen on 127.0.0.1. */
export async function startEdge(o: RunOptions, controlUrl: string, operatorToken: string): Promise<Child> {
  const child = new Child({
    name: 'platform-edge',
    command: path.join(BIN, 'platform-edge'),
    args: ['--control', controlUrl, '--admin', `127.0.0.1:${o.edgeAdminPort}`, '--public-address', '127.0.0.1'],
    logFile: logFile(o, 'edge'),
    // In the environment, not on the command line, where `ps` would show it.
    env: { TRC_EDGE_TOKEN: operatorToken },
  });
  await child.readyOrStop(child.waitFor(/platform-edge: following /, 30_000, 'the "following" line'));
  return child;
}
