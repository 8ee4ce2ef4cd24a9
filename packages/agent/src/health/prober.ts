// One health probe of an instance from the host, over the instance's /32 route: tcp (the port accepts a
// connection) or http (GET path answers 2xx or 3xx), each bounded by the manifest's timeout.
import { request } from 'node:http';
import net from 'node:net';
import type { HealthCheck } from '@trc/core';

export interface ProbeTarget {
  readonly host: string;
  readonly port: number;
}

export interface ProbeResult {
  readonly ok: boolean;
  /** Why it failed (or the HTTP status), for the state report's detail. */
  readonly detail: string;
}

export function probe(target: ProbeTarget, check: HealthCheck): Promise<ProbeResult> {
  return check.kind === 'http' ? probeHttp(target, check.path, check.timeoutMs) : probeTcp(target, check.timeoutMs);
}

export function probeTcp(target: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: target.host, port: target.port });
    const done = (result: ProbeResult): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done({ ok: false, detail: `tcp ${target.port}: no connection within ${timeoutMs}ms` }), timeoutMs);
    socket.once('connect', () => done({ ok: true, detail: `tcp ${target.port}: connected` }));
    socket.once('error', (e: NodeJS.ErrnoException) => done({ ok: false, detail: `tcp ${target.port}: ${e.code ?? e.message}` }));
  });
}

export function probeHttp(target: ProbeTarget, path: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(result);
    };
    const req = request({ host: target.host, port: target.port, path, method: 'GET', agent: false, headers: { 'user-agent': 'trc-agent-health', connection: 'close' } }, (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      done({ ok: status >= 200 && status < 400, detail: `http GET ${path}: ${status}` });
    });
    const timer = setTimeout(() => done({ ok: false, detail: `http GET ${path}: no answer within ${timeoutMs}ms` }), timeoutMs);
    req.once('error', (e: NodeJS.ErrnoException) => done({ ok: false, detail: `http GET ${path}: ${e.code ?? e.message}` }));
    req.end();
  });
}
