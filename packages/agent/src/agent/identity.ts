// The node's identity in its state directory: name and node token (node.json, 0600), written once at join,
// so a restarted agent never joins twice. The token is a secret: it is never logged.
import { constants } from 'node:fs';
import { chmod, mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { TrcError } from '@trc/core';

export interface NodeIdentity {
  readonly name: string;
  readonly token: string;
  /** The control plane it joined. */
  readonly control: string;
}

export const IDENTITY_FILE = 'node.json';

export async function loadIdentity(stateDir: string): Promise<NodeIdentity | undefined> {
  const file = path.join(stateDir, IDENTITY_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const p = parsed as Partial<NodeIdentity> | undefined;
  if (typeof p?.name !== 'string' || typeof p.token !== 'string' || typeof p.control !== 'string') {
    throw new TrcError('TRC_AGENT_STATE_INVALID', `${file} is not a node identity ({ name, token, control })`, { hint: 'remove it to join again with a join token' });
  }
  return { name: p.name, token: p.token, control: p.control };
}

/** Written to a temporary file created 0600, fsynced, then renamed: never readable by others, never half written. */
export async function saveIdentity(stateDir: string, identity: NodeIdentity): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const file = path.join(stateDir, IDENTITY_FILE);
  const temp = `${file}.tmp`;
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    await handle.chmod(0o600);
    await handle.writeFile(JSON.stringify(identity));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
  await chmod(file, 0o600);
}
