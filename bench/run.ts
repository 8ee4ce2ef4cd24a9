// Runs every benchmark (`bench/*.bench.ts`) in its own process, one after another, so they do not
// compete for the machine. `make bench B=scheduler` runs only those whose file name contains "scheduler".
import { globSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import process from 'node:process';

const filter = process.env.B ?? process.argv[2] ?? '';
const files = globSync('bench/*.bench.ts').filter((f) => f.includes(filter)).sort();
if (files.length === 0) {
  console.error(`no benchmark matches "${filter}"`);
  process.exit(1);
}
let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file}`);
  const r = spawnSync(process.execPath, [file], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
