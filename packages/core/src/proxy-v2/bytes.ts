// Bounds-checked reads: a read past the buffer is a decoder bug, so it fails loudly instead of yielding undefined.
import { TrcError } from '../errors/errors.ts';

export function u8(buf: Uint8Array, at: number): number {
  const v = buf[at];
  if (v === undefined) throw new TrcError('TRC_INTERNAL', `PROXY v2 codec read byte ${at} of a ${buf.length}-byte buffer`);
  return v;
}

export function u16(buf: Uint8Array, at: number): number {
  return (u8(buf, at) << 8) | u8(buf, at + 1);
}

export function u32(buf: Uint8Array, at: number): number {
  return ((u8(buf, at) << 24) | (u8(buf, at + 1) << 16) | (u8(buf, at + 2) << 8) | u8(buf, at + 3)) >>> 0;
}

/** A view of `length` bytes at `at`, refused (as a bug) if it does not lie inside `buf`. */
export function slice(buf: Uint8Array, at: number, length: number): Uint8Array {
  if (at < 0 || length < 0 || at + length > buf.length) {
    throw new TrcError('TRC_INTERNAL', `PROXY v2 codec sliced ${length} bytes at ${at} of a ${buf.length}-byte buffer`);
  }
  return buf.subarray(at, at + length);
}
