// Builds a running agent from its configuration: identity (join once), image puller, runc driver, routed
// network, secrets stager, admin endpoint; adopts what a previous agent left, then follows the control plane.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import path from 'node:path';
import { userError } from '@trc/core';
import { ImagePuller, RegistryClient } from '../image/index.ts';
import { RoutedInstanceNetwork } from '../network/routed/routed-network.ts';
import { createRuncDriver, type RuncDriver } from '../runtime/runc/runc-driver.ts';
import { detectCgroupLayout } from '../cgroups/layout.ts';
import { SecretsStager } from '../secrets/secrets-stager.ts';
import { createAdminServer, listenAdmin } from '../logs/admin-server.ts';
import { Agent, type AdoptionSummary } from './agent.ts';
import { HttpControlPlane, type NodeCapacity } from './control-client.ts';
import { loadIdentity, saveIdentity } from './identity.ts';
import { InstanceStarter, type PhaseTimings } from './instance-starter.ts';
import { RecordStore } from './records.ts';

/**
 * Pre-made namespaces per node (`--netns-pool`). Off in the fifth round of PERFORMANCE.md (no measured gain
 * while the root and runc create were the longer legs); on since the sixth, where those legs shrank and the
 * namespace was the longest before runc: ~3 ms (~7 %) off a single start, bursts unchanged. Each entry is a
 * namespace and a veth pair (kernel memory only, no process).
 */
export const DEFAULT_NETNS_POOL = 4;

export interface AgentConfig {
  /** Needed at the first start; later the one in node.json is used unless given. */
  readonly control?: string;
  readonly joinToken?: string;
  readonly stateDir: string;
  readonly nodeName: string;
  readonly capacity: NodeCapacity;
  readonly subnet: string;
  readonly table: string;
  readonly netnsPrefix: string;
  readonly interfacePrefix: string;
  /** A tmpfs (or ramfs) directory. */
  readonly secretsDir: string;
  readonly cgroupParent: string;
  readonly runcRoot?: string;
  readonly adminListen: { readonly host: string; readonly port: number };
  readonly heartbeatMs?: number;
  readonly resyncMs?: number;
  /** false: no event stream, only the periodic resync (a degraded mode; also how its safety net is tested). */
  readonly eventStream?: boolean;
  readonly stopGraceMs?: number;
  /** Instance starts at once (default 8, see PERFORMANCE.md). */
  readonly maxConcurrentStarts?: number;
  /** Pre-made network namespaces kept ready (default 4, 0 disables; see ../network/README.md). */
  readonly netnsPool?: number;
  readonly pollMs?: number;
  readonly plainHttpRegistries?: readonly string[];
  readonly log?: (line: string) => void;
  readonly onHealthy?: (id: string, timings: PhaseTimings) => void;
}

export interface RunningAgent {
  readonly agent: Agent;
  readonly node: string;
  readonly adminUrl: string;
  readonly adminToken: string;
  readonly adoption: AdoptionSummary;
  readonly driver: RuncDriver;
  readonly network: RoutedInstanceNetwork;
  /** Stops the agent, its timers and endpoint; instances keep running. */
  close(): Promise<void>;
}

/** The admin token (admin.token, 0600), created at first start. */
async function adminToken(stateDir: string): Promise<string> {
  const file = path.join(stateDir, 'admin.token');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const token = `trc_admin_${randomBytes(32).toString('base64url')}`;
  const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  await handle.writeFile(`${token}\n`);
  await handle.close();
  return token;
}

