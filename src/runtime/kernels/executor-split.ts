/**
 * How one plan step is split across kernel threads (wasm-threads.ts) so that results stay bit-identical: every
 * part writes a disjoint set of output elements and computes each of them exactly as the whole call would.
 * One rule per splittable kernel; every other kernel runs whole on the calling thread.
 *   forward pointwise / depthwise / conv   output rows [r0, r1) into bands (each band's mask bits start on a
 *                                          byte boundary, so no two threads write one mask byte)
 *   pointwise input gradient               input rows: a shape copy with fewer rows, pointers moved to the band
 *   depthwise input gradient               input rows, through tt_depthwise_f32_bwd_input_rows
 *   pointwise fused gradient + update      output channels, through tt_pointwise_bwd_update_s8_range; each part
 *                                          has its own scratch, and with stochastic rounding its own rng copy
 *                                          jumped to the draws that precede its channels (rng-jump.ts)
 *   residual add, clamp gradient           elements, in multiples of 16
 *   a one-row forward band                 output columns: depthwise and conv through their _cols entries, pointwise
 *                                          as a one-row band of its own (a shape copy, pointers moved)
 * A step is split only when each part gets at least `minWork` units: a small step costs less whole than the
 * threads' hand-over. A unit is about 0.1 ns of kernel time on one thread (measured per kernel, mcunet-5fps
 * 128x128 in Node): a pointwise or conv multiply-accumulate counts 1, a depthwise one 2, an element of the
 * float-requantized residual add 8 (16 elements a SIMD step: 0.20 -> 0.03 ms a paper:99kb step, `npm run bench --
 * step`) and of the clamp gradient 1 (8 elements a SIMD step; WORK below).
 */
import { CONV_SHAPE_FIELDS, Rounding, type ConvShape } from '../../compiler/kernel-abi';
import { applyJump, jumpMatrix } from './rng-jump';
import type { KernelModule } from './wasm';
import type { KernelThreads } from './wasm-threads';

type KernelFn = (...args: number[]) => number;

/** Units of work (about 0.1 ns each) per multiply-accumulate or element, by kernel. */
export const WORK = { pointwise: 1, conv: 1, depthwise: 2, add: 8, clamp: 1 } as const;

/** A split step: runs the step across the threads given its resolved arguments. */
export interface StepSplit {
  readonly parts: number;
  /** The export each part calls. */
  readonly kernel: string;
  /** Whether run() does work besides the parts (rng jumps): before() and after() then do it in a program. */
  readonly hooked: boolean;
  /** run()'s work of the calling thread before its parts start and after they end (no-ops without hooks). */
  before(base: Float64Array): void;
  after(base: Float64Array): void;
  /** The parts' arguments for the step's arguments `base`. */
  partArgs(base: Float64Array): Float64Array[];
  run(base: Float64Array): void;
}

export interface SplitContext {
  mod: KernelModule;
  threads: KernelThreads;
  minWork: number;
  /** Allocates module memory that lives as long as the executor. */
  alloc(bytes: number): number;
}

/** A part's arguments: the step's arguments with some replaced (set) or moved (add), plus appended ones. */
interface PartSpec {
  length: number;
  set?: [number, number][];
  add?: [number, number][];
}

export function readShape(mod: KernelModule, ptr: number): ConvShape {
  const w = new Int32Array(mod.memory.buffer, ptr, CONV_SHAPE_FIELDS.length);
  return Object.fromEntries(CONV_SHAPE_FIELDS.map((f, i) => [f, w[i]])) as unknown as ConvShape;
}

/** Splits [lo, hi) into at most `n` non-empty ranges whose inner bounds are multiples of `align`. */
export function bands(lo: number, hi: number, n: number, align: number): [number, number][] {
  const cuts = [lo];
  for (let j = 1; j < n; j++) {
    const c = Math.round((lo + ((hi - lo) * j) / n) / align) * align;
    if (c > cuts[cuts.length - 1] && c < hi) cuts.push(c);
  }
  cuts.push(hi);
  return cuts.slice(1).map((c, j) => [cuts[j], c]);
}

/** How many parts a step of `work` units over `units` indivisible pieces gets. */
function partCount(ctx: SplitContext, work: number, units: number): number {
  return Math.min(ctx.threads.count, units, Math.floor(work / Math.max(1, ctx.minWork)));
}

class PatchedSplit implements StepSplit {
  private readonly arrays: Float64Array[];
  private readonly fn: number;

  constructor(
    private readonly ctx: SplitContext,
    readonly kernel: string,
    private readonly specs: PartSpec[],
    private readonly hooks: { before?: (base: Float64Array) => void; after?: (base: Float64Array) => void } = {},
  ) {
    this.arrays = specs.map((s) => new Float64Array(s.length));
    this.fn = ctx.threads.index(kernel);
    const f = (ctx.mod.exports as unknown as Record<string, KernelFn>)[kernel];
    this.main = (a) => void f(...a);
  }

  private readonly main: (a: Float64Array) => void;

