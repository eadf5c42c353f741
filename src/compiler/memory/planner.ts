/**
 * Greedy arena planner in the manner of tflite-micro's GreedyMemoryPlanner. Buffers are registered with
 * addBuffer(size, firstUse, lastUse) (inclusive plan-step indices); plan() places every buffer at a byte
 * offset in one arena so that buffers alive at the same step never overlap:
 *   1. Round every size up to the alignment (16 bytes).
 *   2. Sort the buffers by size, largest first (ties: earlier firstUse, then registration order), so big
 *      buffers claim low offsets and small ones fill the gaps between them.
 *   3. For each buffer in that order, collect the already-placed buffers whose lifetimes intersect its own,
 *      sorted by offset.
 *   4. Walk those from offset 0 and take the first gap between them (or the end of the last one) that is
 *      large enough; place the buffer there.
 *   5. The arena size is the highest end offset of any buffer.
 *   6. Repeat 3-5 with a second order and keep the placement with the smaller arena. The second order
 *      follows the lifetimes: find the step where the most bytes are alive, take the buffers alive there
 *      (longest lifetime first), then do the same, recursively, for the buffers entirely before and entirely
 *      after that step. Long-lived small buffers (clamp masks, saved activations, gradient accumulators of
 *      residual blocks) then settle below the big short-lived gradients instead of above them.
 * checkOverlaps() verifies the result independently (every pair alive at a common step is disjoint) and
 * dumpPlan() prints one line per buffer with its offset range, lifetime and a bar of the steps it is alive.
 */

export const ARENA_ALIGN = 16;

export interface PlannedBuffer {
  size: number;
  firstUse: number;
  lastUse: number;
  offset: number;
  name?: string;
}

export const alignUp = (n: number, a = ARENA_ALIGN) => Math.ceil(n / a) * a;

export class GreedyPlanner {
  private readonly buffers: PlannedBuffer[] = [];

  /** Registers a buffer alive at steps firstUse..lastUse (inclusive); returns its index. */
  addBuffer(size: number, firstUse: number, lastUse: number, name?: string): number {
    if (!(size >= 0) || !(firstUse <= lastUse))
      throw new Error(`bad buffer ${name ?? ''}: size ${size}, life ${firstUse}..${lastUse}`);
    this.buffers.push({ size: alignUp(size), firstUse, lastUse, offset: -1, name });
    return this.buffers.length - 1;
  }

  /** Places every buffer (steps 2-6 of the header); returns the offsets (by index) and the arena size. */
  plan(): { offsets: number[]; arenaBytes: number } {
    const bs = this.buffers;
    const bySize = bs
      .map((_, i) => i)
      .sort((a, b) => bs[b].size - bs[a].size || bs[a].firstUse - bs[b].firstUse || a - b);
    const first = this.placeInOrder(bySize);
    const second = this.placeInOrder(this.pivotOrder(bs.map((_, i) => i)));
    const best = second.arenaBytes < first.arenaBytes ? second : first;
    best.offsets.forEach((o, i) => (bs[i].offset = o));
    return best;
  }

  /** Busiest step by live bytes first: buffers alive there (longest first), then both sides, recursively. */
  private pivotOrder(ids: number[]): number[] {
    const bs = this.buffers;
    const out: number[] = [];
    const work = [ids];
    while (work.length) {
      const set = work.pop()!;
      if (set.length === 0) continue;
      const lo = Math.min(...set.map((i) => bs[i].firstUse));
      const hi = Math.max(...set.map((i) => bs[i].lastUse));
      const delta = new Float64Array(hi - lo + 2);
      for (const i of set) ((delta[bs[i].firstUse - lo] += bs[i].size), (delta[bs[i].lastUse - lo + 1] -= bs[i].size));
      let pivot = lo;
      for (let t = lo, run = 0, most = -1; t <= hi; t++) {
        run += delta[t - lo];
        if (run > most) ((most = run), (pivot = t));
      }
      const life = (i: number) => bs[i].lastUse - bs[i].firstUse;
      out.push(
        ...set
          .filter((i) => bs[i].firstUse <= pivot && pivot <= bs[i].lastUse)
          .sort((a, b) => life(b) - life(a) || bs[b].size - bs[a].size || a - b),
      );
      work.push(
        set.filter((i) => bs[i].firstUse > pivot),
        set.filter((i) => bs[i].lastUse < pivot),
      );
    }
    return out;
  }

