// Checks docs/SPECIFICATION.md against a test run: every promise names a test that passed.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');

/** The `file › name` references of every row of the specification. */
export function specificationReferences(text: string): { line: number; file: string; name: string }[] {
  const refs: { line: number; file: string; name: string }[] = [];
  text.split('\n').forEach((row, i) => {
    if (!row.startsWith('|')) return;
    for (const m of row.matchAll(/`([\w./-]+\.test\.ts) › ([^`]+)`/g)) refs.push({ line: i + 1, file: m[1]!, name: m[2]! });
  });
  return refs;
}

/**
 * `passed` maps a test's name (`suite › test`, or its last segments) to the files its test() calls stand in. A reference
 * matches when that name passed and was declared in the named file, or in a module the named file imports
 * (a shared conformance suite run by several test files).
 */
export function checkSpecification(passed: ReadonlyMap<string, ReadonlySet<string>>, specPath = path.join(ROOT, 'docs/SPECIFICATION.md')): string[] {
  const problems: string[] = [];
  const refs = specificationReferences(readFileSync(specPath, 'utf8'));
  if (refs.length === 0) problems.push('names no test at all');
  for (const ref of refs) {
    const file = path.join(ROOT, ref.file);
    if (!existsSync(file)) {
      problems.push(`line ${ref.line}: ${ref.file} does not exist`);
      continue;
    }
    const where = passed.get(ref.name);
    if (where === undefined) {
      problems.push(`line ${ref.line}: no test named "${ref.name}" passed in this run`);
      continue;
    }
    const source = readFileSync(file, 'utf8');
    const declaredThere = [...where].some((f) => f === file || source.includes(`/${path.basename(f)}'`) || source.includes(`/${path.basename(f)}"`));
    if (!declaredThere) problems.push(`line ${ref.line}: "${ref.name}" passed, but not in ${ref.file}`);
  }
  return problems;
}
