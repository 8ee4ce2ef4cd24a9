// Resolves an image's `User` (uid, uid:gid, name, name:group) to numeric ids, using the image's own
// /etc/passwd and /etc/group, as container runtimes do.
import { lstat, readFile } from 'node:fs/promises';
import path from 'node:path';
import { TrcError } from '@trc/core';

export interface ResolvedUser {
  readonly uid: number;
  readonly gid: number;
  /** Groups that list the user as a member in /etc/group. */
  readonly additionalGids: readonly number[];
}

interface PasswdEntry { name: string; uid: number; gid: number }
interface GroupEntry { name: string; gid: number; members: string[] }

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || line.startsWith('#')) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (Number.isInteger(uid) && Number.isInteger(gid) && f[0] !== '') out.push({ name: f[0]!, uid, gid });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || line.startsWith('#')) continue;
    const gid = Number(f[2]);
    if (Number.isInteger(gid) && f[0] !== '') out.push({ name: f[0]!, gid, members: (f[3] ?? '').split(',').filter((m) => m !== '') });
  }
  return out;
}

const NUMERIC = /^\d+$/;

/** Pure resolution against the text of /etc/passwd and /etc/group ('' when the image has none). */
export function resolveUser(user: string | undefined, passwdText: string, groupText: string): ResolvedUser {
  const spec = (user ?? '').trim();
  if (spec === '') return { uid: 0, gid: 0, additionalGids: [] };
  const [userPart = '', groupPart] = spec.split(':', 2);
  const passwd = parsePasswd(passwdText);
  const groups = parseGroup(groupText);
  let uid: number;
  let gid: number;
  let name: string | undefined;
  if (NUMERIC.test(userPart)) {
    uid = Number(userPart);
    const entry = passwd.find((p) => p.uid === uid);
    gid = entry?.gid ?? 0;
    name = entry?.name;
  } else {
    const entry = passwd.find((p) => p.name === userPart);
    if (entry === undefined) {
      throw new TrcError('TRC_RUNTIME_USER_UNKNOWN', `the image's user "${userPart}" is not in its /etc/passwd`, { hint: 'use a numeric uid:gid, or add the user to the image' });
    }
    uid = entry.uid;
    gid = entry.gid;
    name = entry.name;
  }
  if (groupPart !== undefined && groupPart !== '') {
    if (NUMERIC.test(groupPart)) {
      gid = Number(groupPart);
    } else {
      const g = groups.find((x) => x.name === groupPart);
      if (g === undefined) {
        throw new TrcError('TRC_RUNTIME_USER_UNKNOWN', `the image's group "${groupPart}" is not in its /etc/group`, { hint: 'use a numeric uid:gid, or add the group to the image' });
      }
      gid = g.gid;
    }
  }
  const additionalGids = name === undefined || groupPart !== undefined ? [] : [...new Set(groups.filter((g) => g.members.includes(name) && g.gid !== gid).map((g) => g.gid))];
  return { uid, gid, additionalGids };
}

/**
 * Reads <rootfs>/etc/passwd and /etc/group. A symbolic link (of the files or of /etc) is treated as absent:
 * followed from the host it could point outside the image.
 */
export async function readImageUserFiles(rootfs: string): Promise<{ passwd: string; group: string }> {
  try {
    if (!(await lstat(path.join(rootfs, 'etc'))).isDirectory()) return { passwd: '', group: '' };
  } catch {
    return { passwd: '', group: '' };
  }
  const read = async (rel: string): Promise<string> => {
    const file = path.join(rootfs, rel);
    try {
      const st = await lstat(file);
      if (!st.isFile()) return '';
      return await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return '';
      throw error;
    }
  };
  return { passwd: await read('etc/passwd'), group: await read('etc/group') };
}

/** An image without `User` runs as root, whatever its /etc/passwd says. */
const ROOT_USER: ResolvedUser = { uid: 0, gid: 0, additionalGids: [] };
/** Image trees whose user files are kept (a few images per node are usual). */
const USER_FILES_CACHED = 32;

/**
 * Resolves instances' users. A shared image tree (`userFiles`) never changes, so its /etc/passwd and
 * /etc/group are read once per tree (the oldest tree goes first past the bound); an instance's own root is
 * read every time; an image without `User` needs neither.
 */
export class ImageUsers {
  readonly #files = new Map<string, Promise<{ passwd: string; group: string }>>();

  async resolve(spec: { readonly rootfs: string; readonly userFiles?: string; readonly image: { readonly user?: string } }): Promise<ResolvedUser> {
    if ((spec.image.user ?? '').trim() === '') return ROOT_USER;
    const tree = spec.userFiles;
    if (tree === undefined) {
      const files = await readImageUserFiles(spec.rootfs);
      return resolveUser(spec.image.user, files.passwd, files.group);
    }
    let files = this.#files.get(tree);
    if (files === undefined) {
      files = readImageUserFiles(tree);
      files.catch(() => this.#files.delete(tree));
      if (this.#files.size >= USER_FILES_CACHED) this.#files.delete(this.#files.keys().next().value!);
      this.#files.set(tree, files);
    }
    const { passwd, group } = await files;
    return resolveUser(spec.image.user, passwd, group);
  }
}
