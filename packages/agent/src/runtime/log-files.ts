// Bounded instance logs: the instance appends to `<name>.log` (O_APPEND, so it always writes at the end);
// when the file passes the size limit its last `maxBytes` are copied to `<name>.log.1` (older copies shift
// up) and it is truncated. So each rotated copy holds at most maxBytes, whatever was written meanwhile.
import { open, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';

export interface LogLimits {
  /** Rotate once the live file is larger than this. */
  readonly maxBytes: number;
  /** Rotated copies kept (`.1` ... `.keep`); older ones are deleted. */
  readonly keep: number;
}

/**
 * Rotates `file` if it is over the limit. Copy-then-truncate rather than rename because the instance holds
 * the file open and cannot be told to reopen it; bytes written between the copy and the truncate are lost,
 * which is the usual price of copytruncate, and so are bytes beyond the newest maxBytes when an instance
 * writes more than that between two checks. Returns whether it rotated.
 */
export async function rotateIfNeeded(file: string, limits: LogLimits): Promise<boolean> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  if (size <= limits.maxBytes) return false;
  if (limits.keep <= 0) {
    await truncate(file, 0);
    return true;
  }
  await rm(`${file}.${limits.keep}`, { force: true });
  for (let i = limits.keep - 1; i >= 1; i--) {
    await rename(`${file}.${i}`, `${file}.${i + 1}`).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
  await writeFile(`${file}.1`, await readEnd(file, limits.maxBytes));
  await truncate(file, 0);
  return true;
}

async function readEnd(file: string, maxBytes: number): Promise<Buffer> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, size - length);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The last `maxBytes` of the log, reaching into the newest rotated copy when the live file is short. */
export async function tailLog(file: string, maxBytes: number): Promise<string> {
  const live = await readEnd(file, maxBytes);
  if (live.length >= maxBytes) return live.toString('utf8');
  const older = await readEnd(`${file}.1`, maxBytes - live.length);
  return Buffer.concat([older, live]).toString('utf8');
}
