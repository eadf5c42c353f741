/**
 * Which way the executor runs a sub-plan, chosen by timing them: on kernel threads (split, executor-split.ts, or
 * pipelined by the frozen prefix, executor-pipeline.ts) or whole on this thread. The class times any number of
 * ways; the executor uses these two.
 * Threads pay only while the other threads get a core; on a machine whose cores are busy with other work a
 * kernel thread that is descheduled in the middle of its part holds the step up, and the step is faster whole.
 * Every way gives bit-identical results, so the executor may switch at any run.
 *
 * Every `period` runs, from run `warm` on, the runs over one step range (the first such run's range) go in
 * blocks of `block` runs, each way in turn, twice: for two ways split, whole, split, whole. The way with the
 * smallest median time is used until the next window (a median: one run that the OS held up does not decide;
 * a busy machine that holds up most threaded runs does). The first run of a threaded block (every way but the last,
 * whole) is not timed: a kernel thread that slept through the runs before it is woken in it, which on a busy
 * machine may take a scheduler slice. Runs over other ranges (a prefix cache's partial runs) use the current
 * way and are not timed.
 */
export interface ModeWindow {
  period: number;
  block: number;
  warm: number;
}

/** One window of 16 runs every 256 (24 with three ways): at most 3-6% of the runs go a slower way. */
export const MODE_WINDOW: ModeWindow = { period: 256, block: 4, warm: 16 };

/** The median of `xs` (the mean of the middle two for an even count; NaN for none). */
export function medianOf(xs: readonly number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Windows ThreadMode.history keeps. */
const HISTORY = 64;

export class ThreadMode {
  /** The way runs go outside a window: 0 .. ways - 1, the last one whole. */
  way = 0;
  /** Runs so far, and those that ran on threads (any way but whole). */
  runs = 0;
  splitRuns = 0;
  /** The last windows' medians (ms, by way) and the way each chose, oldest first (at most HISTORY). */
  readonly history: { medians: number[]; way: number }[] = [];
  private key: string | null = null;
  /** Runs of the window so far. */
  private q = 0;
  /** Times of the window's timed runs, by way. */
  private readonly ms: number[][];
  /** The way of the run in progress when it is timed, else -1. */
  private current = -1;
  private decideAfter = false;

  constructor(
    private readonly w: ModeWindow = MODE_WINDOW,
    readonly ways = 2,
  ) {
    this.ms = Array.from({ length: ways }, () => []);
  }

  /** Whether runs go on threads (the first way) outside a window; false: whole. */
  get split(): boolean {
    return this.way !== this.ways - 1;
  }

  set split(on: boolean) {
    this.way = on ? 0 : this.ways - 1;
  }

  /** The way of the run over `key` (its step range) starting now; call end() when it is done. */
  begin(key: string): number {
    if (this.runs++ % this.w.period === this.w.warm) {
      this.key = key;
      this.q = 0;
      this.ms.forEach((m) => (m.length = 0));
    }
    let way = this.way;
    this.current = -1;
    if (this.key === key) {
      way = Math.floor(this.q / this.w.block) % this.ways;
      if (!(way !== this.ways - 1 && this.q % this.w.block === 0)) this.current = way;
      if (++this.q === 2 * this.ways * this.w.block) {
        this.key = null;
        this.decideAfter = true;
      }
    }
    if (way !== this.ways - 1) this.splitRuns++;
    return way;
  }

  /** The run started by the last begin() took `ms` milliseconds. */
  end(ms: number): void {
    if (this.current >= 0) this.ms[this.current].push(ms);
    if (this.decideAfter) {
      this.decideAfter = false;
      if (this.ms.every((m) => m.length > 0)) {
        const median = this.ms.map(medianOf);
        this.way = median.indexOf(Math.min(...median));
        if (this.history.push({ medians: median, way: this.way }) > HISTORY) this.history.shift();
      }
    }
  }
}
