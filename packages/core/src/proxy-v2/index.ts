// The PROXY protocol v2 codec (ADR 0009): what @trc/core exports of it.
export * from './header.ts';
export { encodeProxyV2 } from './encoder.ts';
export type { EncodeProxyV2Options } from './encoder.ts';
export { ProxyV2Decoder, decodeProxyV2 } from './decoder.ts';
export type { DecodeResult, ProxyV2DecoderOptions } from './decoder.ts';
export { crc32c } from './crc32c.ts';
export { formatIp, formatIpv4, formatIpv6, parseIp, parseIpv4, parseIpv6, unmapIpv4 } from './ip-address.ts';
export type { IpFamily } from './ip-address.ts';
