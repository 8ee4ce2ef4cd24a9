// Test harness: the real control plane (bin/platform-control, its own SQLite log in a temp dir) on a fixed
// loopback port, so it can be restarted under the same URL; plus a JSON request helper. The edge talks to
// it over HTTP only, as in production.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startProcess, type RunningProcess } from './process.ts';
import { freeAddress } from '../testing/loopback.ts';

const BIN = resolve(import.meta.dirname, '../../../../bin/platform-control');

export interface TestControlPlane {
  readonly base: string;
  readonly operatorToken: string;
  request(method: string, path: string, options?: { token?: string; body?: unknown }): Promise<{ status: number; body: any; text: string }>;
  /** SIGTERM, then start again on the same port and log. */
  restart(): Promise<void>;
  /** SIGTERM only: the control plane is unreachable until resume(). */
  halt(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
  output(): string;
}

export async function startControlPlane(): Promise<TestControlPlane> {
  const dataDir = mkdtempSync(join(tmpdir(), 'trc-edge-control-'));
  const listen = await freeAddress('127.0.0.1');
  const base = `http://127.0.0.1:${listen.port}`;
  const start = (): Promise<RunningProcess> => startProcess({
    name: 'platform-control',
    command: BIN,
    // Node liveness is not under test here: the node stand-in does not heartbeat.
    args: ['--data-dir', dataDir, '--listen', `127.0.0.1:${listen.port}`, '--node-timeout', '3600'],
    ready: [{ host: '127.0.0.1', port: listen.port }],
    readyTimeoutMs: 20_000,
    maxLifetimeSec: 240,
  });
  let proc = await start();
  let earlier = '';
  let halted = false;
  const token = /operator token \(shown once, store it now\): (\S+)/.exec(proc.output())?.[1];
  if (token === undefined) throw new Error(`platform-control printed no operator token: ${proc.output()}`);
  const harness: TestControlPlane = {
    base,
    operatorToken: token,
    async request(method, path, options = {}) {
      const headers: Record<string, string> = {};
      if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${base}${path}`, { method, headers, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }), signal: AbortSignal.timeout(10_000) });
      const text = await res.text();
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status: res.status, body, text };
    },
    async restart() {
      await harness.halt();
      await harness.resume();
    },
    async halt() {
      await proc.stop();
      earlier += proc.output();
      halted = true;
    },
    async resume() {
      proc = await start();
      halted = false;
    },
    async stop() {
      if (!halted) await proc.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
    output: () => earlier + (halted ? '' : proc.output()),
  };
  return harness;
}
