// Picks a backend for a new connection: power of two choices on active connections.

/** What the balancer needs to know about a candidate backend. */
export interface Candidate {
  readonly activeConnections: number;
}

/** A source of uniform numbers in [0, 1); injected so tests are deterministic. */
export type Random = () => number;

/**
 * Samples two distinct candidates at random and returns the one with fewer active connections (the
 * first on a tie). Two choices spread load almost as well as least-connections while avoiding the herd
 * that least-connections causes when many connections arrive between updates.
 */
export function pickTwoChoices<T extends Candidate>(candidates: readonly T[], random: Random): T | undefined {
  const n = candidates.length;
  if (n === 0) return undefined;
  if (n === 1) return candidates[0];
  const i = Math.min(n - 1, Math.floor(random() * n));
  let j = Math.min(n - 2, Math.floor(random() * (n - 1)));
  if (j >= i) j += 1;
  const a = candidates[i]!;
  const b = candidates[j]!;
  return b.activeConnections < a.activeConnections ? b : a;
}

/** A small deterministic generator (mulberry32) for tests and for seeding from the host's randomness. */
export function seededRandom(seed: number): Random {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
