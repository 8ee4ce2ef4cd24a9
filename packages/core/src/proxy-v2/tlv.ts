// TLV vectors after the address block: encoding with validation, and bounds-checked decoding (SSL sub-TLVs too).
import { TrcError } from '../errors/errors.ts';
import { PP2_SUBTYPE_SSL, PP2_TYPE, PROXY_V2_UNIQUE_ID_MAX_BYTES } from './header.ts';
import type { ProxyV2Tlv, SslSubTlv } from './header.ts';
import { slice, u16, u32, u8 } from './bytes.ts';
import { hex, proxyError, unencodable } from './errors.ts';

const TLV_HEAD_BYTES = 3;
const SSL_FIXED_BYTES = 5;
const STRING_SUBTYPES = {
  [PP2_SUBTYPE_SSL.VERSION]: 'version',
  [PP2_SUBTYPE_SSL.CN]: 'cn',
  [PP2_SUBTYPE_SSL.CIPHER]: 'cipher',
  [PP2_SUBTYPE_SSL.SIG_ALG]: 'sig-alg',
  [PP2_SUBTYPE_SSL.KEY_ALG]: 'key-alg',
} as const satisfies Record<number, Exclude<SslSubTlv['type'], 'other'>>;
const SUBTYPE_CODES: Record<Exclude<SslSubTlv['type'], 'other'>, number> = {
  version: PP2_SUBTYPE_SSL.VERSION, cn: PP2_SUBTYPE_SSL.CN, cipher: PP2_SUBTYPE_SSL.CIPHER, 'sig-alg': PP2_SUBTYPE_SSL.SIG_ALG, 'key-alg': PP2_SUBTYPE_SSL.KEY_ALG,
};
const REGISTERED_TYPES = new Set<number>(Object.values(PP2_TYPE));
const utf8 = new TextEncoder();
// fatal: lossy decoding would break byte-exact re-encoding; ignoreBOM: a leading U+FEFF is data, not a marker.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function stringBytes(what: string, value: string): Uint8Array {
  if (typeof value !== 'string' || !value.isWellFormed()) throw unencodable(`${what} must be a well-formed string`);
  return utf8.encode(value);
}

function tlv(what: string, code: number, value: Uint8Array): Uint8Array {
  if (!(value instanceof Uint8Array)) throw unencodable(`${what} value must be a Uint8Array`);
  if (value.length > 0xffff) throw unencodable(`${what} value is ${value.length} bytes; a TLV holds at most 65535`);
  const out = new Uint8Array(TLV_HEAD_BYTES + value.length);
  out[0] = code;
  out[1] = value.length >> 8;
  out[2] = value.length & 0xff;
  out.set(value, TLV_HEAD_BYTES);
  return out;
}

function isByte(n: unknown): n is number {
  return Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xff;
}

function encodeSubTlv(sub: SslSubTlv): Uint8Array {
  if (sub.type === 'other') {
    if (!isByte(sub.code) || sub.code in STRING_SUBTYPES) throw unencodable(`SSL sub-TLV code ${String(sub.code)} must be a byte other than a registered subtype`);
    return tlv(`SSL sub-TLV ${hex(sub.code)}`, sub.code, sub.value);
  }
  const code = SUBTYPE_CODES[sub.type];
  if (code === undefined) throw unencodable(`unknown SSL sub-TLV type ${String(sub.type)}`);
  return tlv(`SSL ${sub.type}`, code, stringBytes(`SSL ${sub.type}`, sub.value));
}

