// The image pull of each instance of a followed deploy, as its node agent reports it to the control plane
// (`GET /v1/apps/:app/instances/:id/progress`): one line per instance, redrawn in place on a terminal and
// printed as a plain line at each change otherwise, ending "pulled (cached)" or "pulled 20.1 MiB in 2.3s".
import type { CliIo } from '../command.ts';
import type { PullProgress } from '@trc/core';
import type { ApiClient } from '../api/client.ts';
import { seg } from './common.ts';

export type PullProgressView = PullProgress;

/** How often a followed deploy asks for progress. */
export const PROGRESS_POLL_MS = 500;

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

/** `registry/name@sha256:ab12…`: the digest cut to its first four hex digits. */
export function shortImage(image: string): string {
  const m = /^(.*@sha256:[0-9a-f]{4})[0-9a-f]{5,}$/.exec(image);
  return m === null ? image : `${m[1]}…`;
}

export function describePull(label: string, p: PullProgressView): string {
  const image = shortImage(p.image);
  switch (p.phase) {
    case 'resolving':
      return `${label} resolving ${image}`;
    case 'downloading':
    case 'verifying':
      return `${label} pulling ${image} ${p.layersDone}/${p.layers} layers ${mib(p.bytesDone)}/${mib(p.bytesTotal)} MiB`;
    case 'unpacking':
      return `${label} unpacking ${image} ${p.layers} layers ${mib(p.bytesTotal)} MiB`;
    case 'pulled':
      return p.cached ? `${label} pulled (cached)` : `${label} pulled ${mib(p.bytesTotal)} MiB in ${((p.durationMs ?? 0) / 1000).toFixed(1)}s`;
  }
}

interface Tracked {
  readonly label: string;
  text: string | undefined;
  final: boolean;
}

export class PullProgressDisplay {
  readonly #io: CliIo;
  readonly #tty: boolean;
  readonly #tracked = new Map<string, Tracked>();
  readonly #perType = new Map<string, number>();
  /** On a terminal: the lines drawn since the last other output, redrawn in place. */
  #block: Tracked[] = [];
  readonly #committed = new Set<Tracked>();

  constructor(io: CliIo) {
    this.#io = io;
    this.#tty = io.stderrIsTTY === true;
  }

  /** An instance to show, labelled `<process>.<n>` in the order they are placed. */
  track(id: string, processType: string): void {
    if (this.#tracked.has(id)) return;
    const n = (this.#perType.get(processType) ?? 0) + 1;
    this.#perType.set(processType, n);
    this.#tracked.set(id, { label: `${processType}.${n}`, text: undefined, final: false });
  }

  /** Asks for every unfinished instance's progress and shows what changed. Never throws: progress is a nicety. */
  async poll(client: ApiClient, app: string): Promise<void> {
    let changed = false;
    for (const [id, t] of this.#tracked) {
      if (t.final) continue;
      const res = await client.call<{ progress: PullProgressView | null }>('GET', `/apps/${seg(app)}/instances/${seg(id)}/progress`).catch(() => undefined);
      const p = res?.progress;
      if (p === undefined || p === null) continue;
      const text = describePull(t.label, p);
      t.final = p.phase === 'pulled';
      if (text === t.text) continue;
      t.text = text;
      changed = true;
      if (!this.#tty) this.#io.stderr(`  ${text}\n`);
    }
    if (changed && this.#tty) this.#redraw();
  }

  /** Call before other output on standard error: the lines drawn so far stay, the next ones start below. */
  breakLine(): void {
    for (const t of this.#block) if (t.final) this.#committed.add(t);
    this.#block = [];
  }

  #redraw(): void {
    // Finished lines left above other output are not drawn again; the rest are redrawn in place.
    const shown = [...this.#tracked.values()].filter((t) => t.text !== undefined && !this.#committed.has(t));
    let out = this.#block.length > 0 ? `\x1b[${this.#block.length}A` : '';
    for (const t of shown) out += `\r\x1b[2K  ${t.text}\n`;
    this.#block = shown;
    this.#io.stderr(out);
  }
}