  get parts(): number {
    return this.specs.length;
  }

  get hooked(): boolean {
    return this.hooks.before !== undefined || this.hooks.after !== undefined;
  }

  partArgs(base: Float64Array): Float64Array[] {
    this.specs.forEach((s, j) => {
      const a = this.arrays[j];
      a.set(base.length <= s.length ? base : base.subarray(0, s.length));
      for (const [i, v] of s.set ?? []) a[i] = v;
      for (const [i, d] of s.add ?? []) a[i] += d;
    });
    return this.arrays;
  }

  before(base: Float64Array): void {
    this.hooks.before?.(base);
  }

  after(base: Float64Array): void {
    this.hooks.after?.(base);
  }

  run(base: Float64Array): void {
    this.partArgs(base);
    this.before(base);
    this.ctx.threads.run(this.fn, this.arrays, this.arrays.length, this.main);
    this.after(base);
  }
}

function forwardRows(kind: 'pointwise' | 'depthwise' | 'conv') {
  return (base: Float64Array, ctx: SplitContext, kernel: string): StepSplit | null => {
    const s = readShape(ctx.mod, base[0]);
    const [r0, r1] = [base[8], base[9]];
    const perRow =
      WORK[kind] *
      s.outW *
      s.outC *
      (kind === 'pointwise' ? s.inC : s.kernel * s.kernel * (kind === 'conv' ? s.inC : 1));
    const rowElems = s.outW * s.outC;
    let align = 1;
    if (base[7] !== 0) while ((align * rowElems) % 8 !== 0) align++;
    const n = partCount(ctx, (r1 - r0) * perRow, Math.floor((r1 - r0) / align));
    if (n < 2) return r1 - r0 === 1 ? forwardColumns(kind, base, ctx, kernel, s, perRow) : null;
    const specs = bands(r0, r1, n, align).map(([a, b]) => ({
      length: base.length,
      set: [
        [8, a],
        [9, b],
      ] as [number, number][],
    }));
    return specs.length < 2 ? null : new PatchedSplit(ctx, kernel, specs);
  };
}

/**
 * A one-row band by output columns: each part computes pixels [x0, x1) of the row. Depthwise and conv through
 * their _cols entries; pointwise (a 1x1 conv, pixels independent) as a one-pixel-row band of its own: a shape
 * copy with out_w = in_w = x1 - x0 and rings of one row, the pointers moved to the part's first pixel. With a
 * mask, parts start on a mask byte: channels a multiple of 8.
 */
function forwardColumns(
  kind: 'pointwise' | 'depthwise' | 'conv',
  base: Float64Array,
  ctx: SplitContext,
  kernel: string,
  s: ConvShape,
  perRow: number,
): StepSplit | null {
  if (base[7] !== 0 && s.outC % 8 !== 0) return null;
  const n = partCount(ctx, perRow, s.outW);
  if (n < 2) return null;
  const cols = bands(0, s.outW, n, kind === 'conv' ? 2 : 1);
  if (cols.length < 2) return null;
  if (kind !== 'pointwise') {
    const specs = cols.map(([a, b]) => ({
      length: base.length + 2,
      set: [
        [base.length, a],
        [base.length + 1, b],
      ] as [number, number][],
    }));
    return new PatchedSplit(ctx, `${kernel}_cols`, specs);
  }
  const y = base[8];
  const specs = cols.map(([a, b]) => {
    const words = CONV_SHAPE_FIELDS.map((f) =>
      f === 'inW' || f === 'outW' ? b - a : f === 'inH' || f === 'outH' || f === 'inRing' || f === 'outRing' ? 1 : s[f],
    );
    const shape = ctx.alloc(4 * words.length);
    new Int32Array(ctx.mod.memory.buffer, shape, words.length).set(words);
    return {
      length: base.length,
      set: [
        [0, shape],
        [8, 0],
        [9, 1],
      ] as [number, number][],
      add: [
        [2, ((y % s.inRing) * s.inW + a) * s.inC],
        [6, ((y % s.outRing) * s.outW + a) * s.outC],
        ...(base[7] !== 0 ? [[7, ((y * s.outW + a) * s.outC) / 8]] : []),
      ] as [number, number][],
    };
  });
  return new PatchedSplit(ctx, kernel, specs);
}

/** Elementwise kernels: [n at 0, pointer args with their element sizes, the mask argument], units an element. */
function elements(ptrs: [number, number][], mask: number, units: number) {
  return (base: Float64Array, ctx: SplitContext, kernel: string): StepSplit | null => {
    const total = base[0];
    const n = partCount(ctx, units * total, Math.floor(total / 16));
    if (n < 2) return null;
    const specs = bands(0, total, n, 16).map(([a, b]) => ({
      length: base.length,
      set: [[0, b - a]] as [number, number][],
      add: [...ptrs.map(([i, size]) => [i, a * size]), ...(base[mask] !== 0 ? [[mask, a / 8]] : [])] as [
        number,
        number,
      ][],
    }));
    return specs.length < 2 ? null : new PatchedSplit(ctx, kernel, specs);
  };
}

