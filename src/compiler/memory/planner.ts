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
    if (!(size >= 0) || !(firstUse <= lastUse)) throw new Error(`bad buffer ${name ?? ''}: size ${size}, life ${firstUse}..${lastUse}`);
    this.buffers.push({ size: alignUp(size), firstUse, lastUse, offset: -1, name });
    return this.buffers.length - 1;
  }

  /** Places every buffer (steps 2-5 of the header); returns the offsets (by index) and the arena size. */
  plan(): { offsets: number[]; arenaBytes: number } {
    const order = this.buffers.map((_, i) => i);
    const bs = this.buffers;
    order.sort((a, b) => bs[b].size - bs[a].size || bs[a].firstUse - bs[b].firstUse || a - b);
    const placed: number[] = [];
    let arenaBytes = 0;
    for (const i of order) {
      const b = bs[i];
      const live = placed
        .filter((j) => bs[j].firstUse <= b.lastUse && b.firstUse <= bs[j].lastUse && bs[j].size > 0)
        .sort((x, y) => bs[x].offset - bs[y].offset);
      let offset = 0;
      for (const j of live) {
        if (bs[j].offset >= offset + b.size) break;
        offset = Math.max(offset, bs[j].offset + bs[j].size);
      }
      b.offset = offset;
      placed.push(i);
      arenaBytes = Math.max(arenaBytes, offset + b.size);
    }
    return { offsets: bs.map((b) => b.offset), arenaBytes };
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
  const byStart = buffers.map((b, i) => ({ b, i })).filter((x) => x.b.bytes > 0).sort((x, y) => x.b.firstStep - y.b.firstStep);
  for (let p = 0; p < byStart.length; p++) {
    const a = byStart[p].b;
    if (a.offset % ARENA_ALIGN !== 0) problems.push(`${a.name ?? byStart[p].i}: offset ${a.offset} is not ${ARENA_ALIGN}-aligned`);
    if (arenaBytes !== undefined && a.offset + a.bytes > arenaBytes) problems.push(`${a.name ?? byStart[p].i}: ends at ${a.offset + a.bytes} beyond the arena (${arenaBytes})`);
    for (let q = p + 1; q < byStart.length && byStart[q].b.firstStep <= a.lastStep; q++) {
      const b = byStart[q].b;
      if (a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes) {
        problems.push(`${a.name ?? byStart[p].i} [${a.offset}, ${a.offset + a.bytes}) steps ${a.firstStep}-${a.lastStep} overlaps ${b.name ?? byStart[q].i} [${b.offset}, ${b.offset + b.bytes}) steps ${b.firstStep}-${b.lastStep}`);
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
    lines.push(`${String(b.offset).padStart(8)}..${String(b.offset + b.bytes).padEnd(8)} ${String(b.bytes).padStart(7)} B  steps ${String(b.firstStep).padStart(4)}-${String(b.lastStep).padEnd(4)} |${bar.padEnd(Math.ceil(steps * scale))}| ${b.name ?? ''}`);
  }
  return lines.join('\n');
}
