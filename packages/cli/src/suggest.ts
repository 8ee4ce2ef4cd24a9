// "Did you mean ...?" for mistyped nouns, verbs and flags: the CLI's policy over core's edit distance
// (a flag's dashes do not widen the typo reach, and a prefix counts only when it is unambiguous).
import { editDistance } from '@trc/core';

/** The closest candidate within a typo's reach (about one edit per three letters), or a unique prefix match. */
export function didYouMean(input: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const prefixed: string[] = [];
  for (const c of candidates) {
    if (input.length > 0 && c.startsWith(input)) prefixed.push(c);
    const d = editDistance(input.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  if (best !== undefined && bestDistance <= Math.max(1, Math.floor(input.replace(/^-+/, '').length / 3))) return best;
  return prefixed.length === 1 ? prefixed[0] : undefined;
}
