/**
 * Band schedule of a fused chain of conv-like stages (frozen-prefix fusion). The last stage's output rows are
 * produced `bandRows` at a time; walking the chain backwards gives, for every stage, the output rows it must
 * have computed so its consumer can read its window:
 *   stage i computing output rows [d_i, b] reads input rows [max(0, d_i*s - pad), min(in_h - 1, b*s - pad + k - 1)]
 * Then every stage computes the rows it still owes, in chain order, over ring buffers: logical row r of an
 * intermediate tensor lives at physical row r % ring. A ring must hold every row from the lowest one its
 * consumer reads in a band to the highest one already produced, so ring_i = max over bands of
 * (rows produced by stage i) - (lowest row read by stage i+1); the producer's writes of a band then only
 * overwrite rows below that window.
 *
 * A schedule may cover only output rows [from, to) of the last stage (a kernel thread's share of a chain,
 * runtime/kernels/executor-chain.ts): walking back from row `from` gives the first row each stage must produce,
 * so the halo rows a neighbouring range also needs are computed again, to the same values.
 */
import type { ConvShape } from '../kernel-abi';

export interface BandCall {
  stage: number;
  r0: number;
  r1: number;
}

export interface BandSchedule {
  /** Rows held by the ring after stage i (i = 0 .. n-2), capped at the tensor height. */
  rings: number[];
  /** Per band: the stage calls in order and the last stage's output rows [r0, r1). */
  bands: { calls: BandCall[]; r0: number; r1: number }[];
}

/** The first row each stage must produce for the last stage's output row `row`. */
export function firstRows(stages: readonly ConvShape[], row: number): number[] {
  const first = stages.map(() => 0);
  first[stages.length - 1] = row;
  for (let i = stages.length - 1; i > 0; i--) first[i - 1] = Math.max(0, first[i] * stages[i].stride - stages[i].pad);
  return first;
}

export function scheduleBands(
  stages: readonly ConvShape[],
  bandRows = 1,
  from = 0,
  to = stages[stages.length - 1].outH,
): BandSchedule {
  const n = stages.length;
  const done = firstRows(stages, from);
  const rings = new Array<number>(Math.max(0, n - 1)).fill(1);
  const bands: BandSchedule['bands'] = [];
  for (let r0 = from; r0 < to; r0 += bandRows) {
    const r1 = Math.min(to, r0 + bandRows);
    const target = new Array<number>(n);
    const lo = new Array<number>(n).fill(0);
    target[n - 1] = r1 - 1;
    for (let i = n - 1; i > 0; i--) {
      const s = stages[i];
      const from = Math.min(done[i], target[i]);
      lo[i - 1] = Math.max(0, from * s.stride - s.pad);
      const hi = Math.min(s.inH - 1, target[i] * s.stride - s.pad + s.kernel - 1);
      target[i - 1] = Math.max(hi, done[i - 1] - 1);
    }
    const calls: BandCall[] = [];
    for (let i = 0; i < n; i++) {
      if (target[i] < done[i]) continue;
      calls.push({ stage: i, r0: done[i], r1: target[i] + 1 });
      done[i] = target[i] + 1;
    }
    for (let i = 0; i < n - 1; i++) rings[i] = Math.max(rings[i], done[i] - lo[i]);
    bands.push({ calls, r0, r1 });
  }
  return { rings: rings.map((r, i) => Math.min(r, stages[i].outH)), bands };
}
