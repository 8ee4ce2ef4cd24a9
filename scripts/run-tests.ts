// Runs every test file with node:test and prints node's summary. Usage: run-tests.ts [substring ...]
// A substring narrows the run to files whose path contains it. A full run also checks
// docs/SPECIFICATION.md: every promise must name a test (`file › suite › test`) that passed in this run.
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { globSync } from 'node:fs';
import process from 'node:process';
import { finished } from 'node:stream/promises';
import { checkSpecification } from './specification.ts';

const filters = process.argv.slice(2);
const files = globSync(['packages/*/src/**/*.test.ts', 'scripts/**/*.test.ts', 'bench/**/*.test.ts'])
  .filter((f) => !f.includes('node_modules'))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

// The per-test timeout bounds a test that hangs; the watchdog bounds a file that never exits (a leaked
// handle). No forceExit: it ends a file before tests registered late have run, silently dropping them.
const stream = run({ files, concurrency: Number(process.env.TRC_TEST_CONCURRENCY ?? 2), timeout: 5 * 60_000 });
const watchdogMinutes = Number(process.env.TRC_TEST_WATCHDOG_MINUTES ?? 60);
const watchdog = setTimeout(() => {
  console.error(`test run still going after ${watchdogMinutes} minutes: a test file does not exit (leaked server or timer?)`);
  process.exit(1);
}, watchdogMinutes * 60_000);
watchdog.unref();

// The runner reports one file's events together, so a stack by nesting level gives each test's full name.
const stack: string[] = [];
const passed = new Map<string, Set<string>>();
stream.on('test:start', (d) => {
  stack.length = d.nesting;
  stack[d.nesting] = d.name;
});
stream.on('test:pass', (d) => {
  if (d.details.type === 'suite' || d.skip !== undefined || d.todo !== undefined) return;
  // A promise may name a test by its full name or by its last segments (without the enclosing suites).
  const chain = [...stack.slice(0, d.nesting), d.name];
  for (let i = 0; i < chain.length; i++) {
    const name = chain.slice(i).join(' › ');
    const where = passed.get(name) ?? new Set<string>();
    if (d.file !== undefined) where.add(d.file);
    passed.set(name, where);
  }
});
stream.on('test:fail', () => {
  process.exitCode = 1;
});
const out = stream.compose(spec);
out.pipe(process.stdout);
await finished(out);

if (filters.length === 0) {
  const problems = checkSpecification(passed);
  for (const p of problems) console.error(`docs/SPECIFICATION.md: ${p}`);
  if (problems.length > 0) process.exitCode = 1;
  else console.error('docs/SPECIFICATION.md: every promise names a test that passed in this run');
}
