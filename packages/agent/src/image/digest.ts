// sha256 digests: parsing, and verification of content against its digest while it streams.
import { createHash, type Hash } from 'node:crypto';
import { TrcError, userError } from '@trc/core';

const SHA256 = /^sha256:([a-f0-9]{64})$/;

/** The 64 hex digits of a `sha256:` digest; anything else (other algorithms included) is refused. */
export function digestHex(digest: string, what = 'digest'): string {
  const m = SHA256.exec(digest);
  if (m === null) {
    throw userError('TRC_IMAGE_MANIFEST_INVALID', `${what} "${digest.slice(0, 80)}" is not a sha256 digest`,
      'Push the image with sha256 digests (the OCI default).');
  }
  return m[1]!;
}

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Hashes bytes as they pass and checks digest and size at the end; a mismatch is TRC_IMAGE_DIGEST_MISMATCH. */
export class DigestVerifier {
  readonly expected: string;
  readonly expectedSize: number | undefined;
  readonly what: string;
  #hash: Hash = createHash('sha256');
  #size = 0;

  constructor(expected: string, expectedSize: number | undefined, what: string) {
    digestHex(expected, what);
    this.expected = expected;
    this.expectedSize = expectedSize;
    this.what = what;
  }

  get size(): number {
    return this.#size;
  }

  update(chunk: Uint8Array): void {
    this.#size += chunk.byteLength;
    if (this.expectedSize !== undefined && this.#size > this.expectedSize) throw this.#mismatch(`more than the ${this.expectedSize} bytes its descriptor gives`);
    this.#hash.update(chunk);
  }

  /** Throws unless everything seen hashes to the expected digest (and has the expected size). */
  finish(): void {
    if (this.expectedSize !== undefined && this.#size !== this.expectedSize) throw this.#mismatch(`${this.#size} bytes, not the ${this.expectedSize} its descriptor gives`);
    const actual = `sha256:${this.#hash.digest('hex')}`;
    if (actual !== this.expected) throw this.#mismatch(`content hashing to ${actual}`);
  }

  #mismatch(what: string): TrcError {
    return new TrcError('TRC_IMAGE_DIGEST_MISMATCH', `${this.what} ${this.expected} arrived as ${what}; nothing was cached`, {
      hint: 'The registry or something between it and the node altered the content; pull again, and check the registry storage if it persists.',
      details: { digest: this.expected },
    });
  }
}
