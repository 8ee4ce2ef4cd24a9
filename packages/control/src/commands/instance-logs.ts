// Instance logs for org tokens: each node agent registers its admin endpoint (URL and bearer token) here, and
// the control plane reads an instance's kept stdout/stderr from the agent of the node that runs it. The admin
// token lives only in this process's memory (re-registered by the agent with its capabilities): it is never
// written to the event log and never returned by any API.
import { TrcError, userError } from '@trc/core';
import { forbidden, notFound, requireApp, type Actor } from './actor.ts';
import type { Control } from './control.ts';

export interface NodeAdminInput {
  /** e.g. `http://10.0.0.5:7701`: where the control plane reaches the agent's admin endpoint. */
  readonly url: string;
  readonly token: string;
}

export interface InstanceLogsQuery {
  readonly tail: number;
  readonly stream: 'stdout' | 'stderr';
}

/** The agent serves at most 10 000 lines; the body read from it is cut here whatever it sends. */
export const MAX_LOG_BYTES = 1024 * 1024;
export const AGENT_TIMEOUT_MS = 5_000;

const endpoints = new WeakMap<Control, Map<string, NodeAdminInput>>();

function table(control: Control): Map<string, NodeAdminInput> {
  let t = endpoints.get(control);
  if (t === undefined) {
    t = new Map();
    endpoints.set(control, t);
  }
  return t;
}

/** The node itself registers where its admin endpoint is; the answer never echoes the token. */
export async function registerNodeAdmin(control: Control, actor: Actor, node: string, input: NodeAdminInput, now: Date): Promise<{ node: string; url: string; registeredAt: string }> {
  if (actor.kind !== 'node' || actor.node !== node) throw actor.kind === 'node' ? notFound(`node "${node}"`) : forbidden('register a node admin endpoint (only the node itself may)');
  if (!(await control.read()).nodes.has(node)) throw notFound(`node "${node}"`);
  let url: URL;
  try {
    url = new URL(input.url);
  } catch {
    url = new URL('invalid:');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw userError('TRC_INVALID_INPUT', `"${input.url.slice(0, 100)}" is not an http(s) URL of the agent's admin endpoint`, 'give e.g. http://10.0.0.5:7701 (no credentials, query or fragment)');
  }
  const base = url.toString().replace(/\/+$/, '');
  table(control).set(node, { url: base, token: input.token });
  return { node, url: base, registeredAt: now.toISOString() };
}

/** Reads the end of an instance's kept log from its node's agent: bounded in size and time, org-scoped. */
export async function readInstanceLogs(control: Control, actor: Actor, appName: string, instanceId: string, query: InstanceLogsQuery): Promise<string> {
  const state = await control.read();
  requireApp(state, actor, appName);
  const instance = state.instances.get(instanceId);
  if (instance === undefined || instance.app !== appName) throw notFound(`instance "${instanceId}" of app "${appName}"`);
  const unavailable = (why: string, cause?: unknown): TrcError => new TrcError('TRC_INSTANCE_LOGS_UNAVAILABLE', `the logs of instance ${instanceId} cannot be read now: ${why}`, {
    hint: `its node "${instance.node}" must be up with its agent running; \`platform instances list --app ${appName}\` shows its state. The operator can read them on the node with \`platform logs --agent\``,
    ...(cause === undefined ? {} : { cause }),
  });
  const endpoint = table(control).get(instance.node);
  if (endpoint === undefined) throw unavailable(`the agent of node "${instance.node}" has not registered its admin endpoint since the control plane started`);
  let res: Response;
  try {
    res = await fetch(`${endpoint.url}/logs/${instanceId}?tail=${query.tail}&stream=${query.stream}`, { headers: { authorization: `Bearer ${endpoint.token}` }, signal: AbortSignal.timeout(AGENT_TIMEOUT_MS), redirect: 'error' });
  } catch (error) {
    throw unavailable(`the agent of node "${instance.node}" did not answer within ${AGENT_TIMEOUT_MS / 1000} s`, error);
  }
  const text = await readBounded(res, MAX_LOG_BYTES).catch((error: unknown) => {
    throw unavailable(`the agent of node "${instance.node}" broke off its answer`, error);
  });
  if (res.status === 404) {
    // Placed but not (or no longer) on the node: nothing was ever logged there, so there is nothing to show.
    return '';
  }
  if (!res.ok) throw unavailable(`the agent of node "${instance.node}" answered ${res.status}${res.status === 401 ? ' (it was restarted with another admin token and has not re-registered yet)' : ''}`);
  return text;
}

/** The body as text, cut at `max` bytes (on a line boundary when there is one) rather than read without end. */
async function readBounded(res: Response, max: number): Promise<string> {
  if (res.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    chunks.push(chunk);
    size += chunk.byteLength;
    if (size >= max) {
      await res.body.cancel().catch(() => undefined);
      break;
    }
  }
  const all = Buffer.concat(chunks).subarray(0, max);
  const text = new TextDecoder().decode(all);
  if (size < max) return text;
  const cut = text.lastIndexOf('\n');
  return cut < 0 ? text : text.slice(0, cut + 1);
}
