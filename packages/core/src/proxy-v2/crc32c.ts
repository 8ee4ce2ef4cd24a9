// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), table-based: the checksum of the PROXY v2 CRC32C TLV.

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * CRC32C of `bytes` as an unsigned 32-bit number (RFC 4960 Appendix B). Pass a previous result as
 * `crc` to continue a checksum across several buffers.
 */
export function crc32c(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
