// The control plane's /v1 HTTP API as the CLI sees it: JSON in and out, its {code, message, hint} errors
// turned into TrcErrors, and a network failure turned into TRC_CLI_UNREACHABLE with a hint.
import { TrcError, userError, type ErrorCode, type Problem } from '@trc/core';

const REQUEST_TIMEOUT_MS = 60_000;

export interface StreamOptions {
  /** Aborting it ends the stream quietly (Ctrl-C, --max, --timeout). */
  readonly signal: AbortSignal;
}

export class ApiClient {
  readonly url: string;
  readonly #token: string;

  constructor(url: string, token: string) {
    this.url = url;
    this.#token = token;
  }

  /** A JSON call; resolves with the parsed body (undefined for 204). */
  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.#fetch(method, path, body, AbortSignal.timeout(REQUEST_TIMEOUT_MS));
    const text = await res.text();
    if (!res.ok) throw serverError(res.status, text, this.url);
    if (res.status === 204 || text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw notTrc(this.url, res.status);
    }
  }

  /** A call answered with bytes (`secrets render`): returned exactly as sent. */
  async bytes(path: string): Promise<Uint8Array> {
    const res = await this.#fetch('GET', path, undefined, AbortSignal.timeout(REQUEST_TIMEOUT_MS));
    const data = new Uint8Array(await res.arrayBuffer());
    if (!res.ok) throw serverError(res.status, new TextDecoder().decode(data), this.url);
    return data;
  }

  /** An NDJSON stream: calls `onItem` per line until the server ends it or the signal aborts. */
  async stream(path: string, onItem: (item: unknown) => void | Promise<void>, options: StreamOptions): Promise<void> {
    let res: Response;
    try {
      res = await this.#fetch('GET', path, undefined, options.signal);
    } catch (e) {
      if (options.signal.aborted) return;
      throw e;
    }
    if (!res.ok) throw serverError(res.status, await res.text(), this.url);
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for await (const chunk of res.body ?? []) {
        buffered += decoder.decode(chunk as Uint8Array, { stream: true });
        let nl;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (line.trim() !== '') await onItem(parseLine(line, this.url));
          if (options.signal.aborted) return;
        }
      }
    } catch (e) {
      if (options.signal.aborted) return;
      if (e instanceof TrcError) throw e;
      throw unreachable(this.url, e);
    }
  }

  async #fetch(method: string, path: string, body: unknown, signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await fetch(`${this.url}/v1${path}`, { method, headers, signal, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    } catch (e) {
      if (signal.aborted && (signal.reason as { name?: string } | undefined)?.name !== 'TimeoutError') throw e;
      throw unreachable(this.url, e);
    }
  }
}

function parseLine(line: string, url: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw notTrc(url, 200);
  }
}

function unreachable(url: string, e: unknown): TrcError {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const why = (e as { name?: string }).name === 'TimeoutError' ? 'no answer in time' : (cause?.code ?? cause?.message ?? (e as Error).message);
  return userError('TRC_CLI_UNREACHABLE', `cannot reach the control plane at ${url} (${why})`, `is the control plane running at ${url}? Check --url, TRC_URL or \`platform login\``);
}

function notTrc(url: string, status: number): TrcError {
  return userError('TRC_CLI_BAD_RESPONSE', `${url} answered HTTP ${status}, but not with the JSON of a TRC control plane`, 'check that --url points at platform-control (e.g. http://127.0.0.1:7700)');
}

/** The API's own error, marked as coming from the server: its code is shown as it is, whatever its kind. */
function serverError(status: number, text: string, url: string): TrcError {
  let doc: { code?: unknown; message?: unknown; hint?: unknown; problems?: unknown } | undefined;
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch {
    doc = undefined;
  }
  if (doc === undefined || doc === null || typeof doc.code !== 'string' || typeof doc.message !== 'string') throw notTrc(url, status);
  const problems = Array.isArray(doc.problems) ? (doc.problems as Problem[]) : [];
  return new TrcError(doc.code as ErrorCode, doc.message, {
    ...(typeof doc.hint === 'string' ? { hint: doc.hint } : {}),
    problems,
    details: { fromServer: true, status },
  });
}
