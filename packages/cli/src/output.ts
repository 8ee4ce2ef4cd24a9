// How commands print: aligned tables for people, one JSON document for scripts.
import type { CliIo } from './command.ts';

export type Cell = string | number | boolean | null | undefined;

/** Columns padded to their widest cell; an empty list prints the header and "(none)". */
export function printTable(io: CliIo, headers: readonly string[], rows: readonly (readonly Cell[])[]): void {
  const text = rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  io.stdout(`${line(headers)}\n`);
  for (const r of text) io.stdout(`${line(r)}\n`);
  if (rows.length === 0) io.stdout('(none)\n');
}

/** `key: value` lines, for one object. */
export function printFields(io: CliIo, fields: readonly (readonly [string, Cell])[]): void {
  const width = Math.max(...fields.map(([k]) => k.length));
  for (const [k, v] of fields) io.stdout(`${`${k}:`.padEnd(width + 1)} ${v === null || v === undefined ? '-' : String(v)}\n`);
}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value)}\n`);
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '-';
  for (const [unit, size] of [['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}