  /** Steps 3-5 for one order: first fit among the placed buffers whose lifetimes intersect. */
  private placeInOrder(order: number[]): { offsets: number[]; arenaBytes: number } {
    const bs = this.buffers;
    const offsets = new Array<number>(bs.length).fill(0);
    const placed: number[] = [];
    let arenaBytes = 0;
    for (const i of order) {
      const b = bs[i];
      const live = placed
        .filter((j) => bs[j].firstUse <= b.lastUse && b.firstUse <= bs[j].lastUse && bs[j].size > 0)
        .sort((x, y) => offsets[x] - offsets[y]);
      let offset = 0;
      for (const j of live) {
        if (offsets[j] >= offset + b.size) break;
        offset = Math.max(offset, offsets[j] + bs[j].size);
      }
      offsets[i] = offset;
      placed.push(i);
      arenaBytes = Math.max(arenaBytes, offset + b.size);
    }
    return { offsets, arenaBytes };
  }

  get all(): readonly PlannedBuffer[] {
    return this.buffers;
  }
}

export interface Placement {
  offset: number;
  bytes: number;
  firstStep: number;
  lastStep: number;
  name?: string;
}

/** Every pair of buffers alive at a common step must occupy disjoint byte ranges; returns the violations. */
export function checkOverlaps(buffers: readonly Placement[], arenaBytes?: number): string[] {
  const problems: string[] = [];
  const byStart = buffers
    .map((b, i) => ({ b, i }))
    .filter((x) => x.b.bytes > 0)
    .sort((x, y) => x.b.firstStep - y.b.firstStep);
  for (let p = 0; p < byStart.length; p++) {
    const a = byStart[p].b;
    if (a.offset % ARENA_ALIGN !== 0)
      problems.push(`${a.name ?? byStart[p].i}: offset ${a.offset} is not ${ARENA_ALIGN}-aligned`);
    if (arenaBytes !== undefined && a.offset + a.bytes > arenaBytes)
      problems.push(`${a.name ?? byStart[p].i}: ends at ${a.offset + a.bytes} beyond the arena (${arenaBytes})`);
    for (let q = p + 1; q < byStart.length && byStart[q].b.firstStep <= a.lastStep; q++) {
      const b = byStart[q].b;
      if (a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes) {
        problems.push(
          `${a.name ?? byStart[p].i} [${a.offset}, ${a.offset + a.bytes}) steps ${a.firstStep}-${a.lastStep} overlaps ${b.name ?? byStart[q].i} [${b.offset}, ${b.offset + b.bytes}) steps ${b.firstStep}-${b.lastStep}`,
        );
      }
    }
  }
  return problems;
}

/** Plain-text dump: one line per buffer (by offset) with its byte range, lifetime and a lifetime bar. */
export function dumpPlan(buffers: readonly Placement[], arenaBytes: number, steps: number, width = 60): string {
  const scale = steps > width ? width / steps : 1;
  const lines = [`arena ${arenaBytes} bytes, ${buffers.length} buffers, ${steps} steps`];
  const sorted = [...buffers].sort((a, b) => a.offset - b.offset || a.firstStep - b.firstStep);
  for (const b of sorted) {
    const from = Math.floor(b.firstStep * scale);
    const to = Math.max(from + 1, Math.ceil((b.lastStep + 1) * scale));
    const bar = ' '.repeat(from) + '#'.repeat(to - from);
    lines.push(
      `${String(b.offset).padStart(8)}..${String(b.offset + b.bytes).padEnd(8)} ${String(b.bytes).padStart(7)} B  steps ${String(b.firstStep).padStart(4)}-${String(b.lastStep).padEnd(4)} |${bar.padEnd(Math.ceil(steps * scale))}| ${b.name ?? ''}`,
    );
  }
  return lines.join('\n');
}
