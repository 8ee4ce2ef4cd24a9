// Nomad's ScoreFitBinPack (nomad/structs/funcs.go), normalised to [0, 1]: prefer the node that the
// placement leaves fullest, weighing cpu and memory alike; exponential, so a nearly full node stands out.

/**
 * Score of a node once an instance is on it, from its allocatable and remaining free cpu and memory.
 * 20 - (10^freeCpu% + 10^freeMem%) lies in [0, 18] (18 = both full); divided by 18.
 */
export function binpackScore(allocCpu: number, freeCpuAfter: number, allocMem: number, freeMemAfter: number): number {
  const freeCpuPct = allocCpu > 0 ? freeCpuAfter / allocCpu : 0;
  const freeMemPct = allocMem > 0 ? freeMemAfter / allocMem : 0;
  const raw = 20 - (10 ** freeCpuPct + 10 ** freeMemPct);
  return Math.min(18, Math.max(0, raw)) / 18;
}
