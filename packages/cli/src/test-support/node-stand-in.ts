// TEST-ONLY STAND-IN for the node agent (packages/agent), for CLI tests that are about the CLI, not about
// running instances: it speaks the real node HTTP API of the control plane (POST /v1/nodes with a join token,
// heartbeats, GET assignments, POST .../state) and reports every instance it is asked to run as healthy at
// once, without running anything. The real agent is tested against the control plane in packages/agent.
// Stop it with World.stopFirst so its loop ends before the control plane does.
import { setTimeout as sleep } from 'node:timers/promises';

export interface NodeStandIn {
  readonly name: string;
  /** The node token (an edge on this node would use it). */
  readonly token: string;
  /** Instance ids it reported healthy, in order. */
  readonly reportedHealthy: readonly string[];
  /** Ends the loop; resolves once the last pass is over. Rejects if a pass failed. */
  stop(): Promise<void>;
}

interface Assignment { readonly id: string; readonly desired: string; readonly actual: string }

const PASS_INTERVAL_MS = 100;
/** The loop ends by itself after this long even if nobody calls stop(). */
const MAX_LIFETIME_MS = 5 * 60_000;

async function call(base: string, token: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${base}/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`node stand-in: ${method} ${path} answered ${res.status}: ${text}`);
  return text === '' ? undefined : JSON.parse(text);
}

export interface StandInOptions {
  readonly name?: string;
  /** What it reports for each new instance (default healthy); null reports nothing, like an agent that never boots them. */
  readonly report?: 'healthy' | 'unhealthy' | null;
  /** Report each instance with a made-up backend address (192.0.2.N:port, a documentation range never contacted). */
  readonly addressPort?: number;
  /**
   * Before reporting an instance, report these pull progress bodies for it, in order (PUT .../progress, the
   * real node API), with `pullStepMs` between them; nothing is pulled.
   */
  readonly pullSteps?: readonly Readonly<Record<string, unknown>>[];
  readonly pullStepMs?: number;
}

export async function startNodeStandIn(base: string, joinToken: string, options: StandInOptions = {}): Promise<NodeStandIn> {
  const name = options.name ?? 'stand-in-1';
  const report = options.report === undefined ? 'healthy' : options.report;
  const reported = new Set<string>();
  const capacity = { cores: 16, memoryBytes: 64 * 2 ** 30, reservedMemoryBytes: 2 ** 30 };
  const { token } = (await call(base, joinToken, 'POST', '/nodes', { name, ...capacity })) as { token: string };
  const reportedHealthy: string[] = [];
  let running = true;
  const started = performance.now();
  const loop = (async () => {
    while (running && performance.now() - started < MAX_LIFETIME_MS) {
      await call(base, token, 'POST', `/nodes/${name}/heartbeat`, capacity);
      for (const a of (await call(base, token, 'GET', `/nodes/${name}/assignments`)) as Assignment[]) {
        if (a.desired !== 'running' || a.actual === 'healthy' || report === null || reported.has(a.id)) continue;
        for (const step of options.pullSteps ?? []) {
          await call(base, token, 'PUT', `/nodes/${name}/instances/${a.id}/progress`, step);
          await sleep(options.pullStepMs ?? 0);
        }
        const address = options.addressPort === undefined ? {} : { address: `192.0.2.${reported.size + 1}:${options.addressPort}` };
        await call(base, token, 'POST', `/nodes/${name}/instances/${a.id}/state`, { state: report, ...address, ...(report === 'unhealthy' ? { detail: 'health check failed (stand-in)' } : {}) });
        reported.add(a.id);
        if (report === 'healthy') reportedHealthy.push(a.id);
      }
      await sleep(PASS_INTERVAL_MS);
    }
  })();
  // Held until stop() so a failed pass is reported there, not as an unhandled rejection.
  let failure: unknown;
  const done = loop.catch((e: unknown) => void (failure = e));
  return {
    name,
    token,
    reportedHealthy,
    async stop() {
      running = false;
      await done;
      if (failure !== undefined) throw failure;
    },
  };
}