/** The bytes of `tlvs` in order, and where the CRC32C value (to be filled in by the caller) sits. */
export function encodeTlvs(tlvs: readonly ProxyV2Tlv[]): { readonly bytes: Uint8Array; readonly crcValueOffset: number | undefined } {
  const parts: Uint8Array[] = [];
  let length = 0;
  let crcValueOffset: number | undefined;
  for (const t of tlvs) {
    let part: Uint8Array;
    switch (t.type) {
      case 'alpn': part = tlv('ALPN', PP2_TYPE.ALPN, t.value); break;
      case 'authority': part = tlv('AUTHORITY', PP2_TYPE.AUTHORITY, stringBytes('AUTHORITY', t.value)); break;
      case 'noop': part = tlv('NOOP', PP2_TYPE.NOOP, t.value); break;
      case 'netns': part = tlv('NETNS', PP2_TYPE.NETNS, stringBytes('NETNS', t.value)); break;
      case 'unique-id':
        if (t.value instanceof Uint8Array && t.value.length > PROXY_V2_UNIQUE_ID_MAX_BYTES) throw unencodable(`UNIQUE_ID is ${t.value.length} bytes; at most ${PROXY_V2_UNIQUE_ID_MAX_BYTES}`);
        part = tlv('UNIQUE_ID', PP2_TYPE.UNIQUE_ID, t.value);
        break;
      case 'crc32c':
        if (crcValueOffset !== undefined) throw unencodable('a header carries at most one CRC32C TLV');
        crcValueOffset = length + TLV_HEAD_BYTES;
        part = tlv('CRC32C', PP2_TYPE.CRC32C, new Uint8Array(4));
        break;
      case 'ssl': {
        if (!isByte(t.client)) throw unencodable('SSL client flags must be a byte');
        if (!Number.isInteger(t.verify) || t.verify < 0 || t.verify > 0xffffffff) throw unencodable('SSL verify must be a 32-bit unsigned integer');
        const subs = t.subTlvs.map(encodeSubTlv);
        const value = new Uint8Array(SSL_FIXED_BYTES + subs.reduce((n, s) => n + s.length, 0));
        value[0] = t.client;
        new DataView(value.buffer).setUint32(1, t.verify);
        let at = SSL_FIXED_BYTES;
        for (const s of subs) {
          value.set(s, at);
          at += s.length;
        }
        part = tlv('SSL', PP2_TYPE.SSL, value);
        break;
      }
      case 'other':
        if (!isByte(t.code) || REGISTERED_TYPES.has(t.code)) throw unencodable(`TLV code ${String(t.code)} must be a byte other than a registered type`);
        part = tlv(`TLV ${hex(t.code)}`, t.code, t.value);
        break;
      default:
        throw unencodable(`unknown TLV type ${String((t as { type: unknown }).type)}`);
    }
    parts.push(part);
    length += part.length;
  }
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return { bytes, crcValueOffset };
}

function decodeString(what: string, value: Uint8Array, offset: number): string | TrcError {
  try {
    return strictUtf8.decode(value);
  } catch {
    return proxyError('TRC_PROXY_V2_TLV_INVALID', `${what} at header byte ${offset} is not valid UTF-8`, { offset });
  }
}

/** Walks `count` bytes of TLVs at `start`; each head and value must fit before `end`. */
function walk(buf: Uint8Array, start: number, end: number, level: 'TLV' | 'SSL sub-TLV', visit: (code: number, value: Uint8Array, at: number) => TrcError | undefined): TrcError | undefined {
  let at = start;
  while (at < end) {
    if (end - at < TLV_HEAD_BYTES) {
      return proxyError('TRC_PROXY_V2_TLV_OVERRUN', `${level} at header byte ${at} needs 3 bytes of type and length but only ${end - at} remain`, { offset: at });
    }
    const code = u8(buf, at);
    const length = u16(buf, at + 1);
    if (length > end - at - TLV_HEAD_BYTES) {
      return proxyError('TRC_PROXY_V2_TLV_OVERRUN', `${level} ${hex(code)} at header byte ${at} declares ${length} bytes but only ${end - at - TLV_HEAD_BYTES} remain`, { offset: at, type: code, length });
    }
    const problem = visit(code, slice(buf, at + TLV_HEAD_BYTES, length), at);
    if (problem !== undefined) return problem;
    at += TLV_HEAD_BYTES + length;
  }
  return undefined;
}

