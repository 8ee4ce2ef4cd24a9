// The API route table: each handler only turns the validated request into one command call.
import { parseMemoryQuantity } from '@trc/core';
import * as orgs from '../commands/orgs.ts';
import * as apps from '../commands/apps.ts';
import * as envs from '../commands/envs.ts';
import * as secrets from '../commands/secrets.ts';
import * as nodes from '../commands/nodes.ts';
import { listEvents } from '../commands/events.ts';
import * as instances from '../commands/instances.ts';
import { nodeInstanceSpec } from '../commands/node-instance-spec.ts';
import { listCapabilities, reportCapabilities, type NodeCapabilities } from '../commands/node-capabilities.ts';
import { pullProgress, reportPullProgress, PULL_PHASES, type PullProgressInput } from '../commands/instance-progress.ts';
import { readInstanceLogs, registerNodeAdmin, type NodeAdminInput } from '../commands/instance-logs.ts';
import * as routes from '../commands/routes.ts';
import * as volumes from '../commands/volumes.ts';
import * as edges from '../commands/edges.ts';
import { requireApp, requireOperator } from '../commands/actor.ts';
import { invalid } from '../commands/validate.ts';
import { projectionDrift } from '../commands/verify.ts';
import { responses } from './responses.ts';
import { renderBundle } from './render.ts';
import type { RouteDef } from './route.ts';
import { bodies, ENV, INSTANCE_ID, IPV4, NAME, object, SEQ_TEXT, TOKEN_ID, type Schema } from './schemas.ts';

type Body<T> = T;
const ORG = { org: NAME };
const APP = { app: NAME };
const APP_ENV = { app: NAME, env: ENV };
const USERS = ['operator', 'org'] as const;
const ANYONE = ['operator', 'org', 'node'] as const;

function quantity(value: string, path: string): number {
  const parsed = parseMemoryQuantity(value);
  if (!parsed.ok) throw invalid([{ path, code: 'TRC_INVALID_INPUT', message: parsed.message, hint: parsed.hint }]);
  return parsed.bytes;
}

const created = (body: unknown) => ({ status: 201, body });
const noContent = { status: 204 };

