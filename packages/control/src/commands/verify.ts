// Where two projections differ, in a stable shape `admin verify` reports: which projection, which key, which
// field. Values are never reported: a projection holds token hashes and sealed bundles.
import { TrcError } from '@trc/core';
import { canonicalState, type ControlState } from '../state/state.ts';

export interface ProjectionDifference {
  /** A top-level projection of ControlState: `apps`, `instances`, `versions`, `settings`, ... */
  readonly projection: string;
  /** The entry's key in a keyed projection (app name, instance id, aggregate id); null for a single-valued one. */
  readonly key: string | null;
  /** Dotted path of the first differing field inside the entry; '' when the entry exists on one side only. */
  readonly field: string;
  readonly kind: 'only-live' | 'only-replayed' | 'differs';
}

export const MAX_DIFFERENCES = 50;

export interface VerifyResult {
  readonly ok: boolean;
  /** The live projection's last seq, up to which the log was replayed. */
  readonly seq: number;
  readonly events: number;
  /** Empty when ok; at most MAX_DIFFERENCES, `truncated` when there were more. */
  readonly differences: readonly ProjectionDifference[];
  readonly truncated?: boolean;
}

/**
 * The error `POST /v1/admin/verify` answers drift with: one problem per difference, its path
 * `<projection>[.<key>]` and its message naming the field, plus the structured list in `details`.
 */
export function projectionDrift(result: VerifyResult): TrcError {
  const where = (d: ProjectionDifference): string => (d.key === null ? d.projection : `${d.projection}.${d.key}`);
  const what = (d: ProjectionDifference): string =>
    d.kind === 'only-live' ? 'only in the live state' : d.kind === 'only-replayed' ? 'only in the replayed log' : `differs at ${d.field === '' ? 'the value itself' : d.field}`;
  const problems = result.differences.map((d) => ({ path: where(d), code: 'TRC_PROJECTION_DRIFT' as const, message: what(d) }));
  const first = result.differences.slice(0, 3).map((d) => `${where(d)} (${what(d)})`).join('; ');
  return new TrcError('TRC_PROJECTION_DRIFT', `the projection does not match the replayed log at seq ${result.seq}: ${result.differences.length}${result.truncated === true ? '+' : ''} difference(s)`, {
    hint: `${first}. Stop writers and restart the control plane (it rebuilds its state from the log), and report this`,
    problems,
    details: { differences: result.differences, truncated: result.truncated === true },
  });
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** The first path at which two JSON values differ ('' for the values themselves), or undefined if equal. */
function firstDifference(a: Json, b: Json, path: string): string | undefined {
  if (a === b) return undefined;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return path;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (i >= a.length || i >= b.length) return join(path, String(i));
      const d = firstDifference(a[i]!, b[i]!, join(path, String(i)));
      if (d !== undefined) return d;
    }
    return undefined;
  }
  const x = a as { [k: string]: Json };
  const y = b as { [k: string]: Json };
  for (const k of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) {
    if (!(k in x) || !(k in y)) return join(path, k);
    const d = firstDifference(x[k]!, y[k]!, join(path, k));
    if (d !== undefined) return d;
  }
  return undefined;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** Keyed projections are canonicalised as sorted [key, value] pairs. */
function asEntries(value: Json): Map<string, Json> | undefined {
  if (!Array.isArray(value) || !value.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string')) return undefined;
  return new Map((value as [string, Json][]).map(([k, v]) => [k, v]));
}

/** Every difference between the live and the replayed state, up to `max`, in projection then key order. */
export function projectionDifferences(live: ControlState, replayed: ControlState, max = MAX_DIFFERENCES): { differences: ProjectionDifference[]; truncated: boolean } {
  const a = JSON.parse(JSON.stringify(canonicalState(live))) as Record<string, Json>;
  const b = JSON.parse(JSON.stringify(canonicalState(replayed))) as Record<string, Json>;
  const out: ProjectionDifference[] = [];
  let truncated = false;
  const push = (d: ProjectionDifference): void => {
    if (out.length < max) out.push(d);
    else truncated = true;
  };
  for (const projection of Object.keys(a)) {
    const x = a[projection]!;
    const y = b[projection]!;
    const ex = asEntries(x);
    const ey = asEntries(y);
    // An empty keyed projection is an empty list, which reads as keyed too.
    if (ex !== undefined && ey !== undefined) {
      compareKeyed(projection, ex, ey, push);
      continue;
    }
    const field = firstDifference(x, y, '');
    if (field !== undefined) push({ projection, key: null, field, kind: 'differs' });
  }
  return { differences: out, truncated };
}

function compareKeyed(projection: string, live: Map<string, Json>, replayed: Map<string, Json>, push: (d: ProjectionDifference) => void): void {
  for (const key of [...new Set([...live.keys(), ...replayed.keys()])].sort()) {
    if (!replayed.has(key)) push({ projection, key, field: '', kind: 'only-live' });
    else if (!live.has(key)) push({ projection, key, field: '', kind: 'only-replayed' });
    else {
      const field = firstDifference(live.get(key)!, replayed.get(key)!, '');
      if (field !== undefined) push({ projection, key, field, kind: 'differs' });
    }
  }
}
