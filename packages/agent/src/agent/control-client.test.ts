// HttpControlPlane against loopback stand-ins of the control plane: state reports carry the instance's address
// (the edge table lists a healthy instance as a backend only by it); connections are kept open; refusals,
// time-outs and the event stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpControlPlane } from './control-client.ts';

async function capture(run: (base: string) => Promise<void>): Promise<{ url: string; body: unknown }[]> {
  const seen: { url: string; body: unknown }[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', body: JSON.parse(text) as unknown });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  return seen;
}

test('a state report carries the instance address (IP:port) when the agent knows it, and none otherwise', async () => {
  const seen = await capture(async (base) => {
    const control = new HttpControlPlane({ base, node: 'n1', token: 'trc_node_x' });
    control.setAddressOf((id) => (id === 'ins_a' ? '10.88.0.2:8080' : undefined));
    await control.reportState('ins_a', 'healthy', 'http GET /: 200');
    await control.reportState('ins_b', 'starting');
  });
  assert.deepEqual(seen, [
    { url: '/v1/nodes/n1/instances/ins_a/state', body: { state: 'healthy', detail: 'http GET /: 200', address: '10.88.0.2:8080' } },
    { url: '/v1/nodes/n1/instances/ins_b/state', body: { state: 'starting' } },
  ]);
});

/** A loopback stand-in answering each request with `handle`; counts the connections it accepted. */
async function serve(handle: (req: IncomingMessage, res: ServerResponse) => void, run: (base: string, connections: () => number) => Promise<void>): Promise<void> {
  let connections = 0;
  const server = createServer(handle);
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, () => connections);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

test('requests go over one kept-open connection; the secrets file arrives byte for byte; a JSON answer is parsed', async () => {
  const file = Buffer.from([0, 255, 10, 13, 1, 0x54, 0x52, 0x43]);
  await serve((req, res) => {
    req.resume();
    if (req.url?.endsWith('/secrets') === true) res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(file);
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([{ id: 'ins_a', desired: 'running' }]));
  }, async (base, connections) => {
    const control = new HttpControlPlane({ base, node: 'n1', token: 'trc_node_x' });
    try {
      for (let i = 0; i < 5; i++) {
        assert.deepEqual(Buffer.from(await control.instanceSecrets('ins_a')), file);
        assert.deepEqual(await control.assignments(), [{ id: 'ins_a', desired: 'running' }]);
        await control.heartbeat({ cores: 2, memoryBytes: 1, reservedMemoryBytes: 0 });
      }
      assert.equal(connections(), 1);
    } finally {
      control.close();
    }
  });
});

test('a refusal is TRC_AGENT_CONTROL_REJECTED with its status and code, 401 is TRC_AGENT_UNAUTHORIZED, and no answer in time is TRC_AGENT_CONTROL_UNAVAILABLE', async () => {
  await serve((req, res) => {
    req.resume();
    if (req.url?.includes('/stall-head') === true) return; // never answers
    if (req.url?.includes('/stall-body') === true) {
      res.writeHead(200, { 'content-type': 'application/json' }).write('[');
      return; // the body never ends
    }
    if (req.url?.includes('/heartbeat') === true) res.writeHead(401, { 'content-type': 'application/json' }).end('{"code":"TRC_UNAUTHORIZED","message":"bad token"}');
    else res.writeHead(404, { 'content-type': 'application/json' }).end('{"code":"TRC_NOT_FOUND","message":"no instance"}');
  }, async (base) => {
    const control = new HttpControlPlane({ base, node: 'n1', token: 'trc_node_x', timeoutMs: 300 });
    try {
      await assert.rejects(control.instanceSpec('ins_gone'), (e: Error & { code?: string; details?: unknown }) => e.code === 'TRC_AGENT_CONTROL_REJECTED' && /404 TRC_NOT_FOUND: no instance/.test(e.message) && JSON.stringify(e.details) === '{"status":404,"code":"TRC_NOT_FOUND"}');
      await assert.rejects(control.heartbeat({ cores: 1, memoryBytes: 1, reservedMemoryBytes: 0 }), { code: 'TRC_AGENT_UNAUTHORIZED' });
      await assert.rejects(control.instanceSpec('stall-head'), { code: 'TRC_AGENT_CONTROL_UNAVAILABLE' });
      await assert.rejects(control.instanceSpec('stall-body'), { code: 'TRC_AGENT_CONTROL_UNAVAILABLE' });
    } finally {
      control.close();
    }
  });
  const closed = new HttpControlPlane({ base: 'http://127.0.0.1:1', node: 'n1', token: 'x', timeoutMs: 1000 });
  await assert.rejects(closed.assignments(), { code: 'TRC_AGENT_CONTROL_UNAVAILABLE' });
  closed.close();
});

test('the event stream delivers each line as one event, however the bytes are split, and ends quietly when aborted', async () => {
  const lines = [{ seq: 1, type: 'InstancePlaced', payload: { instanceId: 'ins_a' } }, { seq: 2, type: 'InstanceStopRequested', payload: { note: 'é, split inside a character' } }].map((e) => `${JSON.stringify(e)}\n`).join('');
  const bytes = Buffer.from(lines);
  await serve((req, res) => {
    assert.equal(req.headers.authorization, 'Bearer trc_node_x');
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    // One byte at a time, the last line's newline withheld until later, then held open.
    for (let i = 0; i < bytes.length - 1; i++) res.write(bytes.subarray(i, i + 1));
    setTimeout(() => res.write('\n\n'), 50);
  }, async (base) => {
    const control = new HttpControlPlane({ base, node: 'n1', token: 'trc_node_x' });
    const seen: unknown[] = [];
    const abort = new AbortController();
    const following = control.followEvents(0, (e) => {
      seen.push(e);
      if (seen.length === 2) abort.abort();
    }, abort.signal);
    await following;
    assert.deepEqual(seen, lines.trim().split('\n').map((l) => JSON.parse(l) as unknown));
    control.close();
  });
});
