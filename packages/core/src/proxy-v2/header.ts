// The PROXY protocol v2 header as TRC sees it: commands, transports, endpoints and TLVs, plus wire constants.

/** The 12-byte v2 signature: `\r\n\r\n\0\r\nQUIT\n`. */
export const PROXY_V2_SIGNATURE: Uint8Array = Uint8Array.of(0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a);
/** Signature, version/command, family/transport and the 2-byte length. */
export const PROXY_V2_FIXED_BYTES = 16;
/** Default and upper bound of a whole header (fixed part, addresses and TLVs). */
export const PROXY_V2_MAX_HEADER_BYTES = 4096;
export const PROXY_V2_UNIQUE_ID_MAX_BYTES = 128;
/** sun_path of each AF_UNIX address. */
export const PROXY_V2_UNIX_ADDRESS_BYTES = 108;

/** Registered TLV type codes (spec section 2.2). */
export const PP2_TYPE = {
  ALPN: 0x01,
  AUTHORITY: 0x02,
  CRC32C: 0x03,
  NOOP: 0x04,
  UNIQUE_ID: 0x05,
  SSL: 0x20,
  NETNS: 0x30,
} as const;

export const PP2_SUBTYPE_SSL = {
  VERSION: 0x21,
  CN: 0x22,
  CIPHER: 0x23,
  SIG_ALG: 0x24,
  KEY_ALG: 0x25,
} as const;

/** Bits of the SSL TLV's `client` field. */
export const PP2_CLIENT = { SSL: 0x01, CERT_CONN: 0x02, CERT_SESS: 0x04 } as const;

/** LOCAL: the proxy's own connection (health checks), addresses to be ignored. PROXY: relayed on behalf of a client. */
export type ProxyV2Command = 'LOCAL' | 'PROXY';

export interface InetEndpoint {
  /** `192.0.2.1` or `2001:db8::1`; both endpoints of a header are the same family. */
  readonly address: string;
  readonly port: number;
}

export interface UnixEndpoint {
  /** Raw sun_path bytes: up to 108 when encoding (zero-padded), exactly 108 when decoded. See `unixPath`. */
  readonly path: Uint8Array;
}

export type SslSubTlv =
  | { readonly type: 'version' | 'cn' | 'cipher' | 'sig-alg' | 'key-alg'; readonly value: string }
  | { readonly type: 'other'; readonly code: number; readonly value: Uint8Array };

export type ProxyV2Tlv =
  | { readonly type: 'alpn'; readonly value: Uint8Array }
  | { readonly type: 'authority'; readonly value: string }
  /** The encoder computes `value` (any given value is ignored); the decoder reports the verified checksum. */
  | { readonly type: 'crc32c'; readonly value?: number }
  | { readonly type: 'noop'; readonly value: Uint8Array }
  | { readonly type: 'unique-id'; readonly value: Uint8Array }
  | { readonly type: 'ssl'; readonly client: number; readonly verify: number; readonly subTlvs: readonly SslSubTlv[] }
  | { readonly type: 'netns'; readonly value: string }
  /** Any unregistered type (custom 0xE0-0xEF, experimental 0xF0-0xF7, future), kept as bytes. */
  | { readonly type: 'other'; readonly code: number; readonly value: Uint8Array };

interface HeaderBase {
  readonly command: ProxyV2Command;
  readonly tlvs?: readonly ProxyV2Tlv[];
}

/** No address block (family and transport 0x00): the usual LOCAL header, `{ command: 'LOCAL' }`. */
export interface ProxyV2UnspecHeader extends HeaderBase {
  readonly transport?: 'unspec';
}

/** TCP or UDP over IPv4 or IPv6; the family follows from the address text. */
export interface ProxyV2InetHeader extends HeaderBase {
  readonly transport: 'tcp' | 'udp';
  readonly source: InetEndpoint;
  readonly destination: InetEndpoint;
}

export interface ProxyV2UnixHeader extends HeaderBase {
  readonly transport: 'unix-stream' | 'unix-dgram';
  readonly source: UnixEndpoint;
  readonly destination: UnixEndpoint;
}

export type ProxyV2Header = ProxyV2UnspecHeader | ProxyV2InetHeader | ProxyV2UnixHeader;

/** What the decoder returns: every optional field filled in, addresses in canonical (RFC 5952) text. */
export type DecodedProxyV2Header =
  | (ProxyV2UnspecHeader & { readonly transport: 'unspec'; readonly tlvs: readonly ProxyV2Tlv[] })
  | (ProxyV2InetHeader & { readonly family: 'ipv4' | 'ipv6'; readonly tlvs: readonly ProxyV2Tlv[] })
  | (ProxyV2UnixHeader & { readonly tlvs: readonly ProxyV2Tlv[] });

/** The path of a sun_path: bytes up to the first NUL, as UTF-8 (empty for an abstract socket). */
export function unixPath(endpoint: UnixEndpoint): string {
  const end = endpoint.path.indexOf(0);
  return new TextDecoder().decode(end < 0 ? endpoint.path : endpoint.path.subarray(0, end));
}
