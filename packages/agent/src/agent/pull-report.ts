// Turns an image pull's per-blob progress into the per-instance summary the control plane shows (phase,
// layers done, bytes), throttled: a report at each phase change and at most one per interval in between,
// so a large pull costs the control plane a few requests a second, never one per chunk.
import type { PullPhase, PullProgress as PullProgressReport } from '@trc/core';
import type { PullProgress, PulledImage } from '../image/index.ts';

export type PullReportPhase = PullPhase;

/** The body of `PUT /v1/nodes/:node/instances/:instance/progress`. */
export type PullReport = PullProgressReport;

export interface PullReporterOptions {
  readonly image: string;
  /** Milliseconds, monotonic (performance.now in the agent; a counter in tests). */
  readonly now: () => number;
  readonly send: (report: PullReport) => void;
  /** Default 500 ms. */
  readonly intervalMs?: number;
}

export class PullReporter {
  readonly #o: PullReporterOptions;
  readonly #started: number;
  #phase: PullReportPhase = 'resolving';
  #layers = 0;
  #bytesTotal = 0;
  /** The first blob after `resolved` is the image config: neither a layer nor counted in the bytes. */
  #config: string | undefined;
  readonly #layerDone = new Map<string, number>();
  readonly #finished = new Set<string>();
  #downloaded = false;
  #lastSent = -Infinity;
  #lastPhase: PullReportPhase | undefined;

  constructor(options: PullReporterOptions) {
    this.#o = options;
    this.#started = options.now();
  }

  /** Feed every event of ImagePuller's onProgress (pull, then unpack). */
  onProgress(event: PullProgress): void {
    switch (event.phase) {
      case 'resolving':
        this.#phase = 'resolving';
        break;
      case 'resolved':
        this.#layers = event.layers;
        this.#bytesTotal = event.layerBytes;
        break;
      case 'cached':
      case 'downloading':
      case 'verifying': {
        this.#config ??= event.digest;
        if (event.digest === this.#config) return;
        if (event.phase === 'downloading') {
          this.#downloaded = true;
          this.#layerDone.set(event.digest, event.done);
          this.#phase = 'downloading';
        } else {
          this.#layerDone.set(event.digest, event.total);
          this.#finished.add(event.digest);
          if (event.phase === 'verifying') this.#phase = 'verifying';
        }
        break;
      }
      case 'unpacking':
        this.#phase = 'unpacking';
        break;
      case 'done':
        return;
    }
    this.#emit(false);
  }

  /**
   * The pull is over (the image unpacked or its shared tree found): reports `pulled` with the duration. A pull
   * another instance's start ran sent no events here: it counts as cached (nothing downloaded for this one).
   */
  finish(image: Pick<PulledImage, 'layers'>): void {
    // A pull shared with another instance's start sent no events here: the image tells the totals.
    if (this.#layers === 0) {
      this.#layers = image.layers.length;
      this.#bytesTotal = image.layers.reduce((sum, l) => sum + l.size, 0);
    }
    this.#phase = 'pulled';
    this.#emit(true, Math.round(this.#o.now() - this.#started));
  }

  #emit(force: boolean, durationMs?: number): void {
    const now = this.#o.now();
    const phaseChanged = this.#phase !== this.#lastPhase;
    if (!force && !phaseChanged && now - this.#lastSent < (this.#o.intervalMs ?? 500)) return;
    this.#lastSent = now;
    this.#lastPhase = this.#phase;
    const pulled = this.#phase === 'pulled';
    const bytesDone = pulled ? this.#bytesTotal : [...this.#layerDone.values()].reduce((a, b) => a + b, 0);
    this.#o.send({
      phase: this.#phase,
      image: this.#o.image,
      layers: this.#layers,
      layersDone: pulled ? this.#layers : Math.min(this.#finished.size, this.#layers),
      bytesDone: Math.min(bytesDone, this.#bytesTotal),
      bytesTotal: this.#bytesTotal,
      cached: !this.#downloaded,
      ...(durationMs === undefined ? {} : { durationMs }),
    });
  }
}
