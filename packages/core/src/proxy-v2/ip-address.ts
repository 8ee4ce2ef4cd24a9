// IPv4 and IPv6 text <-> bytes, pure (core cannot use node:net). Formatting follows RFC 5952.

/** The 4 bytes of a dotted-quad IPv4 address, or undefined. Leading zeros are refused (ambiguous: octal?). */
export function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    bytes[i] = n;
  }
  return bytes;
}

export function formatIpv4(bytes: Uint8Array): string {
  if (bytes.length !== 4) throw new RangeError(`an IPv4 address has 4 bytes, not ${bytes.length}`);
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/**
 * The 16 bytes of an IPv6 address, or undefined. Accepts `::` compression and a trailing dotted quad
 * (`::ffff:192.0.2.1`); refuses zone ids (`fe80::1%eth0`), which have no place in a PROXY header.
 */
export function parseIpv6(text: string): Uint8Array | undefined {
  if (text.length === 0 || text.length > 45) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = groups(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? groups(halves[1]!, true) : [];
  if (head === undefined || tail === undefined) return undefined;
  const total = head.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const words = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    bytes[2 * i] = w >> 8;
    bytes[2 * i + 1] = w & 0xff;
  });
  return bytes;
}

/** The 16-bit groups of one side of `::`; only the last side may end in a dotted quad. */
function groups(side: string, mayEndInIpv4: boolean): number[] | undefined {
  if (side === '') return [];
  const parts = side.split(':');
  const words: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (i === parts.length - 1 && mayEndInIpv4 && p.includes('.')) {
      const v4 = parseIpv4(p);
      if (v4 === undefined) return undefined;
      words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
      words.push(parseInt(p, 16));
    }
  }
  return words;
}

/**
 * RFC 5952 text: lowercase, no leading zeros, the longest run (first on a tie) of two or more zero
 * groups written `::`. IPv4-mapped addresses (::ffff:0:0/96) end in a dotted quad, as Node reports them.
 */
export function formatIpv6(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new RangeError(`an IPv6 address has 16 bytes, not ${bytes.length}`);
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) return `::ffff:${formatIpv4(bytes.subarray(12))}`;
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLength))}`;
}

export type IpFamily = 4 | 6;

/** Either family: text containing `:` is IPv6, anything else must be a dotted quad. */
export function parseIp(text: string): { readonly family: IpFamily; readonly bytes: Uint8Array } | undefined {
  const bytes = text.includes(':') ? parseIpv6(text) : parseIpv4(text);
  if (bytes === undefined) return undefined;
  return { family: bytes.length === 4 ? 4 : 6, bytes };
}

export function formatIp(bytes: Uint8Array): string {
  return bytes.length === 4 ? formatIpv4(bytes) : formatIpv6(bytes);
}

/**
 * `192.0.2.1` for `::ffff:192.0.2.1` (how a dual-stack socket reports an IPv4 peer), else the text
 * unchanged, so a sender can emit TCP4 when both endpoints are really IPv4.
 */
export function unmapIpv4(text: string): string {
  const b = text.includes(':') ? parseIpv6(text) : undefined;
  if (b === undefined || !b.subarray(0, 12).every((x, i) => x === (i >= 10 ? 0xff : 0))) return text;
  return formatIpv4(b.subarray(12));
}
