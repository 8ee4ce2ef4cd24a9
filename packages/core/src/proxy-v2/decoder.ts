// Incremental PROXY protocol v2 decoder: bytes in as they arrive, out a header and the payload after it, or a typed error.
import { TrcError } from '../errors/errors.ts';
import { crc32c } from './crc32c.ts';
import { PROXY_V2_FIXED_BYTES, PROXY_V2_MAX_HEADER_BYTES, PROXY_V2_SIGNATURE, PROXY_V2_UNIX_ADDRESS_BYTES } from './header.ts';
import type { DecodedProxyV2Header, ProxyV2Command } from './header.ts';
import { slice, u16, u32, u8 } from './bytes.ts';
import { hex, proxyError } from './errors.ts';
import { formatIp } from './ip-address.ts';
import { decodeTlvs } from './tlv.ts';

export interface ProxyV2DecoderOptions {
  /** Largest whole header accepted, 16 to 4096 (the default). Checked as soon as the length field arrives. */
  readonly maxHeaderBytes?: number;
}

export type DecodeResult =
  | { readonly status: 'need-more' }
  /** `rest` is the part of the last chunk after the header: the first payload bytes (possibly empty). */
  | { readonly status: 'header'; readonly header: DecodedProxyV2Header; readonly headerBytes: number; readonly rest: Uint8Array }
  | { readonly status: 'error'; readonly error: TrcError };

/** Family/transport byte -> what follows in the address block; the spec's seven valid combinations. */
const ADDRESS_KINDS = {
  0x00: { transport: 'unspec', bytes: 0 },
  0x11: { transport: 'tcp', bytes: 12 },
  0x12: { transport: 'udp', bytes: 12 },
  0x21: { transport: 'tcp', bytes: 36 },
  0x22: { transport: 'udp', bytes: 36 },
  0x31: { transport: 'unix-stream', bytes: 2 * PROXY_V2_UNIX_ADDRESS_BYTES },
  0x32: { transport: 'unix-dgram', bytes: 2 * PROXY_V2_UNIX_ADDRESS_BYTES },
} as const;
type AddressKind = (typeof ADDRESS_KINDS)[keyof typeof ADDRESS_KINDS];

const V1_PREFIX = Uint8Array.of(0x50, 0x52, 0x4f, 0x58, 0x59); // "PROXY"
const NEED_MORE: DecodeResult = { status: 'need-more' };

/**
 * Feed it the first bytes of a connection with `push(chunk)` until it answers `header` or `error`;
 * call `end()` if the peer closes first. Errors are returned, never thrown; a malformed prefix is
 * refused as soon as the first wrong byte arrives (signature, version, command, family, length).
 */
export class ProxyV2Decoder {
  readonly #max: number;
  readonly #fixed = new Uint8Array(PROXY_V2_FIXED_BYTES);
  #received = 0;
  #header: Uint8Array | undefined;
  #kind: AddressKind | undefined;
  #done: DecodeResult | undefined;

  constructor(options: ProxyV2DecoderOptions = {}) {
    const max = options.maxHeaderBytes ?? PROXY_V2_MAX_HEADER_BYTES;
    if (!Number.isInteger(max) || max < PROXY_V2_FIXED_BYTES || max > PROXY_V2_MAX_HEADER_BYTES) {
      throw new RangeError(`maxHeaderBytes must be an integer in ${PROXY_V2_FIXED_BYTES}-${PROXY_V2_MAX_HEADER_BYTES}, not ${String(max)}`);
    }
    this.#max = max;
  }

  /** Bytes of the header received so far. */
  get received(): number {
    return this.#received;
  }

