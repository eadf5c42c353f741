/**
 * Split or whole: which way the executor runs a sub-plan on kernel threads, chosen by timing both. Splitting
 * pays only while the other threads get a core; on a machine whose cores are busy with other work a kernel
 * thread that is descheduled in the middle of its part holds the step up, and the step is faster whole on this
 * thread. Both ways give bit-identical results (executor-split.ts), so the executor may switch at any run.
 *
 * Every `period` runs, from run `warm` on, the runs over one step range (the first such run's range) go in four
 * blocks of `block` runs: split, whole, split, whole. The way with the smaller mean time is used until the next
 * window. The first run of a split block is not timed: a kernel thread that slept through the whole runs before
 * it is woken in it, which on a busy machine may take a scheduler slice. Runs over other ranges (a prefix cache's
 * partial runs) use the current way and are not timed.
 */
export interface ModeWindow {
  period: number;
  block: number;
  warm: number;
}

/** One window of 16 runs every 256: at most 3% of the runs go the slower way. */
export const MODE_WINDOW: ModeWindow = { period: 256, block: 4, warm: 16 };

export class ThreadMode {
  /** The way runs go outside a window. */
  split = true;
  /** Runs so far, and those that ran split. */
  runs = 0;
  splitRuns = 0;
  private key: string | null = null;
  /** Runs of the window so far. */
  private q = 0;
  private readonly ms = [0, 0];
  private readonly count = [0, 0];
  /** The way of the run in progress when it is timed (0 split, 1 whole), else -1. */
  private current = -1;

  constructor(private readonly w: ModeWindow = MODE_WINDOW) {}

  /** Whether the run over `key` (its step range) starting now runs split; call end() when it is done. */
  begin(key: string): boolean {
    if (this.runs++ % this.w.period === this.w.warm) {
      this.key = key;
      this.q = 0;
      this.ms.fill(0);
      this.count.fill(0);
    }
    let split = this.split;
    this.current = -1;
    if (this.key === key) {
      const way = Math.floor(this.q / this.w.block) % 2;
      split = way === 0;
      if (!(split && this.q % this.w.block === 0)) this.current = way;
      if (++this.q === 4 * this.w.block) this.key = null;
      if (this.key === null) this.decideAfter = true;
    }
    if (split) this.splitRuns++;
    return split;
  }

  private decideAfter = false;

  /** The run started by the last begin() took `ms` milliseconds. */
  end(ms: number): void {
    if (this.current >= 0) {
      this.ms[this.current] += ms;
      this.count[this.current]++;
    }
    if (this.decideAfter) {
      this.decideAfter = false;
      if (this.count[0] > 0 && this.count[1] > 0) this.split = this.ms[0] / this.count[0] <= this.ms[1] / this.count[1];
    }
  }
}