export interface DecodedTlvs {
  readonly tlvs: readonly ProxyV2Tlv[];
  /** Header offset of the CRC32C value, when the header carries one. */
  readonly crcValueOffset: number | undefined;
}

/** Decodes the TLVs in `header[start, end)`; offsets in errors are header offsets. */
export function decodeTlvs(header: Uint8Array, start: number, end: number): DecodedTlvs | TrcError {
  const tlvs: ProxyV2Tlv[] = [];
  let crcValueOffset: number | undefined;
  const problem = walk(header, start, end, 'TLV', (code, value, at) => {
    const valueAt = at + TLV_HEAD_BYTES;
    switch (code) {
      case PP2_TYPE.ALPN: tlvs.push({ type: 'alpn', value }); return undefined;
      case PP2_TYPE.NOOP: tlvs.push({ type: 'noop', value }); return undefined;
      case PP2_TYPE.AUTHORITY:
      case PP2_TYPE.NETNS: {
        const s = decodeString(code === PP2_TYPE.AUTHORITY ? 'AUTHORITY' : 'NETNS', value, at);
        if (s instanceof TrcError) return s;
        tlvs.push({ type: code === PP2_TYPE.AUTHORITY ? 'authority' : 'netns', value: s });
        return undefined;
      }
      case PP2_TYPE.UNIQUE_ID:
        if (value.length > PROXY_V2_UNIQUE_ID_MAX_BYTES) {
          return proxyError('TRC_PROXY_V2_TLV_INVALID', `UNIQUE_ID at header byte ${at} is ${value.length} bytes; at most ${PROXY_V2_UNIQUE_ID_MAX_BYTES}`, { offset: at, length: value.length });
        }
        tlvs.push({ type: 'unique-id', value });
        return undefined;
      case PP2_TYPE.CRC32C:
        if (value.length !== 4) return proxyError('TRC_PROXY_V2_TLV_INVALID', `CRC32C at header byte ${at} is ${value.length} bytes; it must be 4`, { offset: at, length: value.length });
        if (crcValueOffset !== undefined) return proxyError('TRC_PROXY_V2_TLV_INVALID', `a second CRC32C TLV at header byte ${at}`, { offset: at });
        crcValueOffset = valueAt;
        tlvs.push({ type: 'crc32c', value: u32(value, 0) });
        return undefined;
      case PP2_TYPE.SSL: {
        if (value.length < SSL_FIXED_BYTES) {
          return proxyError('TRC_PROXY_V2_TLV_INVALID', `SSL TLV at header byte ${at} is ${value.length} bytes; client and verify need 5`, { offset: at, length: value.length });
        }
        const ssl = decodeSsl(header, valueAt, valueAt + value.length);
        if (ssl instanceof TrcError) return ssl;
        tlvs.push(ssl);
        return undefined;
      }
      default:
        tlvs.push({ type: 'other', code, value });
        return undefined;
    }
  });
  return problem ?? { tlvs, crcValueOffset };
}

function decodeSsl(header: Uint8Array, start: number, end: number): ProxyV2Tlv | TrcError {
  const subTlvs: SslSubTlv[] = [];
  const problem = walk(header, start + SSL_FIXED_BYTES, end, 'SSL sub-TLV', (code, value, at) => {
    const type = (STRING_SUBTYPES as Record<number, Exclude<SslSubTlv['type'], 'other'> | undefined>)[code];
    if (type === undefined) {
      subTlvs.push({ type: 'other', code, value });
      return undefined;
    }
    const s = decodeString(`SSL ${type}`, value, at);
    if (s instanceof TrcError) return s;
    subTlvs.push({ type, value: s });
    return undefined;
  });
  return problem ?? { type: 'ssl', client: u8(header, start), verify: u32(header, start + 1), subTlvs };
}