  push(chunk: Uint8Array): DecodeResult {
    if (this.#done?.status === 'error') return this.#done;
    if (this.#done !== undefined) {
      throw new TrcError('TRC_PROXY_V2_DECODER_FINISHED', 'bytes were pushed into a PROXY v2 decoder after it returned the header', { hint: 'hand later bytes to the payload consumer, not the decoder' });
    }
    let at = 0;
    while (this.#header === undefined && at < chunk.length) {
      const problem = this.#fixedByte(u8(chunk, at));
      at++;
      if (problem !== undefined) return (this.#done = { status: 'error', error: problem });
    }
    if (this.#header === undefined) return NEED_MORE;
    const take = Math.min(this.#header.length - this.#received, chunk.length - at);
    this.#header.set(slice(chunk, at, take), this.#received);
    this.#received += take;
    at += take;
    if (this.#received < this.#header.length) return NEED_MORE;
    const parsed = parse(this.#header, this.#kind!);
    this.#done = parsed instanceof TrcError
      ? { status: 'error', error: parsed }
      : { status: 'header', header: parsed, headerBytes: this.#header.length, rest: chunk.subarray(at) };
    return this.#done;
  }

  /** The peer closed: a partial header is an error (the spec requires rejecting it). */
  end(): DecodeResult {
    if (this.#done !== undefined) return this.#done;
    return (this.#done = {
      status: 'error',
      error: proxyError('TRC_PROXY_V2_TRUNCATED', `the stream ended after ${this.#received} bytes of a PROXY v2 header`, { received: this.#received }),
    });
  }

  /** Takes one of the first 16 bytes, checking it at once. */
  #fixedByte(byte: number): TrcError | undefined {
    const i = this.#received;
    this.#fixed[i] = byte;
    this.#received++;
    if (i < PROXY_V2_SIGNATURE.length) {
      if (u8(this.#fixed, 0) === V1_PREFIX[0]) {
        if (byte !== u8(V1_PREFIX, i)) return badSignature(i, byte);
        if (i === V1_PREFIX.length - 1) {
          return proxyError('TRC_PROXY_V1_UNSUPPORTED', 'the peer sent a PROXY protocol version 1 text header ("PROXY ..."); only version 2 is accepted');
        }
        return undefined;
      }
      return byte === u8(PROXY_V2_SIGNATURE, i) ? undefined : badSignature(i, byte);
    }
    if (i === 12) {
      if (byte >> 4 !== 2) return proxyError('TRC_PROXY_V2_BAD_VERSION', `version nibble is ${byte >> 4}; it must be 2`, { byte: hex(byte) });
      if ((byte & 0x0f) > 1) return proxyError('TRC_PROXY_V2_BAD_COMMAND', `command nibble is ${byte & 0x0f}; it must be 0 (LOCAL) or 1 (PROXY)`, { byte: hex(byte) });
      return undefined;
    }
    if (i === 13) {
      const kind = (ADDRESS_KINDS as Record<number, AddressKind | undefined>)[byte];
      if (byte >> 4 > 3) return proxyError('TRC_PROXY_V2_BAD_FAMILY', `address family nibble is ${byte >> 4}; it must be 0-3`, { byte: hex(byte) });
      if ((byte & 0x0f) > 2) return proxyError('TRC_PROXY_V2_BAD_TRANSPORT', `transport nibble is ${byte & 0x0f}; it must be 0-2`, { byte: hex(byte) });
      if (kind === undefined) return proxyError('TRC_PROXY_V2_BAD_FAMILY', `family/transport ${hex(byte)} pairs UNSPEC with a specified value`, { byte: hex(byte) });
      this.#kind = kind;
      return undefined;
    }
    if (i === 15) {
      const length = u16(this.#fixed, 14);
      const total = PROXY_V2_FIXED_BYTES + length;
      if (total > this.#max) {
        return proxyError('TRC_PROXY_V2_HEADER_TOO_LARGE', `the header declares ${total} bytes; the maximum is ${this.#max}`, { bytes: total, max: this.#max });
      }
      if (length < this.#kind!.bytes) {
        return proxyError('TRC_PROXY_V2_ADDRESS_TRUNCATED', `length ${length} is shorter than the ${this.#kind!.bytes}-byte ${this.#kind!.transport} address block`, { length, required: this.#kind!.bytes });
      }
      this.#header = new Uint8Array(total);
      this.#header.set(this.#fixed);
    }
    return undefined;
  }
}

function badSignature(index: number, byte: number): TrcError {
  return proxyError('TRC_PROXY_V2_BAD_SIGNATURE', `byte ${index} is ${hex(byte)}, which does not match the PROXY v2 signature`, { index, byte: hex(byte) });
}

/** Parses a complete header whose first 16 bytes were already checked. */
function parse(header: Uint8Array, kind: AddressKind): DecodedProxyV2Header | TrcError {
  const command: ProxyV2Command = (u8(header, 12) & 0x0f) === 0 ? 'LOCAL' : 'PROXY';
  const addressEnd = PROXY_V2_FIXED_BYTES + kind.bytes;
  const decoded = decodeTlvs(header, addressEnd, header.length);
  if (decoded instanceof TrcError) return decoded;
  if (decoded.crcValueOffset !== undefined) {
    const at = decoded.crcValueOffset;
    const expected = u32(header, at);
    // The checksum covers the header with its own field zeroed: checksum the bytes around it and 4 zeros.
    let crc = crc32c(slice(header, 0, at));
    crc = crc32c(new Uint8Array(4), crc);
    crc = crc32c(slice(header, at + 4, header.length - at - 4), crc);
    if (crc !== expected) {
      return proxyError('TRC_PROXY_V2_CRC_MISMATCH', `CRC32C TLV holds ${hex32(expected)} but the header checksums to ${hex32(crc)}`, { expected: hex32(expected), actual: hex32(crc) });
    }
  }
  const tlvs = decoded.tlvs;
  const start = PROXY_V2_FIXED_BYTES;
  switch (kind.transport) {
    case 'unspec':
      return { command, transport: 'unspec', tlvs };
    case 'tcp':
    case 'udp': {
      const n = (kind.bytes - 4) / 2;
      return {
        command, transport: kind.transport, family: n === 4 ? 'ipv4' : 'ipv6',
        source: { address: formatIp(slice(header, start, n)), port: u16(header, start + 2 * n) },
        destination: { address: formatIp(slice(header, start + n, n)), port: u16(header, start + 2 * n + 2) },
        tlvs,
      };
    }
    case 'unix-stream':
    case 'unix-dgram':
      return {
        command, transport: kind.transport,
        source: { path: slice(header, start, PROXY_V2_UNIX_ADDRESS_BYTES) },
        destination: { path: slice(header, start + PROXY_V2_UNIX_ADDRESS_BYTES, PROXY_V2_UNIX_ADDRESS_BYTES) },
        tlvs,
      };
  }
}

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/** Decodes a header from bytes already in hand (a whole first read); a partial header is TRC_PROXY_V2_TRUNCATED. */
export function decodeProxyV2(bytes: Uint8Array, options: ProxyV2DecoderOptions = {}): DecodeResult {
  const decoder = new ProxyV2Decoder(options);
  const result = decoder.push(bytes);
  return result.status === 'need-more' ? decoder.end() : result;
}
