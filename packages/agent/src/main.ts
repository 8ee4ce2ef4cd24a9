// `platform-agent`: the node agent program. Joins the control plane once (node token kept 0600 in the
// state directory), then runs the instances assigned to this node; a restart re-adopts them.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import process from 'node:process';
import { fatalReport, isValidName, parseMemoryQuantity, userError } from '@trc/core';
import { DEFAULT_NETNS_POOL, startAgent } from './agent/assemble.ts';

export const USAGE = `usage: platform-agent --control URL [--join-token TOKEN | --join-token-file FILE] [options]

  --control URL            the control plane, e.g. http://10.0.0.1:7700 (remembered in the state dir after joining)
  --join-token TOKEN       a node join token (POST /v1/join-tokens); needed only at the first start
  --join-token-file FILE   read the join token from FILE instead ($TRC_JOIN_TOKEN also works)
  --state-dir DIR          node identity + token (0600), images, rootfs, runtime state (default /var/lib/trc/agent)
  --node-name NAME         this node's name (default: the host name)
  --subnet CIDR            IPv4 subnet of this node's instances (default 10.88.0.0/16)
  --reserved-memory SIZE   host memory kept back from instances, e.g. 1Gi (default 1Gi)
  --secrets-dir DIR        a tmpfs for instance secrets files (default /run/trc/secrets)
  --admin-listen HOST:PORT the logs/status endpoint (default 127.0.0.1:7701; token in DIR/admin.token)
  --cgroup-parent PATH     parent cgroup of the instances (default /trc)
  --runc-root DIR          runc's state (default /run/trc/runc)
  --network-table NAME     nftables table (default trc_<node>); --netns-prefix (default trc-), --interface-prefix (default trcv)
  --heartbeat SECONDS      heartbeat interval (default 5); --resync SECONDS: full resync interval (default 30)
  --stop-grace SECONDS     SIGTERM to SIGKILL when stopping an instance (default 10)
  --max-concurrent-starts N  instance starts run at once on this node (default 8)
  --netns-pool N           pre-made network namespaces kept ready for starts (default 4; 0: none)
  --insecure-registry HOST a registry reached over plain HTTP (repeatable; loopback always is)`;

function bad(message: string, hint: string): never {
  throw userError('TRC_AGENT_CONFIG_INVALID', message, hint);
}

function seconds(text: string | undefined, fallback: number, flag: string): number {
  const value = Number(text ?? fallback);
  if (!(value > 0)) bad(`${flag} must be a positive number of seconds`, `e.g. ${flag} ${fallback}`);
  return value * 1000;
}

function positiveInteger(text: string | undefined, fallback: number, flag: string): number {
  const value = Number(text ?? fallback);
  if (!Number.isSafeInteger(value) || value < 1) bad(`${flag} must be a whole number of at least 1`, `e.g. ${flag} ${fallback}`);
  return value;
}

function hostPort(text: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:]+):(\d{1,5})$/.exec(text);
  if (m === null || Number(m[2]) > 65535) bad(`--admin-listen ${text} is not HOST:PORT`, 'e.g. --admin-listen 127.0.0.1:7701');
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

async function main(argv: string[]): Promise<void> {
  const s = { type: 'string' } as const;
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      control: s, 'join-token': s, 'join-token-file': s, 'state-dir': s, 'node-name': s, subnet: s, 'reserved-memory': s, 'secrets-dir': s, 'admin-listen': s,
      'cgroup-parent': s, 'runc-root': s, 'network-table': s, 'netns-prefix': s, 'interface-prefix': s, heartbeat: s, resync: s, 'stop-grace': s, 'max-concurrent-starts': s, 'netns-pool': s,
      'insecure-registry': { type: 'string', multiple: true }, help: { type: 'boolean' },
    },
  });
  if (v.help === true) {
    console.log(USAGE);
    return;
  }
  const nodeName = v['node-name'] ?? os.hostname().split('.')[0]!.toLowerCase();
  if (!isValidName(nodeName)) bad(`node name "${nodeName.slice(0, 64)}" is not a valid name`, 'give --node-name with lower-case letters, digits and dashes');
  const reserved = parseMemoryQuantity(v['reserved-memory'] ?? '1Gi');
  if (!reserved.ok) bad(`--reserved-memory: ${reserved.message}`, reserved.hint);
  const joinToken = v['join-token'] ?? (v['join-token-file'] === undefined ? process.env.TRC_JOIN_TOKEN : readFileSync(v['join-token-file'], 'utf8').trim());
  const memoryBytes = os.totalmem();
  if (reserved.bytes >= memoryBytes) bad(`--reserved-memory is not less than the host's memory (${memoryBytes} bytes)`, 'reserve less');
  const maxConcurrentStarts = positiveInteger(v['max-concurrent-starts'], 8, '--max-concurrent-starts');
  const netnsPool = Number(v['netns-pool'] ?? DEFAULT_NETNS_POOL);
  if (!Number.isSafeInteger(netnsPool) || netnsPool < 0 || netnsPool > 64) bad('--netns-pool must be a whole number from 0 to 64', 'e.g. --netns-pool 4, or 0 to disable the pool');
  const log = (line: string): void => console.error(`platform-agent: ${line}`);
  const running = await startAgent({
    ...(v.control === undefined ? {} : { control: v.control }),
    ...(joinToken === undefined ? {} : { joinToken }),
    stateDir: v['state-dir'] ?? '/var/lib/trc/agent',
    nodeName,
    capacity: { cores: os.availableParallelism(), memoryBytes, reservedMemoryBytes: reserved.bytes },
    subnet: v.subnet ?? '10.88.0.0/16',
    table: v['network-table'] ?? `trc_${nodeName.replace(/-/g, '_')}`,
    netnsPrefix: v['netns-prefix'] ?? 'trc-',
    interfacePrefix: v['interface-prefix'] ?? 'trcv',
    secretsDir: v['secrets-dir'] ?? '/run/trc/secrets',
    cgroupParent: v['cgroup-parent'] ?? '/trc',
    runcRoot: v['runc-root'] ?? '/run/trc/runc',
    adminListen: hostPort(v['admin-listen'] ?? '127.0.0.1:7701'),
    heartbeatMs: seconds(v.heartbeat, 5, '--heartbeat'),
    resyncMs: seconds(v.resync, 30, '--resync'),
    stopGraceMs: seconds(v['stop-grace'], 10, '--stop-grace'),
    maxConcurrentStarts,
    netnsPool,
    plainHttpRegistries: v['insecure-registry'] ?? [],
    log,
  });
  log(`node ${running.node} running; admin on ${running.adminUrl}`);
  const stop = (): void => {
    void running.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const { exitCode, report } = fatalReport(error, USAGE);
  console.error(report);
  process.exit(exitCode);
});
