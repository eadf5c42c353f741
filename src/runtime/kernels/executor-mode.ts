/**
 * Split or whole: which way the executor runs a sub-plan on kernel threads, chosen by timing both. Splitting
 * pays only while the other threads get a core; on a machine whose cores are busy with other work a kernel
 * thread that is descheduled in the middle of its part holds the step up, and the step is faster whole on this
 * thread. Both ways give bit-identical results (executor-split.ts), so the executor may switch at any run.
 *
 * Every `period` runs, from run `warm` on, the runs over one step range (the first such run's range) alternate
 * split and whole until each way has `probe` of them; the way with the smaller total time is used until the
 * next window. Runs over other ranges (a prefix cache's partial runs) use the current way and are not timed.
 */
export interface ModeWindow {
  period: number;
  probe: number;
  warm: number;
}

/** About one window of 16 timed runs every 256: at most 3% of the runs go the slower way. */
export const MODE_WINDOW: ModeWindow = { period: 256, probe: 8, warm: 16 };

export class ThreadMode {
  /** The way runs go outside a window. */
  split = true;
  /** Runs so far, and those that ran split. */
  runs = 0;
  splitRuns = 0;
  private key: string | null = null;
  private readonly ms = [0, 0];
  private readonly count = [0, 0];
  /** The way of the run in progress when it is timed (0 split, 1 whole), else -1. */
  private current = -1;

  constructor(private readonly w: ModeWindow = MODE_WINDOW) {}

  /** Whether the run over `key` (its step range) starting now runs split; call end() when it is done. */
  begin(key: string): boolean {
    if (this.runs++ % this.w.period === this.w.warm) {
      this.key = key;
      this.ms.fill(0);
      this.count.fill(0);
    }
    this.current = -1;
    if (this.key === key) this.current = this.count[0] <= this.count[1] ? 0 : 1;
    const split = this.current < 0 ? this.split : this.current === 0;
    if (split) this.splitRuns++;
    return split;
  }

  /** The run started by the last begin() took `ms` milliseconds. */
  end(ms: number): void {
    if (this.current < 0) return;
    this.ms[this.current] += ms;
    this.count[this.current]++;
    if (this.count[0] >= this.w.probe && this.count[1] >= this.w.probe) {
      this.split = this.ms[0] <= this.ms[1];
      this.key = null;
    }
  }
}
