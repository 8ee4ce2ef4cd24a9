import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EdgeMetrics } from './metrics.ts';

test('metrics render in the Prometheus text format with HELP, TYPE, sorted and escaped labels', () => {
  const m = new EdgeMetrics();
  m.add('trc_edge_backend_bytes_in_total', { route: 'db', backend: '[::1]:5432' }, 10);
  m.add('trc_edge_backend_bytes_in_total', { backend: '[::1]:5432', route: 'db' }, 5);
  m.set('trc_edge_backend_healthy', { route: 'a"b\\c', backend: 'x' }, 1);
  const text = m.render();
  assert.match(text, /^# HELP trc_edge_backend_bytes_in_total .+\n# TYPE trc_edge_backend_bytes_in_total counter\ntrc_edge_backend_bytes_in_total\{backend="\[::1\]:5432",route="db"\} 15$/m);
  assert.match(text, /^trc_edge_backend_healthy\{backend="x",route="a\\"b\\\\c"\} 1$/m);
  m.remove('trc_edge_backend_healthy', { route: 'a"b\\c', backend: 'x' });
  assert.doesNotMatch(m.render(), /trc_edge_backend_healthy\{/);
  assert.ok(text.endsWith('\n'));
});
