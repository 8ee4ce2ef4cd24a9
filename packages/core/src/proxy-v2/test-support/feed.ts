// Test helper: delivers bytes to a decoder in given chunk sizes, the way a socket would.
import type { DecodeResult, ProxyV2Decoder } from '../decoder.ts';

export interface Fed {
  readonly result: DecodeResult;
  /** The chunks that arrived after the decoder answered; they belong to the payload. */
  readonly later: readonly Uint8Array[];
  /** How many chunks the decoder saw, including the one it answered on. */
  readonly pushes: number;
}

/** Splits `bytes` into chunks of `sizes` (cycled; 0 means an empty chunk) and pushes until an answer; `end()` if none. */
export function feed(decoder: ProxyV2Decoder, bytes: Uint8Array, sizes: readonly number[] = [bytes.length]): Fed {
  const chunks: Uint8Array[] = [];
  let emptyRun = 0;
  for (let at = 0, i = 0; at < bytes.length || chunks.length === 0; i++) {
    const size = Math.min(sizes.length === 0 ? bytes.length : sizes[i % sizes.length]!, bytes.length - at);
    emptyRun = size === 0 ? emptyRun + 1 : 0;
    if (emptyRun > sizes.length) break; // every size is 0: stop rather than loop
    chunks.push(bytes.subarray(at, at + size));
    at += size;
    if (bytes.length === 0) break;
  }
  for (let i = 0; i < chunks.length; i++) {
    const result = decoder.push(chunks[i]!);
    if (result.status !== 'need-more') return { result, later: chunks.slice(i + 1), pushes: i + 1 };
  }
  return { result: decoder.end(), later: [], pushes: chunks.length };
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
