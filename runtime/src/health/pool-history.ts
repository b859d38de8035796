/**
 * Recent pool counters for the performance insights: the pool's cumulative
 * `timeouts` and `overflowOpened` are sampled periodically, and "recent" is
 * the difference between now and the oldest sample inside the window (or the
 * first sample, taken at server start, while the server is younger than the window).
 */
import type { PoolSnapshot } from '../pool/pool-types.js';

/** Counter increases over the window. */
export interface RecentPoolActivity {
  readonly windowMillis: number;
  readonly timeouts: number;
  readonly overflowOpened: number;
  readonly connectionErrors: number;
}

interface Sample {
  readonly at: number;
  readonly timeouts: number;
  readonly overflowOpened: number;
  readonly connectionErrors: number;
}

/** Samples kept per window: bounded whatever the window and period. */
const MAX_SAMPLES = 512;

/** Keeps samples of a pool's counters over a sliding window. */
export class PoolHistory {
  private readonly samples: Sample[] = [];

  constructor(
    private readonly snapshot: () => PoolSnapshot,
    readonly windowMillis: number,
    private readonly now: () => number = Date.now,
  ) {
    this.sample();
  }

  /** Records the current counters and forgets samples no longer needed as a baseline. */
  sample(): void {
    const snapshot = this.snapshot();
    const at = this.now();
    this.samples.push({
      at,
      timeouts: snapshot.timeouts,
      overflowOpened: snapshot.overflowOpened,
      connectionErrors: snapshot.connectionErrors,
    });
    // Keep one sample at or before the window start as the baseline.
    while (this.samples.length > 1 && (this.samples[1] as Sample).at <= at - this.windowMillis)
      this.samples.shift();
    if (this.samples.length > MAX_SAMPLES) this.samples.splice(1, 1);
  }

  /** Increases of the counters between the window's baseline and now. */
  recent(): RecentPoolActivity {
    const snapshot = this.snapshot();
    const cutoff = this.now() - this.windowMillis;
    let base = this.samples[0] as Sample;
    for (const candidate of this.samples) if (candidate.at <= cutoff) base = candidate;
    return {
      windowMillis: this.windowMillis,
      timeouts: snapshot.timeouts - base.timeouts,
      overflowOpened: snapshot.overflowOpened - base.overflowOpened,
      connectionErrors: snapshot.connectionErrors - base.connectionErrors,
    };
  }
}
