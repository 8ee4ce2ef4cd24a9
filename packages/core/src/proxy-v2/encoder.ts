// PROXY protocol v2 encoder: a header object to the bytes a sender writes before the payload.
import { crc32c } from './crc32c.ts';
import { PROXY_V2_FIXED_BYTES, PROXY_V2_MAX_HEADER_BYTES, PROXY_V2_SIGNATURE, PROXY_V2_UNIX_ADDRESS_BYTES } from './header.ts';
import type { InetEndpoint, ProxyV2Header, UnixEndpoint } from './header.ts';
import { parseIp } from './ip-address.ts';
import { encodeTlvs } from './tlv.ts';
import { unencodable } from './errors.ts';

export interface EncodeProxyV2Options {
  /** Append a CRC32C TLV computed over the whole header (unless `tlvs` already holds one, which is then filled in). */
  readonly checksum?: boolean;
  /** Refuse headers longer than this; at most (and by default) 4096, what the decoder accepts. */
  readonly maxHeaderBytes?: number;
}

const COMMANDS = { LOCAL: 0x0, PROXY: 0x1 } as const;
const TRANSPORT_NIBBLE = { tcp: 0x1, udp: 0x2, 'unix-stream': 0x1, 'unix-dgram': 0x2 } as const;

function inetAddresses(source: InetEndpoint, destination: InetEndpoint): { family: 0x1 | 0x2; block: Uint8Array } {
  const src = typeof source?.address === 'string' ? parseIp(source.address) : undefined;
  const dst = typeof destination?.address === 'string' ? parseIp(destination.address) : undefined;
  if (src === undefined) throw unencodable(`source address ${JSON.stringify(source?.address)} is not an IPv4 or IPv6 address`);
  if (dst === undefined) throw unencodable(`destination address ${JSON.stringify(destination?.address)} is not an IPv4 or IPv6 address`);
  if (src.family !== dst.family) throw unencodable(`source is IPv${src.family} but destination is IPv${dst.family}; a header has one family`);
  for (const [name, port] of [['source', source.port], ['destination', destination.port]] as const) {
    if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw unencodable(`${name} port ${String(port)} is not an integer in 0-65535`);
  }
  const n = src.bytes.length;
  const block = new Uint8Array(2 * n + 4);
  block.set(src.bytes, 0);
  block.set(dst.bytes, n);
  const view = new DataView(block.buffer);
  view.setUint16(2 * n, source.port);
  view.setUint16(2 * n + 2, destination.port);
  return { family: src.family === 4 ? 0x1 : 0x2, block };
}

function unixAddresses(source: UnixEndpoint, destination: UnixEndpoint): Uint8Array {
  const block = new Uint8Array(2 * PROXY_V2_UNIX_ADDRESS_BYTES);
  for (const [i, e] of [source, destination].entries()) {
    if (!(e?.path instanceof Uint8Array) || e.path.length > PROXY_V2_UNIX_ADDRESS_BYTES) {
      throw unencodable(`unix ${i === 0 ? 'source' : 'destination'} path must be a Uint8Array of at most ${PROXY_V2_UNIX_ADDRESS_BYTES} bytes`);
    }
    block.set(e.path, i * PROXY_V2_UNIX_ADDRESS_BYTES);
  }
  return block;
}

/**
 * The bytes of a PROXY v2 header. `{ command: 'LOCAL' }` gives the 16-byte health-check header;
 * `{ command: 'PROXY', transport: 'tcp', source, destination }` a TCP4 or TCP6 header (family taken
 * from the address text). Throws TRC_PROXY_V2_UNENCODABLE (a bug) for input it cannot encode.
 */
export function encodeProxyV2(header: ProxyV2Header, options: EncodeProxyV2Options = {}): Uint8Array {
  const max = options.maxHeaderBytes ?? PROXY_V2_MAX_HEADER_BYTES;
  if (!Number.isInteger(max) || max < PROXY_V2_FIXED_BYTES || max > PROXY_V2_MAX_HEADER_BYTES) {
    throw unencodable(`maxHeaderBytes ${String(max)} must be an integer in ${PROXY_V2_FIXED_BYTES}-${PROXY_V2_MAX_HEADER_BYTES}`);
  }
  const command = COMMANDS[header?.command];
  if (command === undefined) throw unencodable(`command ${JSON.stringify(header?.command)} is neither LOCAL nor PROXY`);
  let familyTransport: number;
  let addresses: Uint8Array;
  const transport = header.transport ?? 'unspec';
  if (header.transport === 'tcp' || header.transport === 'udp') {
    const inet = inetAddresses(header.source, header.destination);
    familyTransport = (inet.family << 4) | TRANSPORT_NIBBLE[header.transport];
    addresses = inet.block;
  } else if (header.transport === 'unix-stream' || header.transport === 'unix-dgram') {
    familyTransport = 0x30 | TRANSPORT_NIBBLE[header.transport];
    addresses = unixAddresses(header.source, header.destination);
  } else if (transport === 'unspec') {
    familyTransport = 0x00;
    addresses = new Uint8Array(0);
  } else {
    throw unencodable(`transport ${JSON.stringify(transport)} is not unspec, tcp, udp, unix-stream or unix-dgram`);
  }
  const tlvList = header.tlvs ?? [];
  const wantsCrc = options.checksum === true && !tlvList.some((t) => t.type === 'crc32c');
  const tlvs = encodeTlvs(wantsCrc ? [...tlvList, { type: 'crc32c' }] : tlvList);
  const total = PROXY_V2_FIXED_BYTES + addresses.length + tlvs.bytes.length;
  if (total > max) throw unencodable(`the header would be ${total} bytes; the maximum is ${max}`);
  const out = new Uint8Array(total);
  out.set(PROXY_V2_SIGNATURE, 0);
  out[12] = 0x20 | command;
  out[13] = familyTransport;
  out[14] = (total - PROXY_V2_FIXED_BYTES) >> 8;
  out[15] = (total - PROXY_V2_FIXED_BYTES) & 0xff;
  out.set(addresses, PROXY_V2_FIXED_BYTES);
  out.set(tlvs.bytes, PROXY_V2_FIXED_BYTES + addresses.length);
  if (tlvs.crcValueOffset !== undefined) {
    // The checksum field is still zero here, as the spec requires while computing it.
    new DataView(out.buffer).setUint32(PROXY_V2_FIXED_BYTES + addresses.length + tlvs.crcValueOffset, crc32c(out));
  }
  return out;
}
