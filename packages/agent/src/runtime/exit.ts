// Turns what a driver observed when an instance ended (exit status, OOM counter, whether we asked it to stop)
// into the one ExitInfo every driver reports.
import { constants } from 'node:os';
import { formatMemory } from '@trc/core';
import type { ExitInfo } from './runtime.ts';

export interface ExitObservation {
  /** Exit status as a shell reports it (128 + signal for a signal); undefined when unknown. */
  readonly status: number | undefined;
  /** OOM kills counted in the instance's memory cgroup; undefined when the kernel has no such counter or it could not be read. */
  readonly oomKills: number | undefined;
  /** Times the cgroup's usage hit the cap; only consulted when there is no OOM counter. */
  readonly limitHits?: number;
  readonly memoryLimitBytes: number;
  /** Set when the driver sent the stop signals: how it ended the instance. */
  readonly stop?: { readonly graceMs: number; readonly escalated: boolean };
}

const SIGNAL_NAMES = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n, name]));

/**
 * An OOM kill wins over everything else: the kernel killed the instance for its cap, even if a stop was under
 * way. Without an OOM counter, a SIGKILL nobody asked for after the cap was hit is taken as one. Then a
 * requested stop, then a signal, then a plain exit. (A process that exits with 129..159 itself reads as
 * killed by a signal: runc reports signals that way, so the two cannot be told apart.)
 */
export function classifyExit(o: ExitObservation): ExitInfo {
  const signal = o.status !== undefined && o.status > 128 ? SIGNAL_NAMES.get(o.status - 128) : undefined;
  const base = { exitCode: o.status, ...(signal === undefined ? {} : { signal }) };
  const inferred = o.oomKills === undefined && signal === 'SIGKILL' && o.stop?.escalated !== true && (o.limitHits ?? 0) > 0;
  if ((o.oomKills ?? 0) > 0 || inferred) {
    return { ...base, reason: 'memory limit exceeded', memoryLimitBytes: o.memoryLimitBytes, message: `memory limit exceeded (cap ${formatMemory(o.memoryLimitBytes)})` };
  }
  if (o.stop !== undefined) {
    const how = o.stop.escalated ? `killed with SIGKILL after the ${o.stop.graceMs}ms grace period` : 'ended after SIGTERM';
    return { ...base, reason: 'stopped', message: `stopped: ${how}` };
  }
  if (o.status === undefined) return { ...base, reason: 'unknown', message: 'stopped while nobody was watching; exit status unknown' };
  if (signal !== undefined) return { ...base, reason: 'killed', message: `killed by ${signal}` };
  return { ...base, reason: 'exited', message: `exited with code ${o.status}` };
}
