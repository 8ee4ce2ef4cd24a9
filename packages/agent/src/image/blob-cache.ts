// The content-addressed blob cache under the agent's state dir: `blobs/sha256/<hex>`, shared by every
// image. A blob is written to a temp file, verified against its digest, and only then renamed into place.
import { mkdir, open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { DigestVerifier, digestHex } from './digest.ts';

export class BlobCache {
  readonly root: string;

  constructor(stateDir: string) {
    this.root = stateDir;
  }

  /** Where a verified blob lives. */
  path(digest: string): string {
    return join(this.root, 'blobs', 'sha256', digestHex(digest));
  }

  async has(digest: string): Promise<boolean> {
    try {
      return (await stat(this.path(digest))).isFile();
    } catch {
      return false;
    }
  }

  read(digest: string): Promise<Buffer> {
    return readFile(this.path(digest));
  }

  /**
   * Writes a stream to the cache, verifying digest and size as it passes; on a mismatch or any failure the
   * temp file is removed and nothing is cached. `onChunk` sees each verified-so-far chunk (for progress).
   */
  async write(digest: string, expectedSize: number | undefined, chunks: AsyncIterable<Uint8Array>, what: string, onChunk?: (bytes: number) => void): Promise<string> {
    const verifier = new DigestVerifier(digest, expectedSize, what);
    const target = this.path(digest);
    const tmpDir = join(this.root, 'blobs', 'tmp');
    await mkdir(tmpDir, { recursive: true });
    await mkdir(join(this.root, 'blobs', 'sha256'), { recursive: true });
    const tmp = join(tmpDir, `${digestHex(digest)}.${randomBytes(6).toString('hex')}`);
    let out: FileHandle | undefined;
    try {
      out = await open(tmp, 'wx', 0o644);
      for await (const chunk of chunks) {
        verifier.update(chunk);
        await out.write(chunk);
        onChunk?.(chunk.byteLength);
      }
      verifier.finish();
      await out.close();
      out = undefined;
      await rename(tmp, target);
      return target;
    } catch (e) {
      await out?.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw e;
    }
  }

  /** Caches bytes already in memory (manifests), verified like any blob. */
  async put(digest: string, bytes: Uint8Array, what: string): Promise<string> {
    return this.write(digest, bytes.byteLength, (async function* () {
      yield bytes;
    })(), what);
  }
}
