// The agent's HTTP client of the control plane's node API (`/v1/nodes/...`, `/v1/events?follow=1`). The
// agent never imports @trc/control: this file is the whole contract, in the control plane's JSON shapes.
// node:http(s) with a keep-alive agent rather than fetch: a start makes several requests, and fetch cost
// ~0.25 ms of the agent's thread per request against ~0.05 (measured warm, loopback; more when cold).
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { NodeAssignment, NodeInstanceSpec } from '@trc/core';
import { TrcError, userError } from '@trc/core';
import type { PullReport } from './pull-report.ts';

export interface NodeCapacity {
  readonly cores: number;
  readonly memoryBytes: number;
  readonly reservedMemoryBytes: number;
}

/** What the node's runtime can do, reported to the control plane (`PUT /v1/nodes/:node/capabilities`). */
export interface NodeCapabilities {
  readonly runtimes: readonly string[];
  readonly network: string;
  readonly cgroup: 'v1' | 'v2';
  readonly secrets: string;
}

export type ReportedState = 'starting' | 'healthy' | 'unhealthy' | 'exited' | 'stopped';

/** One entry of GET /v1/nodes/:node/assignments. */
export type Assignment = NodeAssignment;

/** GET /v1/nodes/:node/instances/:instance/spec. */
export type InstanceSpecResponse = NodeInstanceSpec;

export interface StreamedEvent {
  readonly seq: number;
  readonly type: string;
  readonly payload: Readonly<Record<string, unknown>>;
}

/** The control plane as the agent sees it; a port so the reconciler can be tested without HTTP. */
export interface ControlPlane {
  register(name: string, capacity: NodeCapacity): Promise<string>;
  heartbeat(capacity: NodeCapacity): Promise<void>;
  reportCapabilities(capabilities: NodeCapabilities): Promise<void>;
  assignments(): Promise<Assignment[]>;
  instanceSpec(instanceId: string): Promise<InstanceSpecResponse>;
  /** The TRC_SECRETS_V1 file bytes. Never logged. */
  instanceSecrets(instanceId: string): Promise<Uint8Array>;
  reportState(instanceId: string, state: ReportedState, detail?: string): Promise<void>;
  reportOom(instanceId: string): Promise<void>;
  /** An instance's image pull progress (kept in the control plane's memory, not its log). */
  reportPullProgress(instanceId: string, report: PullReport): Promise<void>;
  /** Where the control plane reads instance logs: the admin endpoint's URL and bearer token. */
  registerAdmin(url: string, token: string): Promise<void>;
  /** Streams the events naming this node after `afterSeq` until `signal` aborts or the server closes. */
  followEvents(afterSeq: number, onEvent: (event: StreamedEvent) => void, signal: AbortSignal): Promise<void>;
}

export interface HttpControlPlaneOptions {
  /** e.g. `http://127.0.0.1:7700` (no `/v1`). */
  readonly base: string;
  readonly node: string;
  /** The node token; set after register(). */
  token?: string;
  readonly timeoutMs?: number;
  /**
   * Where the edge reaches an instance (`IP:port`, its internal port), sent with each state report: the
   * control plane's edge table lists a healthy instance as a route backend only with its address.
   */
  readonly addressOf?: (instanceId: string) => string | undefined;
}

/** A response read whole. */
interface Answer {
  readonly status: number;
  readonly body: Buffer;
}

export class HttpControlPlane implements ControlPlane {
  readonly #base: string;
  readonly #https: boolean;
  /** Connections kept open between requests (a start makes several). */
  readonly #agent: HttpAgent;
  readonly #node: string;
  readonly #timeoutMs: number;
  #token: string | undefined;
  #addressOf: (instanceId: string) => string | undefined;

  constructor(options: HttpControlPlaneOptions) {
    this.#base = options.base.replace(/\/+$/, '');
    this.#https = this.#base.startsWith('https:');
    this.#agent = this.#https ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    this.#node = options.node;
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#addressOf = options.addressOf ?? (() => undefined);
  }

  /** See HttpControlPlaneOptions.addressOf; set once the instance records exist. */
  setAddressOf(addressOf: (instanceId: string) => string | undefined): void {
    this.#addressOf = addressOf;
  }

  setToken(token: string): void {
    this.#token = token;
  }

