// fast-check arbitraries for valid PROXY v2 headers and for socket-like chunkings of a byte stream.
import fc from 'fast-check';
import type { ProxyV2Header, ProxyV2Tlv, SslSubTlv } from '../header.ts';

const text = fc.string({ unit: 'binary', maxLength: 24 }).filter((s) => s.isWellFormed());
const bytes = (maxLength: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength });
const port = fc.integer({ min: 0, max: 0xffff });
const REGISTERED = new Set([0x01, 0x02, 0x03, 0x04, 0x05, 0x20, 0x30]);
const SSL_SUBTYPES = new Set([0x21, 0x22, 0x23, 0x24, 0x25]);

const subTlv: fc.Arbitrary<SslSubTlv> = fc.oneof(
  fc.record({ type: fc.constantFrom('version', 'cn', 'cipher', 'sig-alg', 'key-alg'), value: text }),
  fc.record({ type: fc.constant('other'), code: fc.integer({ min: 0, max: 255 }).filter((c) => !SSL_SUBTYPES.has(c)), value: bytes(16) }),
);

export const tlvArb: fc.Arbitrary<ProxyV2Tlv> = fc.oneof(
  fc.record({ type: fc.constant('alpn'), value: bytes(16) }),
  fc.record({ type: fc.constant('authority'), value: text }),
  fc.record({ type: fc.constant('noop'), value: bytes(8) }),
  fc.record({ type: fc.constant('unique-id'), value: bytes(128) }),
  fc.record({ type: fc.constant('netns'), value: text }),
  fc.record({ type: fc.constant('ssl'), client: fc.integer({ min: 0, max: 255 }), verify: fc.nat({ max: 0xffffffff }), subTlvs: fc.array(subTlv, { maxLength: 4 }) }),
  fc.record({ type: fc.constant('other'), code: fc.integer({ min: 0, max: 255 }).filter((c) => !REGISTERED.has(c)), value: bytes(32) }),
) as fc.Arbitrary<ProxyV2Tlv>;

const endpoints = (address: fc.Arbitrary<string>) => fc.record({ address, port });

/** Any header the encoder accepts, addresses in any valid text form (fast-check writes IPv6 many ways). */
export const headerArb: fc.Arbitrary<ProxyV2Header> = fc.record({
  command: fc.constantFrom('LOCAL' as const, 'PROXY' as const),
  tlvs: fc.array(tlvArb, { maxLength: 5 }),
  // A CRC32C anywhere in the list: the encoder fills it in where it stands.
  crcAt: fc.option(fc.nat({ max: 5 })),
  block: fc.oneof(
    fc.constant({}),
    fc.record({ transport: fc.constantFrom('tcp' as const, 'udp' as const), source: endpoints(fc.ipV4()), destination: endpoints(fc.ipV4()) }),
    fc.record({ transport: fc.constantFrom('tcp' as const, 'udp' as const), source: endpoints(fc.ipV6()), destination: endpoints(fc.ipV6()) }),
    fc.record({ transport: fc.constantFrom('unix-stream' as const, 'unix-dgram' as const), source: fc.record({ path: bytes(108) }), destination: fc.record({ path: bytes(108) }) }),
  ),
}).map(({ command, tlvs, crcAt, block }) => {
  const list = [...tlvs];
  if (crcAt !== null) list.splice(Math.min(crcAt, list.length), 0, { type: 'crc32c' });
  return plain({ command, ...block, tlvs: list }) as ProxyV2Header;
});

/** fc.record builds null-prototype objects; the decoder returns ordinary ones, and deepEqual tells them apart. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(plain);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
}

/** Chunk sizes a socket might deliver: often tiny, sometimes empty, sometimes everything at once. */
export const chunkSizesArb: fc.Arbitrary<number[]> = fc.array(fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 64 }), fc.constant(5000)), { minLength: 1, maxLength: 12 })
  .map((sizes) => (sizes.some((s) => s > 0) ? sizes : [...sizes, 1]));
