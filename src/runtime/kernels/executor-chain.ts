/**
 * Fused band chains (lower/fused-chain.ts: the patch-based first stage, consecutive one-row bands over ring
 * buffers) run by output-row ranges across the kernel threads: part p computes the last stage's output rows
 * [R_p, R_p+1) with the whole chain, as patch-based inference does, so a chain is one program call whose parts
 * are sequences of calls (KernelThreads.program, SequencesCall) instead of one split call per band row.
 *   1. the chain is the run of consecutive steps with a `band` field and one opId (PlanStep.band); every call of
 *      a stage must have the arguments of its first call but for its rows, and stage i > 0 must read the ring
 *      stage i - 1 writes, else the chain runs step by step;
 *   2. each part has its own band schedule (scheduleBands over [R_p, R_p+1): the halo rows a neighbouring range
 *      also needs are computed again), its own ring buffers and shape structs with their ring depths;
 *   3. a residual chain's add runs per band of the part, from the part's one-row ring into the chain output;
 *   4. the chain's output must not overlap its input (else it runs step by step): in one pass over the bands
 *      the planner may place them overlapping once the input's last rows are read, but a part may still read
 *      input rows where another part has written output rows.
 * Every output row of the chain is written by exactly one part, and every row of every stage is computed from
 * the same input rows with the same kernel as in the single-threaded plan, so results stay bit-identical.
 */
import { CONV_SHAPE_FIELDS, type ConvShape } from '../../compiler/kernel-abi';
import { scheduleBands } from '../../compiler/lower/bands';
import type { PlanStep } from '../../compiler/plan';
import { readShape, WORK } from './executor-split';
import { call } from './kernel-call';
import type { KernelModule } from './wasm';
import type { SequencesCall, SequenceStep } from './wasm-threads';

type KernelFn = (...args: number[]) => number;

/** Argument indices of the forward band kernels (tt_conv_s8, tt_depthwise_s8, tt_pointwise_s8). */
const FA = { shape: 0, src: 2, dst: 6, mask: 7, r0: 8, r1: 9 } as const;
const KIND: Record<string, keyof typeof WORK> = {
  tt_conv_s8: 'conv',
  tt_depthwise_s8: 'depthwise',
  tt_pointwise_s8: 'pointwise',
};

/** A chain of plan steps [from, to) and how to run it as one program call. */
export interface ChainCall {
  from: number;
  to: number;
  /** Parts (row ranges of the last stage). */
  parts: number;
  /** Estimated work of the whole chain, in executor-split.ts units. */
  work: number;
  call: SequencesCall;
}

/** The chains of a sub-plan as [from, to): maximal runs of steps with a band field and one opId (rule 1). */
export function chainRuns(steps: readonly PlanStep[]): [number, number][] {
  const runs: [number, number][] = [];
  for (let i = 0; i < steps.length;) {
    if (!steps[i].band) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < steps.length && steps[j].band && steps[j].opId === steps[i].opId) j++;
    runs.push([i, j]);
    i = j;
  }
  return runs;
}

export interface ChainShape {
  /** Per stage: the arguments of its first call, its kernel and shape. */
  stages: { args: Float64Array; kernel: string; shape: ConvShape; rowWork: number }[];
  /** The residual add: its first call's arguments, kernel, the indices of its (chain input, ring, output)
   * pointers and the chain input / output pointers at row 0. */
  add: { args: Float64Array; kernel: string; ptrs: number[]; x: number; y: number } | null;
  /** Bytes of the chain input (stage 0's source). */
  xBytes: number;
  work: number;
}

/** Reads a chain's stages from its steps and resolved arguments, or null when it is not as rule 1 says. */
function readChain(mod: KernelModule, steps: readonly PlanStep[], args: Float64Array[], from: number, to: number) {
  const out: ChainShape = { stages: [], add: null, xBytes: 0, work: 0 };
  for (let i = from; i < to; i++) {
    const band = steps[i].band!;
    const a = args[i];
    if (band.stage === 'add') {
      const ptrs = steps[i].args.flatMap((x, j) => (x.kind === 'arena' ? [j] : []));
      const row = a[0] / (band.r1 - band.r0);
      if (ptrs.length !== 3 || !Number.isInteger(row)) return null;
      if (!out.add) {
        const [x, , y] = ptrs;
        out.add = { args: a, kernel: steps[i].kernel, ptrs, x: a[x] - band.r0 * row, y: a[y] - band.r0 * row };
      }
      out.work += WORK.add * a[0];
      continue;
    }
    const kind = KIND[steps[i].kernel];
    if (!kind || a[FA.mask] !== 0) return null;
    let st = out.stages[band.stage];
    if (!st) {
      if (band.stage !== out.stages.length) return null;
      const shape = readShape(mod, a[FA.shape]);
      st = { args: a, kernel: steps[i].kernel, shape, rowWork: WORK[kind] * rowMacs(kind, shape) };
      out.stages.push(st);
      const x = steps[i].args[FA.src];
      if (band.stage === 0) out.xBytes = x.kind === 'arena' ? x.bytes : Infinity;
    } else if (st.kernel !== steps[i].kernel || a.some((v, j) => j !== FA.r0 && j !== FA.r1 && v !== st!.args[j]))
      return null;
    out.work += st.rowWork * (a[FA.r1] - a[FA.r0]);
  }
  const n = out.stages.length;
  if (n === 0) return null;
  for (let i = 1; i < n; i++) if (out.stages[i].args[FA.src] !== out.stages[i - 1].args[FA.dst]) return null;
  const last = out.stages[n - 1].shape;
  if (out.add && out.add.args[out.add.ptrs[1]] !== out.stages[n - 1].args[FA.dst]) return null;
  if (!out.add && last.outRing !== last.outH) return null;
  // rule 4: the chain output must not overlap its input (the planner may overlap them when the input's last
  // read comes before the first output row is written, as in one pass; parts run side by side)
  const x0 = out.stages[0].args[FA.src];
  const y0 = out.add ? out.add.y : out.stages[n - 1].args[FA.dst];
  const yBytes = last.outH * last.outW * last.outC;
  if (x0 < y0 + yBytes && y0 < x0 + out.xBytes) return null;
  return out;
}

