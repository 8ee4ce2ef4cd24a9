// Runs every test file with node:test and prints node's summary. Usage: run-tests.ts [substring ...]
// A substring narrows the run to files whose path contains it.
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { globSync } from 'node:fs';
import process from 'node:process';

const filters = process.argv.slice(2);
const files = globSync(['packages/*/src/**/*.test.ts', 'scripts/**/*.test.ts', 'bench/**/*.test.ts'])
  .filter((f) => !f.includes('node_modules'))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
// forceExit: a test file whose tests are done ends even if a handle leaked; the per-test timeout
// bounds a test that hangs.
const stream = run({ files, concurrency: Number(process.env.TRC_TEST_CONCURRENCY ?? 2), timeout: 5 * 60_000, forceExit: true });
stream.on('test:fail', () => {
  process.exitCode = 1;
});
stream.compose(spec).pipe(process.stdout);
