// Persists the node's address allocations in <stateDir>/ipam.json, replaced atomically (write, fsync,
// rename) so a crash leaves either the old or the new file, never half of one.
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { TrcError } from '@trc/core';
import { checkIpamState, emptyIpamState, type IpamState, type Subnet } from './ipam.ts';

export const IPAM_FILE = 'ipam.json';

/** The saved state, or an empty one when the directory has none yet. */
export async function loadIpamState(stateDir: string, subnet: Subnet): Promise<IpamState> {
  let text: string;
  try {
    text = await readFile(path.join(stateDir, IPAM_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyIpamState(subnet);
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new TrcError('TRC_NETWORK_STATE_INVALID', `the network state file ${path.join(stateDir, IPAM_FILE)} is not valid JSON`, { hint: "stop the node's instances, move the state file aside and restart the agent", cause });
  }
  return checkIpamState(subnet, value);
}

export async function saveIpamState(stateDir: string, state: IpamState): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const target = path.join(stateDir, IPAM_FILE);
  const temp = `${target}.tmp`;
  const file = await open(temp, 'w', 0o600);
  try {
    await file.writeFile(`${JSON.stringify(state, null, 2)}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, target);
}