/** Multiply-accumulates of one output row of a forward band kernel. */
function rowMacs(kind: keyof typeof WORK, s: ConvShape): number {
  return s.outW * s.outC * (kind === 'pointwise' ? s.inC : s.kernel * s.kernel * (kind === 'conv' ? s.inC : 1));
}

/** Estimated work of the part computing output rows [from, to), its halo rows included. */
function partWork(c: ChainShape, from: number, to: number): number {
  const shapes = c.stages.map((s) => s.shape);
  let w = c.add ? WORK.add * (to - from) * shapes[shapes.length - 1].outW * shapes[shapes.length - 1].outC : 0;
  for (const band of scheduleBands(shapes, 1, from, to).bands)
    for (const call of band.calls) w += c.stages[call.stage].rowWork * (call.r1 - call.r0);
  return w;
}

/**
 * Row ranges for `parts` parts of equal estimated work: a range starting below row 0's needs more halo rows
 * of the early stages, so equal row counts would leave the parts after the first longer. Each cut is the row
 * whose range comes nearest the remaining work shared by the remaining parts.
 */
export function balancedRanges(c: ChainShape, rows: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  let start = 0;
  for (let p = parts; p > 1 && start < rows - 1; p--) {
    const target = partWork(c, start, rows) / p;
    let cut = start + 1;
    while (cut < rows - 1 && partWork(c, start, cut + 1) <= target) cut++;
    if (cut < rows - 1 && target - partWork(c, start, cut) > partWork(c, start, cut + 1) - target) cut++;
    out.push([start, cut]);
    start = cut;
  }
  out.push([start, rows]);
  return out;
}

/** Part `rows` of a chain: its calls in order, with its own rings and shape structs (rules 2 and 3). */
function partSequence(
  mod: KernelModule,
  alloc: (bytes: number) => number,
  c: ChainShape,
  [from, to]: [number, number],
): SequenceStep[] {
  const n = c.stages.length;
  const shapes = c.stages.map((s) => s.shape);
  const sched = scheduleBands(shapes, 1, from, to);
  const rowBytes = (i: number) => shapes[i].outW * shapes[i].outC;
  const ringRows = shapes.map((s, i) => (i < n - 1 ? sched.rings[i] : c.add ? 1 : s.outRing));
  const rings = shapes.map((_, i) => (i < n - 1 || c.add ? alloc(ringRows[i] * rowBytes(i)) : 0));
  const shapePtrs = shapes.map((s, i) => {
    const words = CONV_SHAPE_FIELDS.map((f) =>
      f === 'inRing' ? (i === 0 ? s.inRing : ringRows[i - 1]) : f === 'outRing' ? ringRows[i] : s[f],
    );
    const p = alloc(4 * words.length);
    new Int32Array(mod.memory.buffer, p, words.length).set(words);
    return p;
  });
  const seq: SequenceStep[] = [];
  const addRow = rowBytes(n - 1);
  for (const band of sched.bands) {
    for (const call of band.calls) {
      const st = c.stages[call.stage];
      const a = Float64Array.from(st.args);
      a[FA.shape] = shapePtrs[call.stage];
      if (call.stage > 0) a[FA.src] = rings[call.stage - 1];
      if (rings[call.stage]) a[FA.dst] = rings[call.stage];
      a[FA.r0] = call.r0;
      a[FA.r1] = call.r1;
      seq.push({ kernel: st.kernel, args: a });
    }
    if (c.add) {
      const a = Float64Array.from(c.add.args);
      const [x, ring, y] = c.add.ptrs;
      a[0] = (band.r1 - band.r0) * addRow;
      a[x] = c.add.x + band.r0 * addRow;
      a[ring] = rings[n - 1];
      a[y] = c.add.y + band.r0 * addRow;
      seq.push({ kernel: c.add.kernel, args: a });
    }
  }
  return seq;
}

/**
 * The chain of steps [from, to) as one program call of `parts` row ranges (fewer when the work or the rows do
 * not allow them), or null when it runs step by step.
 */
export function splitChain(
  mod: KernelModule,
  alloc: (bytes: number) => number,
  src: { steps: readonly PlanStep[]; args: Float64Array[] },
  [from, to]: [number, number],
  opts: { parts: number; minWork: number },
): ChainCall | null {
  const c = readChain(mod, src.steps, src.args, from, to);
  if (!c) return null;
  const rows = c.stages[c.stages.length - 1].shape.outH;
  const parts = Math.min(opts.parts, rows, Math.floor(c.work / Math.max(1, opts.minWork)));
  if (parts < 2) return null;
  const exports = mod.exports as unknown as Record<string, KernelFn>;
  const sequences = balancedRanges(c, rows, parts).map((r) => partSequence(mod, alloc, c, r));
  const fns = sequences.map((q) => q.map((x) => exports[x.kernel]));
  const main = (part: number) => {
    const q = sequences[part];
    const f = fns[part];
    for (let k = 0; k < q.length; k++) call(f[k], q[k].args);
  };
  return { from, to, parts: sequences.length, work: c.work, call: { sequences, main } };
}