export const ROUTES: readonly RouteDef[] = [
  // Orgs, tokens, quotas
  { method: 'POST', url: '/orgs', summary: 'Create an org (operator).', tokens: ['operator'], body: bodies.createOrg, example: { name: 'newco' }, handler: async (c) => created(await orgs.createOrg(c.control, c.actor, c.body as Body<{ name: string }>)) },
  { method: 'GET', url: '/orgs', summary: 'List the orgs the token may see.', tokens: USERS, handler: async (c) => ({ body: await orgs.listOrgs(c.control, c.actor) }) },
  { method: 'GET', url: '/orgs/:org', summary: 'Show an org and its quotas.', tokens: USERS, params: ORG, handler: async (c) => ({ body: await orgs.getOrg(c.control, c.actor, c.params.org!) }) },
  { method: 'POST', url: '/orgs/:org/tokens', summary: 'Create an org-scoped API token; the token is shown only in this response.', tokens: USERS, params: ORG, body: bodies.createToken, example: { name: 'ci' }, handler: async (c) => created(await orgs.createOrgToken(c.control, c.actor, c.params.org!, c.body as { name: string })) },
  { method: 'GET', url: '/orgs/:org/tokens', summary: "List an org's tokens (never the tokens themselves).", tokens: USERS, params: ORG, handler: async (c) => ({ body: await orgs.listOrgTokens(c.control, c.actor, c.params.org!) }) },
  { method: 'DELETE', url: '/orgs/:org/tokens/:token', summary: 'Revoke an org token.', tokens: USERS, params: { ...ORG, token: TOKEN_ID }, handler: async (c) => (await orgs.revokeOrgToken(c.control, c.actor, c.params.org!, c.params.token!), noContent) },
  {
    method: 'PUT', url: '/orgs/:org/quotas', summary: "Set an org's quotas (operator); null is unlimited.", tokens: ['operator'], params: ORG, body: bodies.quotas,
    example: { memory: '8Gi', instances: 20, publicRoutes: 5, ipv4Addresses: 1 },
    handler: async (c) => {
      const b = c.body as { memory: string | null; instances: number | null; publicRoutes: number | null; ipv4Addresses: number | null };
      const limits = { memoryBytes: b.memory === null ? null : quantity(b.memory, 'memory'), instances: b.instances, publicRoutes: b.publicRoutes, ipv4Addresses: b.ipv4Addresses };
      return { body: await orgs.setQuotas(c.control, c.actor, c.params.org!, limits) };
    },
  },
  { method: 'GET', url: '/orgs/:org/quotas', summary: "Show an org's quotas.", tokens: USERS, params: ORG, handler: async (c) => ({ body: (await orgs.getOrg(c.control, c.actor, c.params.org!)).quotas }) },

  // Apps, releases, deploys, scaling
  { method: 'POST', url: '/apps', summary: 'Create an app with its prod and staging environments.', tokens: USERS, body: bodies.createApp, example: { org: '{org}', name: 'newapp' }, handler: async (c) => created(await apps.createApp(c.control, c.actor, c.body as { org: string; name: string })) },
  { method: 'GET', url: '/apps', summary: 'List the apps the token may see.', tokens: USERS, response: responses.apps, handler: async (c) => ({ body: await apps.listApps(c.control, c.actor) }) },
  { method: 'GET', url: '/apps/:app', summary: 'Show an app and its environments.', tokens: USERS, params: APP, response: responses.app, handler: async (c) => ({ body: await apps.getApp(c.control, c.actor, c.params.app!) }) },
  { method: 'DELETE', url: '/apps/:app', summary: 'Delete an app.', tokens: USERS, params: APP, handler: async (c) => (await apps.deleteApp(c.control, c.actor, c.params.app!), noContent) },
  {
    method: 'POST', url: '/apps/:app/releases', summary: 'Create a release: an image pinned by digest, and its process types.', tokens: USERS, params: APP, body: bodies.createRelease, response: responses.release,
    example: { image: `registry.example/app@sha256:${'b'.repeat(64)}`, processes: { web: { cpu: 0.5, memory: '256Mi', count: 1 } } },
    handler: async (c) => created(await apps.createRelease(c.control, c.actor, c.params.app!, c.body as apps.ReleaseInput)),
  },
  { method: 'GET', url: '/apps/:app/releases', summary: "List an app's releases.", tokens: USERS, params: APP, response: responses.releases, handler: async (c) => ({ body: await apps.listReleases(c.control, c.actor, c.params.app!) }) },
  { method: 'GET', url: '/apps/:app/envs', summary: "List an app's environments, by name.", tokens: USERS, params: APP, response: responses.envs, handler: async (c) => ({ body: await envs.listEnvs(c.control, c.actor, c.params.app!) }) },
  { method: 'POST', url: '/apps/:app/envs', summary: 'Create an environment (a DNS-label name, unique in the app); it starts empty.', tokens: USERS, params: APP, body: bodies.createEnv, response: responses.env, example: { name: 'preview-42' }, handler: async (c) => created(await envs.createEnv(c.control, c.actor, c.params.app!, c.body as { name: string })) },
  { method: 'GET', url: '/apps/:app/envs/:env', summary: 'Show an environment: release, scale, secrets version, pending restarts, the rollout in progress.', tokens: USERS, params: APP_ENV, response: responses.env, handler: async (c) => ({ body: await envs.getEnv(c.control, c.actor, c.params.app!, c.params.env!) }) },
  { method: 'DELETE', url: '/apps/:app/envs/:env', summary: 'Delete an environment that has no running instance, route, volume or IPv4 address left (TRC_ENV_IN_USE names each).', tokens: USERS, params: APP_ENV, handler: async (c) => (await envs.deleteEnv(c.control, c.actor, c.params.app!, c.params.env!), noContent) },
  { method: 'POST', url: '/apps/:app/envs/:env/deploys', summary: 'Deploy a release to an environment: a rolling replacement the reconciler advances (DeployCompleted, or DeployFailed and a rollback).', tokens: USERS, params: APP_ENV, body: bodies.deploy, response: responses.deployStarted, example: { release: 1 }, handler: async (c) => created(await apps.deploy(c.control, c.actor, c.params.app!, c.params.env!, c.body as { release: number })) },
  {
    method: 'GET', url: '/apps/:app/envs/:env/deploys', summary: "An environment's deploys, oldest first, each with its status.", tokens: USERS, params: APP_ENV, response: responses.deploys,
    handler: async (c) => ({ body: apps.requireEnv(requireApp(await c.control.read(), c.actor, c.params.app!), c.params.env!).deploys }),
  },
  {
    method: 'PUT', url: '/apps/:app/envs/:env/processes/:process', summary: 'Scale a process type.', tokens: USERS, params: { ...APP_ENV, process: NAME }, body: bodies.scale, example: { count: 3 },
    handler: async (c) => ({ body: await apps.scale(c.control, c.actor, c.params.app!, c.params.env!, { processType: c.params.process!, count: (c.body as { count: number }).count }) }),
  },

  { method: 'GET', url: '/apps/:app/instances', summary: "List an app's instances: desired and actual state, node, digest, bundle version.", tokens: USERS, params: APP, response: responses.instances, handler: async (c) => ({ body: await instances.listAppInstances(c.control, c.actor, c.params.app!) }) },
  { method: 'GET', url: '/apps/:app/instances/:instance/progress', summary: "An instance's image pull as its node agent last reported it (phase, layers, bytes; kept in memory, null when none).", tokens: USERS, params: { ...APP, instance: INSTANCE_ID }, handler: async (c) => ({ body: await pullProgress(c.control, c.actor, c.params.app!, c.params.instance!) }) },
  {
    method: 'GET', url: '/apps/:app/instances/:instance/logs', summary: "The end of an instance's kept stdout or stderr, read from the agent of its node (bounded: at most 10000 lines, 1 MiB, 5 s).", tokens: USERS, params: { ...APP, instance: INSTANCE_ID },
    query: { tail: { type: 'string', pattern: '^[0-9]{1,5}$' }, stream: { type: 'string', enum: ['stdout', 'stderr'] } } satisfies Record<string, Schema>,
    handler: async (c) => {
      const tail = Number(c.query.tail ?? '100');
      if (tail > 10_000) throw invalid([{ path: 'tail', code: 'TRC_INVALID_INPUT', message: 'tail must be at most 10000 lines', hint: 'ask for fewer lines' }]);
      const text = await readInstanceLogs(c.control, c.actor, c.params.app!, c.params.instance!, { tail, stream: c.query.stream === 'stderr' ? 'stderr' : 'stdout' });
      return { text: { contentType: 'text/plain; charset=utf-8', content: text } };
    },
  },

  // Routes and IPv4 addresses
  { method: 'GET', url: '/apps/:app/routes', summary: "List an app's public TCP routes.", tokens: USERS, params: APP, handler: async (c) => ({ body: await routes.listRoutes(c.control, c.actor, c.params.app!) }) },
  {
    method: 'PUT', url: '/apps/:app/envs/:env/routes/:route', summary: 'Create a public TCP route (fields as in platform.toml; PROXY v2 must be acknowledged).', tokens: USERS, params: { ...APP_ENV, route: NAME }, body: bodies.route,
    example: { process: 'web', port: 8443 },
    handler: async (c) => created(await routes.createRoute(c.control, c.actor, c.params.app!, c.params.env!, c.params.route!, c.body as routes.RouteInput)),
  },
  { method: 'DELETE', url: '/apps/:app/envs/:env/routes/:route', summary: 'Delete a route.', tokens: USERS, params: { ...APP_ENV, route: NAME }, handler: async (c) => (await routes.deleteRoute(c.control, c.actor, c.params.app!, c.params.env!, c.params.route!), noContent) },
  { method: 'POST', url: '/apps/:app/envs/:env/ipv4', summary: "Allocate a dedicated IPv4 address from the operator's pool (paid add-on).", tokens: USERS, params: APP_ENV, handler: async (c) => created(await routes.allocateIpv4(c.control, c.actor, c.params.app!, c.params.env!)) },
  { method: 'GET', url: '/apps/:app/ipv4', summary: "List an app's IPv4 addresses.", tokens: USERS, params: APP, handler: async (c) => ({ body: await routes.listIpv4(c.control, c.actor, c.params.app!) }) },
  { method: 'DELETE', url: '/apps/:app/ipv4/:address', summary: 'Release an IPv4 address (no route may still use it).', tokens: USERS, params: { ...APP, address: IPV4 }, handler: async (c) => (await routes.releaseIpv4(c.control, c.actor, c.params.app!, c.params.address!), noContent) },

  // Volumes and backups
  {
    method: 'POST', url: '/apps/:app/envs/:env/volumes', summary: 'Create a local volume for one instance of a process type; the scheduler picks its node.', tokens: USERS, params: APP_ENV, body: bodies.volume,
    example: { name: 'data2', processType: 'db', size: '1Gi' },
    handler: async (c) => created(await volumes.createVolume(c.control, c.actor, c.params.app!, c.params.env!, c.body as { name: string; processType: string; size: string; backupEnabled?: boolean })),
  },
  { method: 'GET', url: '/apps/:app/volumes', summary: "List an app's volumes and their nodes.", tokens: USERS, params: APP, handler: async (c) => ({ body: await volumes.listVolumes(c.control, c.actor, c.params.app!) }) },
  { method: 'DELETE', url: '/apps/:app/envs/:env/volumes/:volume', summary: 'Delete a volume no running instance mounts.', tokens: USERS, params: { ...APP_ENV, volume: NAME }, handler: async (c) => (await volumes.deleteVolume(c.control, c.actor, c.params.app!, c.params.env!, c.params.volume!), noContent) },
  { method: 'GET', url: '/apps/:app/envs/:env/backups', summary: "The backup policy as it applies to an environment's volumes.", tokens: USERS, params: APP_ENV, handler: async (c) => ({ body: await volumes.envBackups(c.control, c.actor, c.params.app!, c.params.env!) }) },

  // Secrets
  { method: 'GET', url: '/apps/:app/envs/:env/secrets', summary: 'List secret names and the bundle version (never values).', tokens: USERS, params: APP_ENV, handler: async (c) => ({ body: await secrets.listSecrets(c.control, c.actor, c.params.app!, c.params.env!) }) },
  { method: 'PUT', url: '/apps/:app/envs/:env/secrets', summary: 'Set secrets (merged into the bundle); running process types restart.', tokens: USERS, params: APP_ENV, body: bodies.setSecrets, example: { values: { API_KEY: 'example' } }, handler: async (c) => ({ body: await secrets.setSecrets(c.control, c.actor, c.params.app!, c.params.env!, c.body as { values: Record<string, string> }) }) },
  { method: 'POST', url: '/apps/:app/envs/:env/secrets/unset', summary: 'Remove secrets; running process types restart.', tokens: USERS, params: APP_ENV, body: bodies.unsetSecrets, example: { keys: ['API_KEY'] }, handler: async (c) => ({ body: await secrets.unsetSecrets(c.control, c.actor, c.params.app!, c.params.env!, c.body as { keys: string[] }) }) },
  {
    method: 'GET', url: '/apps/:app/envs/:env/secrets/render', summary: 'The bundle in exactly the TRC_SECRETS_V1 format.', tokens: USERS, params: APP_ENV,
    handler: async (c) => ({ text: { contentType: 'text/plain; charset=utf-8', content: renderBundle((await secrets.readSecretValues(c.control, c.actor, c.params.app!, c.params.env!)).values) } }),
  },

  // Nodes and cluster
  { method: 'POST', url: '/join-tokens', summary: 'Create a node join token (operator); shown only in this response.', tokens: ['operator'], body: bodies.createToken, example: { name: 'rack-1' }, handler: async (c) => created(await orgs.createJoinToken(c.control, c.actor, c.body as { name: string })) },
  { method: 'GET', url: '/join-tokens', summary: 'List node join tokens (operator; never the tokens themselves).', tokens: ['operator'], handler: async (c) => ({ body: await orgs.listJoinTokens(c.control, c.actor) }) },
  { method: 'DELETE', url: '/join-tokens/:token', summary: 'Revoke a node join token (operator).', tokens: ['operator'], params: { token: TOKEN_ID }, handler: async (c) => (await orgs.revokeJoinToken(c.control, c.actor, c.params.token!), noContent) },
  {
    method: 'POST', url: '/nodes', summary: 'Register a node (join token); returns the node token, shown once.', tokens: ['join', 'operator'], body: bodies.registerNode,
    example: { name: 'node-new', cores: 8, memoryBytes: 32 * 2 ** 30, reservedMemoryBytes: 2 ** 30 },
    handler: async (c) => created(await nodes.registerNode(c.control, c.actor, c.body as { name: string } & nodes.NodeCapacity)),
  },
  { method: 'GET', url: '/nodes', summary: 'List nodes (operator).', tokens: ['operator'], handler: async (c) => ({ body: await nodes.listNodes(c.control, c.actor) }) },
  {
    method: 'POST', url: '/nodes/:node/heartbeat', summary: "A node's heartbeat with its current capacity (node token).", tokens: ['node'], params: { node: NAME }, body: bodies.heartbeat,
    example: { cores: 8, memoryBytes: 32 * 2 ** 30, reservedMemoryBytes: 2 ** 30 },
    handler: async (c) => ({ body: await nodes.heartbeat(c.control, c.actor, c.params.node!, c.body as nodes.NodeCapacity, c.now, c.heartbeats) }),
  },
  { method: 'GET', url: '/nodes/:node/assignments', summary: 'The instances placed on a node, with their desired state (the node agent watches this).', tokens: ['node', 'operator'], params: { node: NAME }, handler: async (c) => ({ body: await instances.nodeAssignments(c.control, c.actor, c.params.node!) }) },
  {
    method: 'POST', url: '/nodes/:node/instances/:instance/state', summary: 'The node agent reports what it observes of an instance (healthy = passed its health check).', tokens: ['node'],
    params: { node: NAME, instance: INSTANCE_ID }, body: bodies.instanceState, example: { state: 'healthy' },
    handler: async (c) => ({ body: await instances.reportInstanceState(c.control, c.actor, c.params.node!, c.params.instance!, c.body as { state: 'healthy'; detail?: string; address?: string }) }),
  },
  { method: 'PUT', url: '/ipv4-pool', summary: 'Set the IPv4 address pool (operator).', tokens: ['operator'], body: bodies.ipv4Pool, example: { addresses: ['203.0.113.10'] }, handler: async (c) => ({ body: await routes.setIpv4Pool(c.control, c.actor, c.body as { addresses: string[] }) }) },
  { method: 'GET', url: '/ipv4-pool', summary: 'The IPv4 address pool and its allocations (operator).', tokens: ['operator'], handler: async (c) => (requireOperator(c.actor, 'read the IPv4 pool'), { body: { addresses: (await c.control.read()).ipv4Pool, allocated: [...(await c.control.read()).ipv4.values()] } }) },
  {
    method: 'PUT', url: '/backup-policy', summary: 'Set the cluster-level backup policy (operator; ADR 0011).', tokens: ['operator'], body: bodies.backupPolicy,
    example: { enabled: true, intervalHours: 24, retention: 14, disabledEnvs: [] },
    handler: async (c) => ({ body: await volumes.setBackupPolicy(c.control, c.actor, c.body as volumes.BackupPolicyInput) }),
  },
  {
    method: 'POST', url: '/nodes/:node/instances/:instance/oom', summary: 'The node agent reports that an instance was killed at its memory cap.', tokens: ['node'], params: { node: NAME, instance: INSTANCE_ID },
    handler: async (c) => ({ body: await instances.reportOomKill(c.control, c.actor, c.params.node!, c.params.instance!) }),
  },
  {
    method: 'GET', url: '/nodes/:node/instances/:instance/secrets', summary: 'The TRC_SECRETS_V1 file an instance boots with (its own bundle version; node token of its node).', tokens: ['node'], params: { node: NAME, instance: INSTANCE_ID },
    handler: async (c) => ({ text: { contentType: 'text/plain; charset=utf-8', content: renderBundle(await instances.instanceSecrets(c.control, c.actor, c.params.node!, c.params.instance!)) } }),
  },
  { method: 'GET', url: '/nodes/:node/instances/:instance/spec', summary: "What the node agent needs to run an instance: image, resources and the release's platform.toml (node token of its node).", tokens: ['node'], params: { node: NAME, instance: INSTANCE_ID }, handler: async (c) => ({ body: await nodeInstanceSpec(c.control, c.actor, c.params.node!, c.params.instance!) }) },
  { method: 'PUT', url: '/nodes/:node/capabilities', summary: "The node agent reports its runtime capabilities (kept in memory, re-reported by the agent).", tokens: ['node'], params: { node: NAME }, body: object({ runtimes: { type: 'array', minItems: 1, maxItems: 8, items: NAME }, network: NAME, cgroup: { type: 'string', enum: ['v1', 'v2'] }, secrets: NAME }), example: { runtimes: ['runc'], network: 'routed', cgroup: 'v2', secrets: 'tmpfs' }, handler: async (c) => ({ body: await reportCapabilities(c.control, c.actor, c.params.node!, c.body as NodeCapabilities, c.now) }) },
  {
    method: 'PUT', url: '/nodes/:node/instances/:instance/progress', summary: "The node agent reports an instance's image pull progress (throttled; kept in memory, never in the log).", tokens: ['node'], params: { node: NAME, instance: INSTANCE_ID },
    body: object({ phase: { type: 'string', enum: [...PULL_PHASES] }, image: { type: 'string', minLength: 1, maxLength: 512 }, layers: { type: 'integer', minimum: 0, maximum: 10_000 }, layersDone: { type: 'integer', minimum: 0, maximum: 10_000 }, bytesDone: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, bytesTotal: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, cached: { type: 'boolean' }, durationMs: { type: 'integer', minimum: 0, maximum: 86_400_000 } }, ['phase', 'image', 'layers', 'layersDone', 'bytesDone', 'bytesTotal', 'cached']),
    example: { phase: 'downloading', image: `registry.example/app@sha256:${'b'.repeat(64)}`, layers: 5, layersDone: 3, bytesDone: 12_000_000, bytesTotal: 20_000_000, cached: false },
    handler: async (c) => ({ body: await reportPullProgress(c.control, c.actor, c.params.node!, c.params.instance!, c.body as PullProgressInput, c.now) }),
  },
  {
    method: 'PUT', url: '/nodes/:node/admin', summary: "The node agent registers its admin endpoint (URL and token) so the control plane can read instance logs; the token stays in memory and is never returned.", tokens: ['node'], params: { node: NAME },
    body: object({ url: { type: 'string', minLength: 1, maxLength: 300 }, token: { type: 'string', minLength: 16, maxLength: 200 } }), example: { url: 'http://127.0.0.1:7701', token: 'trc_admin_example_example_example' },
    handler: async (c) => ({ body: await registerNodeAdmin(c.control, c.actor, c.params.node!, c.body as NodeAdminInput, c.now) }),
  },
  { method: 'GET', url: '/node-capabilities', summary: "Every node's last reported runtime capabilities (operator).", tokens: ['operator'], handler: async (c) => ({ body: await listCapabilities(c.control, c.actor) }) },
  { method: 'GET', url: '/settings', summary: 'Cluster settings: cpu_overcommit and the memory safety buffer (operator).', tokens: ['operator'], handler: async (c) => (requireOperator(c.actor, 'read cluster settings'), { body: (await c.control.read()).settings }) },
  {
    method: 'PUT', url: '/settings', summary: 'Change cluster settings (operator).', tokens: ['operator'], body: bodies.settings, example: { cpuOvercommit: 4, memorySafetyBuffer: '256Mi' },
    handler: async (c) => {
      return { body: await orgs.setClusterSettings(c.control, c.actor, c.body as { cpuOvercommit: number; memorySafetyBuffer: string }) };
    },
  },
  {
    method: 'POST', url: '/admin/verify', summary: 'Replay the log and check that the projections match (operator); drift answers TRC_PROJECTION_DRIFT with one problem per projection/key.', tokens: ['operator'], response: responses.verified,
    handler: async (c) => {
      requireOperator(c.actor, 'verify the log');
      const result = await c.control.verify();
      if (!result.ok) throw projectionDrift(result);
      return { body: result };
    },
  },

  // Events
  {
    method: 'GET', url: '/events', summary: 'List events the token may see, oldest first; `follow=1` streams them as NDJSON; `edge=1` (node token) adds every routing event, type and seq only.', tokens: ANYONE,
    query: { after: SEQ_TEXT, limit: SEQ_TEXT, type: { type: 'string', maxLength: 1000 }, app: NAME, follow: { type: 'string', enum: ['0', '1'] }, edge: { type: 'string', enum: ['0', '1'] } } satisfies Record<string, Schema>,
    handler: async (c) => ({ body: await listEvents(c.control, c.actor, eventFilter(c.query)) }),
  },

  // Edge proxies (a node's edge uses the node token)
  {
    method: 'GET', url: '/edge/routes', summary: 'The whole routing table for an edge proxy: listen address and port, PROXY setting, health check, running and healthy backends, and the event types to reload on.', tokens: ['node', 'operator'],
    query: { publicAddress: { type: 'string', maxLength: 45 } } satisfies Record<string, Schema>,
    handler: async (c) => ({ body: await edges.edgeTable(c.control, c.actor, c.query.publicAddress) }),
  },
  {
    method: 'POST', url: '/edge/health', summary: 'An edge proxy reports a backend health transition (a PROXY mismatch says so); recorded as an event.', tokens: ['node', 'operator'], body: bodies.backendHealth,
    example: { route: 'app/prod/db', address: '10.0.0.2:5432', healthy: false, reason: 'connection refused', proxyMismatch: false },
    handler: async (c) => ({ body: await edges.reportBackendHealth(c.control, c.actor, c.body as edges.BackendHealthReport) }),
  },
  {
    method: 'GET', url: '/apps/:app/routes/:route/status', summary: "A route's backends as the edges see them: healthy or not, and why (PROXY mismatches included).", tokens: USERS, params: { ...APP, route: NAME },
    query: { env: ENV } satisfies Record<string, Schema>,
    handler: async (c) => ({ body: await edges.routeStatus(c.control, c.actor, c.params.app!, c.params.route!, c.query.env as string | undefined) }),
  },
];

export function eventFilter(query: Readonly<Record<string, string | undefined>>): { afterSeq?: number; limit?: number; types?: string[]; app?: string; edge?: boolean } {
  return {
    ...(query.edge === '1' ? { edge: true } : {}),
    ...(query.after === undefined ? {} : { afterSeq: Number(query.after) }),
    ...(query.limit === undefined ? {} : { limit: Number(query.limit) }),
    ...(query.type === undefined ? {} : { types: query.type.split(',').filter((t) => t !== '') }),
    ...(query.app === undefined ? {} : { app: query.app }),
  };
}
