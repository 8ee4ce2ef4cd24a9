// Socket addresses as the routes file writes them ("127.0.0.1:5432", "[::1]:5432"): parsing and formatting.
import { isIP } from 'node:net';

/** An IP literal and a port; `family` tells TCP4 from TCP6. */
export interface SocketAddress {
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
}

export type AddressResult = { readonly ok: true; readonly address: SocketAddress } | { readonly ok: false; readonly message: string };

/**
 * Parses `IPv4:port` or `[IPv6]:port`. Host names are refused: the edge forwards to instances the control
 * plane placed, which it names by address, and a DNS lookup per connection would be a hidden dependency.
 */
export function parseSocketAddress(input: unknown): AddressResult {
  if (typeof input !== 'string') return { ok: false, message: 'must be a string such as "127.0.0.1:5432" or "[::1]:5432"' };
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(input);
  if (m === null) return { ok: false, message: `"${input}" is not an address with a port; write "127.0.0.1:5432" or "[::1]:5432"` };
  const host = m[1] ?? m[2] ?? '';
  const family = isIP(host);
  if (m[1] !== undefined && family !== 6) return { ok: false, message: `"${host}" in brackets is not an IPv6 address` };
  if (m[2] !== undefined && family !== 4) {
    return { ok: false, message: family === 6 ? `IPv6 address "${host}" must be in brackets: "[${host}]:${m[3]}"` : `"${host}" is not an IP address (host names are not resolved)` };
  }
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return { ok: false, message: `port ${m[3]} is outside 1-65535` };
  return { ok: true, address: { host, port, family: family as 4 | 6 } };
}

/** The canonical text of an address, the form used as a key and in /status. */
export function formatSocketAddress(a: { readonly host: string; readonly port: number }): string {
  return isIP(a.host) === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
