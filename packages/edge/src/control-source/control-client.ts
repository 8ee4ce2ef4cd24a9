// The edge's HTTP client of the control plane (fetch only: the edge never links the control plane's code):
// the routing table, the NDJSON event stream, and health reports.
import { TrcError } from '@trc/core';

export interface HealthReport {
  readonly route: string;
  readonly address: string;
  readonly healthy: boolean;
  readonly reason: string;
  readonly proxyMismatch: boolean;
}

export interface StreamedEvent {
  readonly seq: number;
  readonly type: string;
}

/** What the edge asks of the control plane; an interface so the follow loop is testable on its own. */
export interface ControlApi {
  table(publicAddress: string | undefined): Promise<unknown>;
  /** Streams events after `afterSeq` until the stream ends, the server goes away, or `signal` aborts. */
  follow(afterSeq: number, types: readonly string[], signal: AbortSignal, onEvent: (e: StreamedEvent) => void): Promise<void>;
  reportHealth(report: HealthReport): Promise<void>;
}

const REQUEST_TIMEOUT_MS = 10_000;

export class HttpControlApi implements ControlApi {
  readonly #base: string;
  readonly #token: string;

  constructor(base: string, token: string) {
    this.#base = base.replace(/\/+$/, '');
    this.#token = token;
  }

  async table(publicAddress: string | undefined): Promise<unknown> {
    const query = publicAddress === undefined ? '' : `?publicAddress=${encodeURIComponent(publicAddress)}`;
    const res = await this.#fetch(`/v1/edge/routes${query}`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    try {
      return await res.json();
    } catch (e) {
      // A body cut short or not JSON: the next reload gets a whole one.
      throw new TrcError('TRC_EDGE_CONTROL_UNREACHABLE', `the control plane's routing table could not be read (${(e as Error).message})`, { hint: 'the edge retries', cause: e });
    }
  }

  async follow(afterSeq: number, types: readonly string[], signal: AbortSignal, onEvent: (e: StreamedEvent) => void): Promise<void> {
    const query = new URLSearchParams({ follow: '1', edge: '1', after: String(afterSeq), type: types.join(',') });
    const res = await this.#fetch(`/v1/events?${query.toString()}`, { signal });
    if (res.body === null) return;
    const decoder = new TextDecoder();
    let pending = '';
    for await (const chunk of res.body) {
      pending += decoder.decode(chunk as Uint8Array, { stream: true });
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.trim() === '') continue;
        const e = JSON.parse(line) as StreamedEvent;
        if (typeof e.seq === 'number' && typeof e.type === 'string') onEvent(e);
      }
    }
  }

  async reportHealth(report: HealthReport): Promise<void> {
    await this.#fetch('/v1/edge/health', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(report), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  }

  async #fetch(path: string, init: RequestInit): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${this.#base}${path}`, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${this.#token}` } });
    } catch (e) {
      if ((e as Error).name === 'AbortError' && init.signal?.aborted === true && !(init.signal.reason instanceof DOMException && init.signal.reason.name === 'TimeoutError')) throw e;
      throw new TrcError('TRC_EDGE_CONTROL_UNREACHABLE', `cannot reach the control plane at ${this.#base} (${causeOf(e)})`, { hint: 'check --control and that platform-control is running; the edge retries', cause: e });
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw new TrcError('TRC_EDGE_CONTROL_REFUSED', `the control plane refused the edge's token (HTTP ${res.status})`, { hint: "give --token the token of the node the edge runs on (or the operator's)" });
    }
    if (!res.ok) {
      const text = (await res.text()).slice(0, 300);
      throw new TrcError('TRC_EDGE_CONTROL_UNREACHABLE', `the control plane answered ${path.split('?')[0]} with HTTP ${res.status}: ${text}`, { hint: 'the edge retries; see the control plane log', details: { status: res.status } });
    }
    return res;
  }
}

function causeOf(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e as Error).message;
}
