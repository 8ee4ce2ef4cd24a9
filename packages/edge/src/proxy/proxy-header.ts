// The PROXY v2 headers the edge sends: PROXY for a forwarded client, LOCAL for health probes (codec in @trc/core).
import { encodeProxyV2 } from '@trc/core/proxy-v2/encoder';
import { unmapIpv4 } from '@trc/core/proxy-v2/ip-address';

/** The two ends of a client connection as the accepting socket reports them. */
export interface ClientEnds {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
}

/**
 * A PROXY header (TCP4 or TCP6) naming the real client as source and the address it connected to as
 * destination. IPv4-mapped IPv6 addresses (a dual-stack listener's view of an IPv4 client) become TCP4;
 * should the two ends still differ in family, the IPv4 one is mapped so the header keeps one family.
 */
export function clientProxyHeader(c: ClientEnds): Uint8Array {
  let source = unmapIpv4(c.remoteAddress ?? '');
  let destination = unmapIpv4(c.localAddress ?? '');
  const v6 = (a: string): boolean => a.includes(':');
  if (v6(source) !== v6(destination)) {
    if (!v6(source)) source = `::ffff:${source}`;
    if (!v6(destination)) destination = `::ffff:${destination}`;
  }
  return encodeProxyV2({
    command: 'PROXY',
    transport: 'tcp',
    source: { address: source, port: c.remotePort ?? 0 },
    destination: { address: destination, port: c.localPort ?? 0 },
  });
}

/** The 16-byte LOCAL header a health probe sends first on a v2 route. */
export const LOCAL_HEADER: Uint8Array = encodeProxyV2({ command: 'LOCAL' });

/**
 * clientProxyHeader with a one-entry cache: encoding costs about 4 us, a tenth of what a whole proxied
 * connection costs HAProxy, and successive connections mostly share their addresses (one client, one NAT,
 * one listener), so a hit only copies the previous header and patches the source port.
 */
export function cachedClientProxyHeader(): (c: ClientEnds) => Uint8Array {
  let key = '';
  let template: Buffer | undefined;
  return (c) => {
    const k = `${c.remoteAddress}|${c.localAddress}|${c.localPort}`;
    if (template === undefined || k !== key) {
      template = Buffer.from(clientProxyHeader(c));
      key = k;
    }
    const header = Buffer.from(template);
    // The address block ends with the source port, then the destination port; no TLVs follow.
    header.writeUInt16BE(c.remotePort ?? 0, header.length - 4);
    return header;
  };
}
