// The health prober against real loopback servers: tcp connects or is refused; http counts 2xx/3xx only,
// and a server that never answers fails at the manifest's timeout.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { probe } from './prober.ts';

const servers: (Server | net.Server)[] = [];
after(() => {
  for (const s of servers) s.close();
});

function listen(server: Server | net.Server): Promise<number> {
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

async function closedPort(): Promise<number> {
  const s = net.createServer();
  const port = await new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
  await new Promise((resolve) => s.close(resolve));
  return port;
}

test('a tcp health check passes when the port accepts a connection and fails when it is refused', async () => {
  const port = await listen(net.createServer((s) => s.end()));
  const tcp = { kind: 'tcp', intervalMs: 1000, timeoutMs: 1000 } as const;
  assert.equal((await probe({ host: '127.0.0.1', port }, tcp)).ok, true);
  const refused = await probe({ host: '127.0.0.1', port: await closedPort() }, tcp);
  assert.deepEqual([refused.ok, /ECONNREFUSED/.test(refused.detail)], [false, true]);
});

test('an http health check GETs its path and passes on 2xx and 3xx only; no answer within the timeout fails', async () => {
  const seen: string[] = [];
  const port = await listen(createServer((req, res) => {
    seen.push(req.url ?? '');
    if (req.url === '/hang') return;
    res.statusCode = req.url === '/ok' ? 200 : req.url === '/moved' ? 302 : 503;
    res.end();
  }));
  const http = (path: string, timeoutMs = 1000) => probe({ host: '127.0.0.1', port }, { kind: 'http', path, intervalMs: 1000, timeoutMs });
  assert.equal((await http('/ok')).ok, true);
  assert.equal((await http('/moved')).ok, true);
  const down = await http('/down');
  assert.deepEqual([down.ok, down.detail], [false, 'http GET /down: 503']);
  const hang = await http('/hang', 150);
  assert.deepEqual([hang.ok, /within 150ms/.test(hang.detail)], [false, true]);
  assert.deepEqual(seen, ['/ok', '/moved', '/down', '/hang']);
});
