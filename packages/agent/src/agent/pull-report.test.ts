// The pull summary: layers and bytes from per-blob events (the config blob left out), a report at each phase
// change and at most one per interval within a phase, and a final `pulled` with its duration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PullReporter, type PullReport } from './pull-report.ts';

const d = (c: string): string => `sha256:${c.repeat(64)}`;

test('a pull is summarised per instance: throttled within a phase, every phase change and the end reported', () => {
  let clock = 0;
  const sent: PullReport[] = [];
  const r = new PullReporter({ image: 'reg/shop@sha256:ab', now: () => clock, send: (x) => sent.push(x), intervalMs: 500 });
  r.onProgress({ phase: 'resolving', reference: 'reg/shop@sha256:ab' });
  r.onProgress({ phase: 'resolved', digest: d('a'), manifestDigest: d('a'), layers: 2, layerBytes: 300 });
  r.onProgress({ phase: 'downloading', digest: d('c'), done: 0, total: 10 });
  r.onProgress({ phase: 'verifying', digest: d('c'), total: 10 });
  r.onProgress({ phase: 'cached', digest: d('1'), total: 100 });
  for (let i = 1; i <= 10; i++) {
    clock += 100;
    r.onProgress({ phase: 'downloading', digest: d('2'), done: i * 20, total: 200 });
  }
  r.onProgress({ phase: 'verifying', digest: d('2'), total: 200 });
  r.onProgress({ phase: 'unpacking', digest: d('1'), index: 0, count: 2 });
  r.onProgress({ phase: 'unpacking', digest: d('2'), index: 1, count: 2 });
  clock += 300;
  r.finish({ layers: [] });
  const phases = sent.map((s) => s.phase);
  // Within 1 s of downloading, at most the first report plus two more at 500 ms steps.
  assert.ok(phases.filter((p) => p === 'downloading').length <= 3, phases.join(' '));
  assert.deepEqual([...new Set(phases)], ['resolving', 'downloading', 'verifying', 'unpacking', 'pulled']);
  const verifying = sent.find((s) => s.phase === 'verifying')!;
  assert.deepEqual({ layers: verifying.layers, layersDone: verifying.layersDone, bytesDone: verifying.bytesDone, bytesTotal: verifying.bytesTotal }, { layers: 2, layersDone: 2, bytesDone: 300, bytesTotal: 300 });
  assert.deepEqual(sent.at(-1), { phase: 'pulled', image: 'reg/shop@sha256:ab', layers: 2, layersDone: 2, bytesDone: 300, bytesTotal: 300, cached: false, durationMs: 1300 });
});

test('a pull served from the cache, or shared with another start, ends "pulled" and cached with the image\'s totals', () => {
  const sent: PullReport[] = [];
  const r = new PullReporter({ image: 'reg/shop@sha256:ab', now: () => 0, send: (x) => sent.push(x) });
  r.finish({ layers: [{ mediaType: 'x', digest: d('1'), size: 40 }, { mediaType: 'x', digest: d('2'), size: 2 }] });
  assert.deepEqual(sent, [{ phase: 'pulled', image: 'reg/shop@sha256:ab', layers: 2, layersDone: 2, bytesDone: 42, bytesTotal: 42, cached: true, durationMs: 0 }]);
});