function pointwiseInputRows(base: Float64Array, ctx: SplitContext, kernel: string): StepSplit | null {
  const s = readShape(ctx.mod, base[0]);
  const n = partCount(ctx, s.inH * s.inW * s.inC * s.outC, s.inH);
  if (n < 2) return null;
  const specs = bands(0, s.inH, n, 1).map(([a, b]) => {
    const rows = b - a;
    const words = CONV_SHAPE_FIELDS.map((f) =>
      f === 'inH' || f === 'outH' || f === 'inRing' || f === 'outRing' ? rows : s[f],
    );
    const shape = ctx.alloc(4 * words.length);
    new Int32Array(ctx.mod.memory.buffer, shape, words.length).set(words);
    return {
      length: base.length,
      set: [[0, shape]] as [number, number][],
      add: [
        [1, 4 * a * s.outW * s.outC],
        [4, 4 * a * s.inW * s.inC],
      ] as [number, number][],
    };
  });
  return specs.length < 2 ? null : new PatchedSplit(ctx, kernel, specs);
}

/** tt_depthwise_f32_bwd_input(shape, g_out, w, wscale, g_in, accumulate) by input rows, through the _rows entry. */
function depthwiseInputRows(base: Float64Array, ctx: SplitContext): StepSplit | null {
  const s = readShape(ctx.mod, base[0]);
  const n = partCount(ctx, WORK.depthwise * s.outH * s.outW * s.outC * s.kernel * s.kernel, s.inH);
  if (n < 2) return null;
  const specs = bands(0, s.inH, n, 1).map(([a, b]) => ({
    length: base.length + 2,
    set: [
      [base.length, a],
      [base.length + 1, b],
    ] as [number, number][],
  }));
  return specs.length < 2 ? null : new PatchedSplit(ctx, 'tt_depthwise_f32_bwd_input_rows', specs);
}

/** Argument indices of tt_pointwise_bwd_update_s8. */
const PU = { shape: 0, k: 6, rounding: 9, rng: 11, scratch: 12 } as const;

function pointwiseUpdateChannels(base: Float64Array, ctx: SplitContext): StepSplit | null {
  const s = readShape(ctx.mod, base[PU.shape]);
  const k = base[PU.k];
  const n = partCount(ctx, s.outC * k * s.inH * s.inW, s.outC);
  if (n < 2) return null;
  const ranges = bands(0, s.outC, n, 1);
  if (ranges.length < 2) return null;
  const rngs = ranges.map((_, j) => (j === 0 ? base[PU.rng] : ctx.alloc(4)));
  const specs = ranges.map(([c0, c1], j) => ({
    length: base.length + 2,
    set: [
      [base.length, c0],
      [base.length + 1, c1],
      ...(j > 0
        ? [
            [PU.rng, rngs[j]],
            [PU.scratch, ctx.alloc(Math.max(16, 4 * k))],
          ]
        : []),
    ] as [number, number][],
  }));
  const jumps = ranges.map(([c0]) => jumpMatrix(c0 * k));
  const stochastic = (b: Float64Array) => b[PU.rounding] === Rounding.stochastic;
  const state = (p: number) => new Uint32Array(ctx.mod.memory.buffer, p, 1);
  return new PatchedSplit(ctx, 'tt_pointwise_bwd_update_s8_range', specs, {
    before: (b) => {
      if (!stochastic(b)) return;
      const x = state(b[PU.rng])[0];
      for (let j = 1; j < rngs.length; j++) state(rngs[j])[0] = applyJump(jumps[j], x);
    },
    after: (b) => {
      if (stochastic(b)) state(b[PU.rng])[0] = state(rngs[rngs.length - 1])[0];
    },
  });
}

type SplitRule = (base: Float64Array, ctx: SplitContext, kernel: string) => StepSplit | null;

const RULES: Record<string, SplitRule> = {
  tt_pointwise_s8: forwardRows('pointwise'),
  tt_depthwise_s8: forwardRows('depthwise'),
  tt_conv_s8: forwardRows('conv'),
  tt_pointwise_f32_bwd_input: pointwiseInputRows,
  tt_depthwise_f32_bwd_input: depthwiseInputRows,
  tt_pointwise_bwd_update_s8: pointwiseUpdateChannels,
  // tt_add_s8(n, q, b_zp, ma, mb, a, b, out, mask)
  tt_add_s8: elements(
    [
      [5, 1],
      [6, 1],
      [7, 1],
    ],
    8,
    WORK.add,
  ),
  // tt_clamp_f32_bwd(n, g, mask)
  tt_clamp_f32_bwd: elements([[1, 4]], 2, WORK.clamp),
};

/** The split of a step with resolved arguments `base`, or null when it runs whole on the calling thread. */
export function splitStep(kernel: string, base: Float64Array, ctx: SplitContext): StepSplit | null {
  const rule = RULES[kernel];
  return rule ? rule(base, ctx, kernel) : null;
}
