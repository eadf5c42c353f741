/**
 * Reference windowed pools and pad (tt_pool.c): the plain-loop definitions of tt_avgpool2d_s8, tt_maxpool2d_s8,
 * tt_pad_s8 and their input gradients, held bit for bit against the C and WebAssembly builds. A window is
 * kernel x kernelW taps at strides (stride, strideW) from the leading pads (pad, padLeft); only in-bounds taps
 * are read or counted (TFLite's SAME padding). Average: TFLite's integer rule (the stored-value sum divided by
 * the count, ties away from zero) without a count multiplier table, else the shared requantization epilogue with
 * the count's multiplier s_in / (s_out * n). Gradients are in real units; float terms are summed per input
 * element from 0 in output (y, x) order, like the conv kernels, then stored or added.
 */
import type { ConvShape, Quant } from '../kernel-abi';
import { requant, store } from './forward';

const f = Math.fround;

/** In-bounds taps of output (y, x): input rows [r0, r1) and columns [c0, c1). */
export function windowOf(s: ConvShape, y: number, x: number): { r0: number; r1: number; c0: number; c1: number } {
  const top = y * s.stride - s.pad;
  const left = x * s.strideW - s.padLeft;
  return {
    r0: Math.max(0, top),
    r1: Math.max(Math.max(0, top), Math.min(s.inH, top + s.kernel)),
    c0: Math.max(0, left),
    c1: Math.max(Math.max(0, left), Math.min(s.inW, left + s.kernelW)),
  };
}

/** TFLite's rounded division of a stored-value sum by the tap count (C's truncating division, ties away from 0). */
export function divRound(raw: number, n: number): number {
  const half = Math.trunc(n / 2);
  return Math.trunc(raw > 0 ? (raw + half) / n : (raw - half) / n);
}

/** Calls visit(iy, ix) for every in-bounds tap of output (y, x) in window order; returns their count. */
function taps(s: ConvShape, y: number, x: number, visit: (iy: number, ix: number) => void): number {
  const w = windowOf(s, y, x);
  for (let iy = w.r0; iy < w.r1; iy++) for (let ix = w.c0; ix < w.c1; ix++) visit(iy, ix);
  return (w.r1 - w.r0) * (w.c1 - w.c0);
}

export function avgpool2dS8(
  s: ConvShape,
  q: Quant,
  countMult: Float32Array | null,
  input: Int8Array,
  out: Int8Array,
  mask: Uint8Array | null,
): void {
  const c = s.inC;
  for (let y = 0; y < s.outH; y++)
    for (let x = 0; x < s.outW; x++)
      for (let j = 0; j < c; j++) {
        let sum = 0;
        const n = taps(s, y, x, (iy, ix) => (sum += input[(iy * s.inW + ix) * c + j]));
        const v = countMult ? requant(sum - n * q.inZp, countMult[n - 1], q.outZp) : divRound(sum, n);
        const e = (y * s.outW + x) * c + j;
        store(v, q, out, e, mask, e);
      }
}

export function maxpool2dS8(s: ConvShape, q: Quant, input: Int8Array, out: Int8Array, mask: Uint8Array | null): void {
  const c = s.inC;
  for (let y = 0; y < s.outH; y++)
    for (let x = 0; x < s.outW; x++)
      for (let j = 0; j < c; j++) {
        let mx = -128;
        taps(s, y, x, (iy, ix) => (mx = Math.max(mx, input[(iy * s.inW + ix) * c + j])));
        const e = (y * s.outW + x) * c + j;
        store(mx, q, out, e, mask, e);
      }
}

/** out[y][x][c] = in[y - pad][x - padLeft][c] inside the input, else zp. */
export function padS8(s: ConvShape, zp: number, input: Int8Array, out: Int8Array): void {
  const c = s.inC;
  for (let y = 0; y < s.outH; y++)
    for (let x = 0; x < s.outW; x++) {
      const [iy, ix] = [y - s.pad, x - s.padLeft];
      const inside = iy >= 0 && iy < s.inH && ix >= 0 && ix < s.inW;
      for (let j = 0; j < c; j++) out[(y * s.outW + x) * c + j] = inside ? input[(iy * s.inW + ix) * c + j] : zp;
    }
}