export async function startAgent(config: AgentConfig): Promise<RunningAgent> {
  const log = config.log ?? (() => undefined);
  await mkdir(config.stateDir, { recursive: true, mode: 0o700 });
  let identity = await loadIdentity(config.stateDir);
  const controlUrl = config.control ?? identity?.control;
  if (controlUrl === undefined) throw userError('TRC_AGENT_CONFIG_INVALID', 'no control plane URL: this node never joined', 'give --control http://host:7700 and --join-token');
  if (identity !== undefined && identity.name !== config.nodeName) {
    throw userError('TRC_AGENT_CONFIG_INVALID', `the state directory belongs to node "${identity.name}", not "${config.nodeName}"`, 'give the same --node-name, or another --state-dir');
  }
  const control = new HttpControlPlane({ base: controlUrl, node: config.nodeName, ...(identity === undefined ? {} : { token: identity.token }) });
  if (identity === undefined) {
    if (config.joinToken === undefined) throw userError('TRC_AGENT_CONFIG_INVALID', 'this node has not joined yet and no join token was given', 'give --join-token (or --join-token-file) from `POST /v1/join-tokens`');
    const token = await new HttpControlPlane({ base: controlUrl, node: config.nodeName, token: config.joinToken }).register(config.nodeName, config.capacity);
    identity = { name: config.nodeName, token, control: controlUrl };
    await saveIdentity(config.stateDir, identity);
    control.setToken(token);
    log(`node ${config.nodeName} joined ${controlUrl}`);
  }

  const plain = new Set(config.plainHttpRegistries ?? []);
  const puller = new ImagePuller(new RegistryClient({ plainHttp: (host) => plain.has(host) || /^(127\.|localhost(:|$)|\[::1\])/.test(host) }), path.join(config.stateDir, 'images'));
  let agent: Agent | undefined;
  // Refilled only while the agent starts nothing (never before it has adopted what it found).
  const network = new RoutedInstanceNetwork({ poolSize: config.netnsPool ?? DEFAULT_NETNS_POOL, poolIdle: () => agent?.startsIdle ?? false, log });
  await network.setupNode({ subnet: config.subnet, table: config.table, netnsPrefix: config.netnsPrefix, interfacePrefix: config.interfacePrefix, stateDir: path.join(config.stateDir, 'network') });
  const layout = await detectCgroupLayout('/');
  const early: [string, Parameters<Agent['handleExit']>[1]][] = [];
  const driver = await createRuncDriver({
    stateDir: path.join(config.stateDir, 'runtime'),
    cgroupParent: config.cgroupParent,
    cgroupLayout: layout,
    ...(config.runcRoot === undefined ? {} : { runcRoot: config.runcRoot }),
    ...(config.pollMs === undefined ? {} : { pollMs: config.pollMs }),
    onExit: (id, exit) => (agent === undefined ? early.push([id, exit]) : agent.handleExit(id, exit)),
  });
  const stager = new SecretsStager({ root: config.secretsDir });
  const records = new RecordStore(path.join(config.stateDir, 'records'));
  control.setAddressOf((id) => {
    const r = records.get(id);
    return r?.address === undefined || r.port === undefined ? undefined : `${r.address}:${r.port}`;
  });
  const starter = new InstanceStarter({ control, puller, driver, network, stager, rootfsDir: path.join(config.stateDir, 'rootfs') });
  const capabilities = { runtimes: [driver.name], network: 'routed', cgroup: layout.mode, secrets: 'tmpfs' } as const;
  agent = new Agent({
    control, driver, network, starter, records, capacity: config.capacity, capabilities, log,
    ...(config.heartbeatMs === undefined ? {} : { heartbeatMs: config.heartbeatMs }),
    ...(config.resyncMs === undefined ? {} : { resyncMs: config.resyncMs }),
    ...(config.stopGraceMs === undefined ? {} : { stopGraceMs: config.stopGraceMs }),
    ...(config.maxConcurrentStarts === undefined ? {} : { maxConcurrentStarts: config.maxConcurrentStarts }),
    ...(config.eventStream === undefined ? {} : { eventStream: config.eventStream }),
    ...(config.onHealthy === undefined ? {} : { onHealthy: config.onHealthy }),
  });
  const adoption = await agent.adopt();
  for (const [id, exit] of early) agent.handleExit(id, exit);
  log(`adopted ${adoption.running.length} running instance(s), ${adoption.exited.length} exited, ${adoption.removed.length} removed`);

  const token = await adminToken(config.stateDir);
  const server: Server = createAdminServer({ driver, token, status: () => ({ node: config.nodeName, capacity: config.capacity, capabilities, addresses: records.all().map((r) => ({ id: r.id, app: r.app, processType: r.processType, address: r.address, port: r.port })) }) });
  const adminUrl = await listenAdmin(server, config.adminListen.host, config.adminListen.port);
  agent.setAdmin(adminUrl, token);
  await agent.run();
  const running = agent;
  return {
    agent: running, node: config.nodeName, adminUrl, adminToken: token, adoption, driver, network,
    async close() {
      await running.stop();
      await network.closePool();
      await starter.close().catch(() => undefined);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await driver.close();
      control.close();
    },
  };
}