  /**
   * Sends a request and resolves with the response as soon as its head is there; `signal` aborts the
   * exchange, the response's body included.
   */
  #send(method: string, url: string, options: { body?: string; token?: string; signal: AbortSignal }): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = {};
      if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
      if (options.body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(options.body);
      }
      const req = (this.#https ? httpsRequest : httpRequest)(url, { method, headers, agent: this.#agent, signal: options.signal }, resolve);
      req.on('error', reject);
      req.end(options.body);
    });
  }

  async #request(method: string, path: string, body?: unknown, token = this.#token): Promise<Answer> {
    let res: Answer;
    try {
      // The whole exchange, the body's reading included, is bounded.
      const message = await this.#send(method, `${this.#base}/v1${path}`, { ...(body === undefined ? {} : { body: JSON.stringify(body) }), ...(token === undefined ? {} : { token }), signal: AbortSignal.timeout(this.#timeoutMs) });
      const chunks: Buffer[] = [];
      for await (const chunk of message) chunks.push(chunk as Buffer);
      res = { status: message.statusCode ?? 0, body: Buffer.concat(chunks) };
    } catch (error) {
      throw new TrcError('TRC_AGENT_CONTROL_UNAVAILABLE', `the control plane at ${this.#base} could not be reached (${method} ${path.split('?')[0]})`, { hint: 'check --control and that platform-control runs; the agent retries', cause: error });
    }
    if (res.status >= 200 && res.status < 300) return res;
    const text = res.body.toString('utf8');
    let code = '';
    let message = text.slice(0, 300);
    try {
      const parsed = JSON.parse(text) as { code?: string; message?: string };
      code = parsed.code ?? '';
      message = parsed.message ?? message;
    } catch {
      // Not JSON: keep the text.
    }
    if (res.status === 401) throw userError('TRC_AGENT_UNAUTHORIZED', `the control plane refused the node's token (${code}: ${message})`, 'give a valid join token, or remove the state directory\'s node.json to join again');
    throw new TrcError('TRC_AGENT_CONTROL_REJECTED', `${method} ${path.split('?')[0]} answered ${res.status} ${code}: ${message}`, { details: { status: res.status, code } });
  }

  #json<T>(answer: Answer): T {
    return JSON.parse(answer.body.toString('utf8')) as T;
  }

  /** Closes the kept-open connections (the agent stops). */
  close(): void {
    this.#agent.destroy();
  }

  async register(name: string, capacity: NodeCapacity): Promise<string> {
    const body = this.#json<{ token: string }>(await this.#request('POST', '/nodes', { name, ...capacity }));
    this.#token = body.token;
    return body.token;
  }

  async heartbeat(capacity: NodeCapacity): Promise<void> {
    await this.#request('POST', `/nodes/${this.#node}/heartbeat`, capacity);
  }

  async reportCapabilities(capabilities: NodeCapabilities): Promise<void> {
    await this.#request('PUT', `/nodes/${this.#node}/capabilities`, capabilities);
  }

  async assignments(): Promise<Assignment[]> {
    return this.#json<Assignment[]>(await this.#request('GET', `/nodes/${this.#node}/assignments`));
  }

  async instanceSpec(instanceId: string): Promise<InstanceSpecResponse> {
    return this.#json<InstanceSpecResponse>(await this.#request('GET', `/nodes/${this.#node}/instances/${instanceId}/spec`));
  }

  async instanceSecrets(instanceId: string): Promise<Uint8Array> {
    const { body } = await this.#request('GET', `/nodes/${this.#node}/instances/${instanceId}/secrets`);
    return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  }

  async reportState(instanceId: string, state: ReportedState, detail?: string): Promise<void> {
    const address = this.#addressOf(instanceId);
    await this.#request('POST', `/nodes/${this.#node}/instances/${instanceId}/state`, { state, ...(detail === undefined ? {} : { detail: detail.slice(0, 500) }), ...(address === undefined ? {} : { address }) });
  }

  async reportOom(instanceId: string): Promise<void> {
    await this.#request('POST', `/nodes/${this.#node}/instances/${instanceId}/oom`);
  }

  async reportPullProgress(instanceId: string, report: PullReport): Promise<void> {
    await this.#request('PUT', `/nodes/${this.#node}/instances/${instanceId}/progress`, report);
  }

  async registerAdmin(url: string, token: string): Promise<void> {
    await this.#request('PUT', `/nodes/${this.#node}/admin`, { url, token });
  }

  async followEvents(afterSeq: number, onEvent: (event: StreamedEvent) => void, signal: AbortSignal): Promise<void> {
    let res: IncomingMessage;
    try {
      res = await this.#send('GET', `${this.#base}/v1/events?follow=1&after=${afterSeq}`, { token: this.#token ?? '', signal });
    } catch (error) {
      if (signal.aborted) return;
      throw new TrcError('TRC_AGENT_CONTROL_UNAVAILABLE', `the control plane's event stream at ${this.#base} could not be reached`, { hint: 'the agent resyncs its assignments periodically meanwhile', cause: error });
    }
    if (res.statusCode !== 200) {
      res.resume();
      throw new TrcError('TRC_AGENT_CONTROL_REJECTED', `GET /events?follow=1 answered ${res.statusCode ?? 0}`);
    }
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for await (const chunk of res as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(chunk, { stream: true });
        let newline;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          if (line.trim() !== '') onEvent(JSON.parse(line) as StreamedEvent);
        }
      }
    } catch (error) {
      if (!signal.aborted) throw new TrcError('TRC_AGENT_CONTROL_UNAVAILABLE', 'the control plane closed the event stream', { cause: error });
    }
  }
}
