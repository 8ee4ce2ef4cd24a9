// PROXY v2 codec cost per connection, as ratios against an anchor measured in this run: copying the
// header's bytes (the least any receiver does) and, for scale, JSON.parse of a small object.
import { performance } from 'node:perf_hooks';
import { ProxyV2Decoder, decodeProxyV2 } from '@trc/core/proxy-v2/decoder';
import { encodeProxyV2 } from '@trc/core/proxy-v2/encoder';
import type { ProxyV2Header } from '@trc/core/proxy-v2/header';

const N = 200_000;
const tcp4: ProxyV2Header = { command: 'PROXY', transport: 'tcp', source: { address: '203.0.113.9', port: 51234 }, destination: { address: '192.0.2.1', port: 443 } };
const tcp6: ProxyV2Header = { command: 'PROXY', transport: 'tcp', source: { address: '2001:db8::7', port: 51234 }, destination: { address: '2001:db8::1', port: 443 } };
const tcp4Bytes = encodeProxyV2(tcp4);
const tcp6CrcBytes = encodeProxyV2({ ...tcp6, tlvs: [{ type: 'authority', value: 'db.example.com' }] }, { checksum: true });
const json = JSON.stringify({ address: '203.0.113.9', port: 51234 });

let sink = 0;
function rate(run: () => void): number {
  for (let i = 0; i < N / 10; i++) run();
  const start = performance.now();
  for (let i = 0; i < N; i++) run();
  return N / ((performance.now() - start) / 1000);
}

const anchor = rate(() => { sink += tcp4Bytes.slice().length; });
const jsonRate = rate(() => { sink += (JSON.parse(json) as { port: number }).port; });
const cases: [string, () => void][] = [
  ['encode TCP4', () => { sink += encodeProxyV2(tcp4).length; }],
  ['encode TCP6 + AUTHORITY + CRC32C', () => { sink += encodeProxyV2({ ...tcp6, tlvs: [{ type: 'authority', value: 'db.example.com' }] }, { checksum: true }).length; }],
  ['decode TCP4, one chunk', () => { sink += decodeProxyV2(tcp4Bytes).status.length; }],
  ['decode TCP6 + AUTHORITY + CRC32C, one chunk', () => { sink += decodeProxyV2(tcp6CrcBytes).status.length; }],
  ['decode TCP4, 1-byte chunks', () => {
    const d = new ProxyV2Decoder();
    for (let i = 0; i < tcp4Bytes.length; i++) sink += d.push(tcp4Bytes.subarray(i, i + 1)).status.length;
  }],
];
console.log(`anchor: copy a ${tcp4Bytes.length}-byte header: ${Math.round(anchor).toLocaleString('en')} ops/s (JSON.parse of a small object: ${(jsonRate / anchor).toFixed(3)}x)`);
for (const [name, run] of cases) {
  const r = rate(run);
  console.log(`${name}: ${Math.round(r).toLocaleString('en')} ops/s = ${(r / anchor).toFixed(3)}x anchor, ${(r / jsonRate).toFixed(2)}x JSON.parse`);
}
if (sink === 0) console.log('');
