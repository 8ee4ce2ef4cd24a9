// Test support: a tiny image root built from the host's static busybox, so runtime tests need no registry.
import { copyFile, mkdir, mkdtemp, symlink, writeFile, chmod } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const BUSYBOX = '/bin/busybox';

/** The users and groups the rootfs defines: root, and `app` (1000:1000) who is also in `extra` (2000). */
export const ROOTFS_PASSWD = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n';
export const ROOTFS_GROUP = 'root:x:0:\napp:x:1000:\nextra:x:2000:app\n';

/** Builds a rootfs under `parent` (a new temp dir by default) and returns its path. */
export async function makeBusyboxRootfs(parent?: string): Promise<string> {
  const base = parent ?? (await mkdtemp(path.join(tmpdir(), 'trc-rootfs-')));
  const root = path.join(base, 'rootfs');
  for (const dir of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'home/app', 'root', 'work']) await mkdir(path.join(root, dir), { recursive: true });
  await chmod(path.join(root, 'tmp'), 0o1777);
  await copyFile(BUSYBOX, path.join(root, 'bin/busybox'));
  await chmod(path.join(root, 'bin/busybox'), 0o755);
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a !== '' && a !== 'busybox');
  for (const applet of applets) await symlink('busybox', path.join(root, 'bin', applet));
  await writeFile(path.join(root, 'etc/passwd'), ROOTFS_PASSWD);
  await writeFile(path.join(root, 'etc/group'), ROOTFS_GROUP);
  return root;
}
