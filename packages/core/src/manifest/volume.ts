// Volumes of platform.toml (ADR 0011): a local volume of a given size, mounted into one process type,
// backed up by default.
import type { Problem } from '../errors/errors.ts';
import { UNITS } from '../resources/quantity.ts';
import { checkKnownFields, isTable, joinPath, problem, readBoolean, readString, wrongType } from './fields.ts';
import { checkName } from './names.ts';
import { readMebibytes } from './size.ts';

export interface Volume {
  readonly name: string;
  readonly sizeBytes: number;
  /** Absolute, normalised mount path inside the instance. */
  readonly mount: string;
  /** The process type the volume is attached to. */
  readonly process: string;
  readonly backupEnabled: boolean;
}

export const VOLUME_FIELDS = ['size', 'mount', 'process', 'backup_enabled'] as const;

export const VOLUME_LIMITS = { size: { min: 16 * UNITS.Mi, max: 16 * UNITS.Ti } } as const;

/** Paths the platform itself provides inside an instance; a volume over them would hide them. */
export const RESERVED_MOUNTS = ['/proc', '/sys', '/dev', '/run/secrets'] as const;

/** Resolves `.`, `..`, repeated and trailing slashes of an absolute path. */
export function normalisePath(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

/** True when `a` and `b` are the same path or one lies under the other. */
export function pathsOverlap(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`) || a === '/' || b === '/';
}

/** A problem when `mount` is not a usable mount path. */
export function checkMountPath(mount: string, path: string): Problem | undefined {
  const bad = (message: string, hint: string): Problem => problem(path, 'TRC_VOLUME_INVALID_MOUNT_PATH', message, hint);
  if (/[\x00-\x1f\x7f]/.test(mount)) return bad('the mount path contains control characters', 'use a plain absolute path such as "/data"');
  if (!mount.startsWith('/')) return bad(`mount path "${mount}" is not absolute`, `did you mean "${normalisePath(`/${mount}`)}"?`);
  const normal = normalisePath(mount);
  if (normal !== mount) return bad(`mount path "${mount}" is not normalised`, normal === '/' ? 'mount the volume on a directory such as "/data"' : `did you mean "${normal}"?`);
  if (mount === '/') return bad('a volume cannot be mounted on "/"', 'mount it on a directory such as "/data"');
  // A mount above a reserved path (/run over /run/secrets) would hide it just as well as one below it.
  const reserved = RESERVED_MOUNTS.find((r) => pathsOverlap(mount, r));
  if (reserved !== undefined) {
    const where = mount === reserved || mount.startsWith(`${reserved}/`) ? `is under ${reserved}` : `would hide ${reserved}`;
    return bad(`mount path "${mount}" ${where}, which the platform provides`, `mount it elsewhere, such as "/data"; ${RESERVED_MOUNTS.join(', ')} are reserved`);
  }
  return undefined;
}

/**
 * Validates one `[volumes.<name>]` table. Whether the process type exists and whether mounts collide is
 * checked by the manifest, which sees every volume.
 */
export function parseVolume(raw: unknown, path: string, name: string): { value?: Volume; problems: Problem[] } {
  if (!isTable(raw)) return { problems: [wrongType(path, 'a table', raw, `write it as a section: [${path}]`)] };
  const problems: Problem[] = [];
  const nameProblem = checkName(name, path, 'volume');
  if (nameProblem !== undefined) problems.push(nameProblem);
  checkKnownFields(raw, path, VOLUME_FIELDS, problems);
  const sizeBytes = readMebibytes(raw, 'size', path, problems, VOLUME_LIMITS.size);
  const mount = readString(raw, 'mount', path, problems, true);
  if (mount !== undefined) {
    const mountProblem = checkMountPath(mount, joinPath(path, 'mount'));
    if (mountProblem !== undefined) problems.push(mountProblem);
  }
  const process = readString(raw, 'process', path, problems, true);
  const backupEnabled = readBoolean(raw, 'backup_enabled', path, problems) ?? true;
  if (problems.length > 0 || sizeBytes === undefined || mount === undefined || process === undefined) return { problems };
  return { value: { name, sizeBytes, mount, process, backupEnabled }, problems };
}
