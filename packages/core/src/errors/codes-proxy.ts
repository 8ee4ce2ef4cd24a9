// Error codes of the proxy area. Append only: a code is never renamed, renumbered or reused.
export const PROXY_CODES = {
  TRC_PROXY_V2_BAD_SIGNATURE: { kind: 'user', status: 400, summary: 'The bytes do not start with the PROXY v2 signature (rejected at the first mismatching byte).' },
  TRC_PROXY_V1_UNSUPPORTED: { kind: 'user', status: 400, summary: 'The peer sent a PROXY protocol version 1 text header ("PROXY TCP4 ..."); only version 2 is accepted.' },
  TRC_PROXY_V2_BAD_VERSION: { kind: 'user', status: 400, summary: 'The version nibble of the 13th byte is not 2.' },
  TRC_PROXY_V2_BAD_COMMAND: { kind: 'user', status: 400, summary: 'The command nibble of the 13th byte is neither LOCAL (0) nor PROXY (1).' },
  TRC_PROXY_V2_BAD_FAMILY: { kind: 'user', status: 400, summary: 'The address family of the 14th byte is not UNSPEC, INET, INET6 or UNIX, or does not pair with the transport.' },
  TRC_PROXY_V2_BAD_TRANSPORT: { kind: 'user', status: 400, summary: 'The transport nibble of the 14th byte is not UNSPEC, STREAM or DGRAM.' },
  TRC_PROXY_V2_ADDRESS_TRUNCATED: { kind: 'user', status: 400, summary: 'The header length is shorter than the address block its family and transport require.' },
  TRC_PROXY_V2_HEADER_TOO_LARGE: { kind: 'user', status: 400, summary: 'The header is longer than the configured maximum (4096 bytes at most).' },
  TRC_PROXY_V2_TRUNCATED: { kind: 'user', status: 400, summary: 'The stream ended before the whole PROXY v2 header arrived.' },
  TRC_PROXY_V2_TLV_OVERRUN: { kind: 'user', status: 400, summary: 'A TLV or SSL sub-TLV runs past the end of the header or of its enclosing TLV.' },
  TRC_PROXY_V2_TLV_INVALID: { kind: 'user', status: 400, summary: 'A registered TLV has an invalid value (wrong length, over 128 bytes of unique id, bad UTF-8, repeated CRC32C).' },
  TRC_PROXY_V2_CRC_MISMATCH: { kind: 'user', status: 400, summary: 'The CRC32C TLV does not match the checksum of the header.' },
  TRC_PROXY_V2_UNENCODABLE: { kind: 'bug', status: 500, summary: 'The PROXY v2 encoder was given a header it cannot encode (bad address, port, TLV or size).' },
  TRC_PROXY_V2_DECODER_FINISHED: { kind: 'bug', status: 500, summary: 'Bytes were pushed into a PROXY v2 decoder that had already returned its header.' },
} as const;
