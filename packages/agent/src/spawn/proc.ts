// Reading /proc/<pid>/stat: the fields after the command name, and the processes below a pid.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The fields of a /proc/<pid>/stat line after the command name, from `state` on (so index 1 is the parent's
 * pid, 19 the start time): the name may hold spaces and parentheses, and the last ')' ends it.
 */
export function procStatFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** The processes below `pid` (children, theirs, ...), not `pid` itself, from one pass over /proc. */
export function descendantsOf(pid: number, procRoot = '/proc'): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync(procRoot)) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(path.join(procRoot, entry, 'stat'), 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const ppid = Number(procStatFields(stat)[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const found: number[] = [];
  const queue = [...(children.get(pid) ?? [])];
  for (let i = 0; i < queue.length && i < 10_000; i++) {
    const p = queue[i]!;
    found.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return found;
}
