// Test harness: the real API on 127.0.0.1, an ephemeral port, a temp data dir and the real SQLite store,
// with an operator token and a small helper for JSON requests.
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../api/server.ts';
import { bootstrap } from '../commands/orgs.ts';
import { makeTestControl, steppingClock, type TestControl } from './control.ts';

export interface TestApi {
  readonly t: TestControl;
  readonly app: FastifyInstance;
  readonly base: string;
  readonly operatorToken: string;
  readonly bugs: string[];
  /** The server's last-heartbeat map, for driving the reconciler in tests. */
  readonly heartbeats: Map<string, number>;
  request(method: string, path: string, options?: { token?: string; body?: unknown; rawBody?: string | Buffer; headers?: Record<string, string> }): Promise<{ status: number; body: any; text: string }>;
  close(): Promise<void>;
}

export async function startTestApi(seed: string, bodyLimit?: number): Promise<TestApi> {
  const t = await makeTestControl(seed);
  const operatorToken = (await bootstrap(t.control))!;
  const bugs: string[] = [];
  const heartbeats = new Map<string, number>();
  const app = await buildApi({ control: t.control, clock: steppingClock(), heartbeats, logBug: (text) => bugs.push(text), ...(bodyLimit === undefined ? {} : { bodyLimit }) });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    t,
    app,
    base: address,
    operatorToken,
    bugs,
    heartbeats,
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
      let body: string | Buffer | undefined = options.rawBody;
      if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(`${address}${path}`, { method, headers, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(10_000) });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      return { status: res.status, body: parsed, text };
    },
    async close() {
      await app.close();
      await t.close();
    },
  };
}