/**
 * Input gradients by scatter in output order: term(y, x, iy, ix, j) is the contribution of output (y, x, j) to
 * input (iy, ix, j) or null. Sums per input element start from 0; elements no window reads get 0 (or keep gIn).
 */
function scatter(
  s: ConvShape,
  gIn: Float32Array,
  accumulate: boolean | number,
  term: (y: number, x: number, iy: number, ix: number, j: number) => number | null,
): void {
  const c = s.inC;
  const sum = new Float64Array(s.inH * s.inW * c);
  const hit = new Uint8Array(s.inH * s.inW * c);
  for (let y = 0; y < s.outH; y++)
    for (let x = 0; x < s.outW; x++)
      taps(s, y, x, (iy, ix) => {
        for (let j = 0; j < c; j++) {
          const e = (iy * s.inW + ix) * c + j;
          hit[e] = 1; // a window reads it: its sum (maybe 0) is stored, as the C stores every read pixel's
          const t = term(y, x, iy, ix, j);
          if (t !== null) sum[e] = f(sum[e] + t);
        }
      });
  for (let e = 0; e < sum.length; e++) {
    if (hit[e]) gIn[e] = accumulate ? f(gIn[e] + sum[e]) : sum[e];
    else if (!accumulate) gIn[e] = 0;
  }
}

/** Average pool: each output's g / n(y, x) to every in-bounds tap of its window. */
export function avgpool2dF32BwdInput(
  s: ConvShape,
  gOut: Float32Array,
  gIn: Float32Array,
  accumulate: boolean | number,
) {
  const c = s.inC;
  scatter(s, gIn, accumulate, (y, x, _iy, _ix, j) => {
    const w = windowOf(s, y, x);
    return f(gOut[(y * s.outW + x) * c + j] / ((w.r1 - w.r0) * (w.c1 - w.c0)));
  });
}

/** Max pool: each output's g to the first tap in window order holding the window's max. */
export function maxpool2dF32BwdInput(
  s: ConvShape,
  input: Int8Array,
  gOut: Float32Array,
  gIn: Float32Array,
  accumulate: boolean | number,
): void {
  const c = s.inC;
  const firstMax = (y: number, x: number, j: number): [number, number] => {
    let best: [number, number] = [-1, -1];
    let mx = -129;
    taps(s, y, x, (iy, ix) => {
      const v = input[(iy * s.inW + ix) * c + j];
      if (v > mx) [mx, best] = [v, [iy, ix]];
    });
    return best;
  };
  scatter(s, gIn, accumulate, (y, x, iy, ix, j) => {
    const [by, bx] = firstMax(y, x, j);
    return by === iy && bx === ix ? gOut[(y * s.outW + x) * c + j] : null;
  });
}

/** Pad: gIn[iy][ix][c] (+)= gOut[iy + pad][ix + padLeft][c]. */
export function padF32BwdInput(s: ConvShape, gOut: Float32Array, gIn: Float32Array, accumulate: boolean | number) {
  const c = s.inC;
  for (let iy = 0; iy < s.inH; iy++)
    for (let ix = 0; ix < s.inW; ix++)
      for (let j = 0; j < c; j++) {
        const g = gOut[((iy + s.pad) * s.outW + ix + s.padLeft) * c + j];
        const e = (iy * s.inW + ix) * c + j;
        gIn[e] = accumulate ? f(gIn[e] + g) : g;
      }
}

/** This file's kernels by their C name in tt_kernels.h (the plan interpreter calls them through it). */
export const POOL_KERNELS = {
  tt_avgpool2d_s8: avgpool2dS8,
  tt_maxpool2d_s8: maxpool2dS8,
  tt_pad_s8: padS8,
  tt_avgpool2d_f32_bwd_input: avgpool2dF32BwdInput,
  tt_maxpool2d_f32_bwd_input: maxpool2dF32BwdInput,
  tt_pad_f32_bwd_input: padF32BwdInput,
} as const;
