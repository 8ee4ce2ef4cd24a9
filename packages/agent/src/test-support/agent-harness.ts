// Shared set-up of the agent's end-to-end test and benchmark (root only): a real control plane program, a
// real docker-registry with a busybox image, a tmpfs for secrets, and unique network names; all torn down,
// by close() or, after a process that died without it, by the next harness (harness-sweep.ts).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startControl, type RunningControl } from '../../../control/src/test-support/program.ts';
import { cleanHarness, processAlive, sweepDeadHarnesses, writeHarnessRecord, type HarnessRecord } from './harness-sweep.ts';
import { busyboxLayerTar, buildImage, pushImage } from './image-builder.ts';
import { startRegistry, type TestRegistry } from './registry.ts';
import { startAgent, type AgentConfig, type RunningAgent } from '../agent/assemble.ts';

export const isRoot = process.getuid?.() === 0;
export const hasRunc = spawnSync('runc', ['--version']).status === 0;
export const skipReason: string | false = !isRoot ? 'needs root' : !hasRunc ? 'needs runc (scripts/system-deps.sh installs it)' : false;

export interface Harness {
  readonly work: string;
  readonly control: RunningControl;
  readonly registry: TestRegistry;
  /** `127.0.0.1:<port>/e2e/busybox@sha256:...` */
  readonly image: string;
  readonly operator: string;
  /** The agents' log lines (never secret values), for failure messages. */
  readonly logs: string[];
  readonly config: (name: string) => AgentConfig;
  api(method: string, url: string, token: string, body?: unknown): Promise<{ status: number; body: any; text: string }>;
  /** Resync only every 10 minutes unless overridden: passes are driven by the event stream. */
  startAgent(name: string, overrides?: Partial<AgentConfig>): Promise<RunningAgent>;
  /** Polls `fn` until it returns a value other than undefined; bounded in time. */
  until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs?: number): Promise<T>;
  close(agents: readonly (RunningAgent | undefined)[]): Promise<void>;
}

/**
 * One of the six subnets kept for harness agents (198.18.250-255), held with a lock file while the harness
 * runs: two test files at once with the same pid % 6 would otherwise give two agents the same addresses,
 * and the second one's /32 routes fail with "File exists". A lock whose process is gone is taken over.
 */
function claimSubnet(): { readonly octet: number; readonly lock: string } {
  for (let i = 0; i < 6; i++) {
    const octet = 250 + ((process.pid + i) % 6);
    const lock = `/run/trc-test-subnet-198-18-${octet}.lock`;
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
    } catch {
      const owner = Number(readFileSync(lock, 'utf8').trim() || '0');
      if (owner > 0 && processAlive(owner)) continue;
      writeFileSync(lock, String(process.pid));
    }
    return { octet, lock };
  }
  throw new Error('all six harness subnets (198.18.250-255) are in use by other test processes');
}

export async function startHarness(label: string): Promise<Harness> {
  // What an earlier harness left when its process died without close() (see harness-sweep.ts).
  await sweepDeadHarnesses();
  const work = mkdtempSync(path.join(tmpdir(), `trc-${label}-`));
  const secretsDir = path.join(work, 'secrets');
  mkdirSync(secretsDir);
  const tag = (process.pid % 36 ** 3).toString(36).padStart(3, '0');
  const subnet = claimSubnet();
  const cgroupParent = `/trc-${label}-${process.pid}`;
  // 198.18.250-255 are used by no other test (they take 198.18.0-249 and 198.19.x by pid).
  const network = { subnet: `198.18.${subnet.octet}.0/24`, table: `trc_e${tag}`, netnsPrefix: `trce${tag}-`, interfacePrefix: `te${tag}x` };
  let record: HarnessRecord = { pid: process.pid, work, secretsDir, cgroupParent, lock: subnet.lock, network, programDirs: [work] };
  // On disk before anything is made on the host, so a process that dies from here on is swept.
  writeHarnessRecord(record);
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', secretsDir]).status !== 0) throw new Error('cannot mount a tmpfs for the secrets');
  const registry = await startRegistry();
  record = { ...record, programDirs: [work, path.dirname(registry.storage)] };
  writeHarnessRecord(record);
  const built = buildImage({ layers: [{ tar: await busyboxLayerTar() }], config: { Cmd: ['/bin/sh'], Env: ['PATH=/bin:/usr/bin'] } });
  const digest = await pushImage(registry, 'e2e/busybox', 'v1', built);
  const control = await startControl(path.join(work, 'control'), ['--node-timeout', '60']);
  const operator = /operator token \(shown once, store it now\): (trc_op_\S+)/.exec(control.stdout())?.[1];
  if (operator === undefined) throw new Error('no operator token printed');
  const logs: string[] = [];
  const config = (name: string): AgentConfig => ({
    control: control.base, stateDir: path.join(work, `agent-${name}`), nodeName: name,
    capacity: { cores: 4, memoryBytes: 8 * 2 ** 30, reservedMemoryBytes: 2 ** 30 },
    ...network,
    secretsDir, cgroupParent, adminListen: { host: '127.0.0.1', port: 0 },
    log: (line) => logs.push(`${name}: ${line}`),
    heartbeatMs: 1000, resyncMs: 600_000, stopGraceMs: 2000, pollMs: 100,
  });
  const api = async (method: string, url: string, token: string, body?: unknown): Promise<{ status: number; body: any; text: string }> => {
    const res = await fetch(`${control.base}${url}`, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed, text };
  };
  return {
    work, control, registry, operator, config, api, logs,
    image: `${registry.host}/e2e/busybox@${digest}`,
    startAgent: (name, overrides = {}) => startAgent({ ...config(name), ...overrides }),
    async until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
      const deadline = performance.now() + timeoutMs;
      for (let i = 0; i < 10_000; i++) {
        const value = await fn();
        if (value !== undefined) return value;
        if (performance.now() > deadline) break;
        await sleep(150);
      }
      throw new Error(`timed out waiting for ${what}; agent log:\n${logs.slice(-30).join('\n')}`);
    },
    async close(agents) {
      for (const a of agents) {
        if (a === undefined) continue;
        await a.close().catch(() => undefined);
        for (const i of await a.driver.list().catch(() => [])) await a.driver.remove(i.id, { force: true }).catch(() => undefined);
      }
      await control.stop().catch(() => undefined);
      await registry.stop().catch(() => undefined);
      await cleanHarness(record);
    },
  };
}
