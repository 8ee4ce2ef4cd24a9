// `make run`'s options: where its state lives, its ports and the host names its node uses. Defaults suit a
// developer's machine; the test passes its own so it never touches the checkout's .data/ or the defaults.
import { userError } from '@trc/core';
import { parseArgs } from 'node:util';
import path from 'node:path';

export interface RunOptions {
  /** Everything `make run` keeps: control plane log, registry storage, agent state, CLI config, logs. */
  readonly dataDir: string;
  /** Node name, and the stem of the nft table, netns and interface prefixes, cgroup and runc root. */
  readonly name: string;
  readonly controlPort: number;
  readonly agentAdminPort: number;
  readonly edgeAdminPort: number;
  readonly registryPort: number;
  /** The public port of the example's route on 127.0.0.1. */
  readonly routePort: number;
  /** IPv4 subnet of the node's instances. */
  readonly subnet: string;
  /** The non-sensitive secret the example shows. */
  readonly greeting: string;
}

export const USAGE = `usage: scripts/run.ts [--data-dir DIR] [--name NAME] [--control-port N] [--agent-admin-port N]
                     [--edge-admin-port N] [--registry-port N] [--route-port N] [--subnet CIDR] [--greeting TEXT]

  --data-dir DIR   state of the local platform (default: $TRC_RUN_DATA_DIR or .data/run in the checkout)
  --name NAME      node name and stem of the host names (nft table trc_NAME, netns trcNAME-; default: local)
  ports on 127.0.0.1 (defaults): control 7700, agent admin 7701, edge admin 7702, registry 7703, route 8080
  --subnet CIDR    the instances' subnet (default 10.89.0.0/24)
  --greeting TEXT  the example's GREETING secret, set at the first run (default: world)`;

/** Short, so that `t<name>v` stays within the kernel's 15-byte interface names with the agent's suffix. */
const NAME = /^[a-z][a-z0-9]{0,5}$/;

function bad(message: string): never {
  throw userError('TRC_RUN_USAGE', message, USAGE);
}

function port(text: string | undefined, fallback: number, flag: string): number {
  const value = Number(text ?? fallback);
  if (!Number.isInteger(value) || value < 1 || value > 65535) bad(`${flag} must be a port from 1 to 65535`);
  return value;
}

export function parseRunOptions(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, repoRoot: string): RunOptions {
  const s = { type: 'string' } as const;
  let v;
  try {
    v = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        'data-dir': s, name: s, 'control-port': s, 'agent-admin-port': s, 'edge-admin-port': s, 'registry-port': s, 'route-port': s, subnet: s, greeting: s,
      },
    }).values;
  } catch (e) {
    bad((e as Error).message);
  }
  const name = v.name ?? env.TRC_RUN_NAME ?? 'local';
  if (!NAME.test(name)) bad(`--name ${JSON.stringify(name)} must be 1 to 6 lower-case letters or digits, starting with a letter`);
  const subnet = v.subnet ?? '10.89.0.0/24';
  if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(subnet)) bad(`--subnet ${subnet} is not an IPv4 CIDR`);
  const greeting = v.greeting ?? 'world';
  if (!/^[\x20-\x7e]{1,64}$/.test(greeting)) bad('--greeting must be 1 to 64 printable ASCII characters');
  return {
    dataDir: path.resolve(v['data-dir'] ?? env.TRC_RUN_DATA_DIR ?? path.join(repoRoot, '.data', 'run')),
    name,
    controlPort: port(v['control-port'], 7700, '--control-port'),
    agentAdminPort: port(v['agent-admin-port'], 7701, '--agent-admin-port'),
    edgeAdminPort: port(v['edge-admin-port'], 7702, '--edge-admin-port'),
    registryPort: port(v['registry-port'], 7703, '--registry-port'),
    routePort: port(v['route-port'], 8080, '--route-port'),
    subnet,
    greeting,
  };
}

/** The host names the node's agent uses; the same derivation finds them again at clean-up. */
export interface HostNames {
  readonly table: string;
  readonly netnsPrefix: string;
  readonly interfacePrefix: string;
  readonly cgroupParent: string;
  /** runc's state and the secrets tmpfs: under /run, gone at reboot like the instances themselves. */
  readonly runDir: string;
  readonly runcRoot: string;
  readonly secretsDir: string;
}

export function hostNames(name: string): HostNames {
  const runDir = `/run/trc-run-${name}`;
  return {
    table: `trc_${name}`,
    netnsPrefix: `trc${name}-`,
    interfacePrefix: `t${name}v`,
    cgroupParent: `/trc-run-${name}`,
    runDir,
    runcRoot: `${runDir}/runc`,
    secretsDir: `${runDir}/secrets`,
  };
}
