// A STAND-IN FOR THE NODE AGENT (platform-agent), for edge tests: it speaks the real node API of the control
// plane (assignments, instance state reports with the instance's address) but "runs" each instance as a
// loopback TCP server made by the test. Stopping an instance first waits `preStopMs` while it still accepts
// (the edges learn of the stop from the same event and take it out of rotation meanwhile; a listener
// closed before that resets connections the edge has just handed it), then closes its listener and lets
// its open connections finish (bounded), as an instance's graceful shutdown would.
import type { TestControlPlane } from './control-plane.ts';
import type { TestServer } from '../testing/loopback.ts';

interface Assignment { id: string; processType: string; desired: 'running' | 'stopped'; actual: string }

export interface NodeStandIn {
  readonly name: string;
  readonly token: string;
  /** Instance id -> its server, for the instances running now. */
  readonly running: ReadonlyMap<string, TestServer>;
  /** One pass: start what is desired, stop what is not, report both. Network errors are the next pass's problem. */
  sync(): Promise<void>;
  /** Passes every `everyMs` until stop(). */
  start(everyMs?: number): void;
  stop(): Promise<void>;
}

export async function startNodeStandIn(cp: TestControlPlane, name: string, backends: (processType: string, id: string) => Promise<TestServer>, preStopMs = 2_000): Promise<NodeStandIn> {
  const join = (await cp.request('POST', '/v1/join-tokens', { token: cp.operatorToken, body: { name: `${name}-join` } })).body.token as string;
  const res = await cp.request('POST', '/v1/nodes', { token: join, body: { name, cores: 16, memoryBytes: 64 * 2 ** 30, reservedMemoryBytes: 2 ** 30 } });
  if (res.status !== 201) throw new Error(`node registration failed: ${res.text}`);
  const token = res.body.token as string;
  const running = new Map<string, TestServer>();
  const stopping = new Set<string>();
  const stops = new Set<Promise<void>>();
  const report = (id: string, body: unknown) => cp.request('POST', `/v1/nodes/${name}/instances/${id}/state`, { token, body });

  const stopInstance = async (id: string, server: TestServer): Promise<void> => {
    stopping.add(id);
    running.delete(id);
    await new Promise((resolve) => setTimeout(resolve, preStopMs));
    await new Promise<void>((resolve) => {
      const cut = setTimeout(resolve, 5_000);
      server.server.close(() => (clearTimeout(cut), resolve()));
    });
    await server.close();
    for (let attempt = 0; attempt < 50; attempt++) {
      const r = await report(id, { state: 'stopped' }).catch(() => undefined);
      if (r !== undefined && r.status < 500) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    stopping.delete(id);
  };

  const sync = async (): Promise<void> => {
    const list = await cp.request('GET', `/v1/nodes/${name}/assignments`, { token });
    if (list.status !== 200) return;
    for (const a of list.body as Assignment[]) {
      const server = running.get(a.id);
      if (a.desired === 'running' && server === undefined && !stopping.has(a.id) && a.actual !== 'stopped') {
        const started = await backends(a.processType, a.id);
        running.set(a.id, started);
        await report(a.id, { state: 'healthy', address: `${started.address.host}:${started.address.port}` });
      } else if (a.desired === 'stopped' && server !== undefined) {
        const stop = stopInstance(a.id, server).finally(() => stops.delete(stop));
        stops.add(stop);
      }
    }
  };

  let timer: ReturnType<typeof setTimeout> | undefined;
  let active = false;
  let pass: Promise<void> = Promise.resolve();
  return {
    name,
    token,
    running,
    sync,
    start(everyMs = 100) {
      active = true;
      const tick = (): void => {
        if (!active) return;
        pass = sync().catch(() => undefined).then(() => {
          if (active) timer = setTimeout(tick, everyMs);
        });
      };
      tick();
    },
    async stop() {
      active = false;
      clearTimeout(timer);
      await pass;
      await Promise.all(stops);
      for (const s of running.values()) await s.close();
      running.clear();
    },
  };
}
