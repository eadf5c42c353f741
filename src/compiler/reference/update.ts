/**
 * Reference QAS-SGD updates (PAPER-FACTS section 2) and the fused weight-gradient + update kernels.
 *
 * With W = s_W * W_q the stored integer's gradient is G_Wq = s_W * G_W; QAS multiplies it by s_W^-2, so the
 * integer step lr * G_W / s_W is an fp32 SGD step on W in real units (biases, units s_W * s_x, likewise with
 * (s_W * s_x)^-2). The kernels receive that per-channel factor as `gscale` (see qasGradScale) and apply
 *   d = lr * (g * gscale[ch])  (float32; NaN -> 0; clamped to [-2^30, 2^30]),  q <- saturate(q - R(d))
 * with R = truncate | nearest | stochastic floor(d + u), u from xorshift32. The fused kernels are defined as
 * the plain weight gradient followed by updateS8 (the C kernels must equal that bit for bit).
 */
import type { ConvShape, Rng, RoundingMode, UpdateParams } from '../kernel-abi';
import { Rounding } from '../kernel-abi';
import { convF32BwdWeight, depthwiseF32BwdWeight, fcF32BwdWeight, pointwiseF32BwdWeight } from './backward';
import { LAYER_KIND_TABLE } from '../layer-kinds';

const f = Math.fround;
const D_LIMIT = 2 ** 30;

/** xorshift32: x ^= x << 13; x ^= x >> 17; x ^= x << 5 (uint32, state never 0). */
export function rngNext(rng: Rng): number {
  let x = rng.state >>> 0;
  x = (x ^ (x << 13)) >>> 0;
  x = (x ^ (x >>> 17)) >>> 0;
  x = (x ^ (x << 5)) >>> 0;
  rng.state = x;
  return x;
}

/** Uniform in [0, 1) with 24 bits: (next >> 8) * 2^-24 (exact in float32). */
export function rngUniform(rng: Rng): number {
  return (rngNext(rng) >>> 8) * 2 ** -24;
}

/** tt_round: half away from zero, the add done in float32. */
export function ttRound(v: number): number {
  return Math.trunc(v >= 0 ? f(v + 0.5) : f(v - 0.5));
}

/** R(d): the integer step of one element; draws one uniform when stochastic. */
export function roundStep(d: number, rounding: RoundingMode, rng: Rng | null): number {
  let v = Number.isNaN(d) ? 0 : Math.min(D_LIMIT, Math.max(-D_LIMIT, d));
  if (rounding === Rounding.nearest) return ttRound(v);
  if (rounding === Rounding.stochastic) {
    if (!rng) throw new Error('stochastic rounding needs an rng');
    v = f(v + rngUniform(rng));
    return Math.floor(v);
  }
  return Math.trunc(v);
}

/** Integer weights: dst[r * rowStride + c] = clamp(q - R(lr * (g[r][c] * gscale[ch])), -127, 127). */
export function updateS8(
  p: UpdateParams,
  g: Float32Array,
  gscale: Float32Array,
  lr: number,
  dst: Int8Array,
  rng: Rng | null,
): void {
  const lr32 = f(lr);
  for (let r = 0; r < p.rows; r++)
    for (let c = 0; c < p.cols; c++) {
      const gs = gscale[p.channelIsCol ? c : Math.floor(r / p.rowsPerChannel)];
      const d = f(lr32 * f(g[r * p.cols + c] * gs));
      const at = r * p.rowStride + c;
      dst[at] = Math.min(127, Math.max(-127, dst[at] - roundStep(d, p.rounding, rng)));
    }
}

/** Integer biases: dst[j] = clamp(q - R(lr * (g[j] * gscale[j])), [-bound, bound]) (the layer's biasBound). */
export function updateS32(
  n: number,
  bound: number,
  rounding: RoundingMode,
  g: Float32Array,
  gscale: Float32Array,
  lr: number,
  dst: Int32Array,
  rng: Rng | null,
): void {
  const lr32 = f(lr);
  for (let j = 0; j < n; j++) {
    const d = f(lr32 * f(g[j] * gscale[j]));
    dst[j] = Math.min(bound, Math.max(-bound, dst[j] - roundStep(d, rounding, rng)));
  }
}

/**
 * Per-channel gradient scales for updateS8 / updateS32 from the weight scales s_W[o] and the input scale s_x:
 *   weights: qas ? 1 / s_W[o]         : s_W[o]
 *   biases:  qas ? 1 / (s_W[o] * s_x) : s_W[o] * s_x
 * (float32 at each step, as the C side would compute them).
 */
export function qasGradScale(
  sW: ArrayLike<number>,
  sx: number,
  qas: boolean,
): { weight: Float32Array; bias: Float32Array } {
  return { weight: qasWeightGradScale(sW, qas), bias: qasBiasGradScale(sW, sx, qas) };
}

export function qasWeightGradScale(sW: ArrayLike<number>, qas: boolean): Float32Array {
  return Float32Array.from(sW, (s) => (qas ? f(1 / f(s)) : f(s)));
}

export function qasBiasGradScale(sW: ArrayLike<number>, sx: number, qas: boolean): Float32Array {
  return Float32Array.from(sW, (s) => {
    const unit = f(f(s) * f(sx));
    return qas ? f(1 / unit) : unit;
  });
}

/** The update params under which the plain weight gradient of each layer kind feeds updateS8. */
export function weightUpdateParams(
  kind: 'pointwise' | 'conv' | 'depthwise' | 'fc',
  inC: number,
  outC: number,
  kernel: number,
  k: number,
  rounding: RoundingMode,
  kernelW = kernel,
): UpdateParams {
  return { ...LAYER_KIND_TABLE[kind].update({ inC, outC, kernel, kernelW }, k), rounding };
}

/** Scratch bytes of the fused kernels: one gradient row (tt_*_bwd_update_get_buffer_size). */
export function pointwiseBwdUpdateGetBufferSize(_shape: ConvShape, k: number): number {
  return 4 * k;
}
export function convBwdUpdateGetBufferSize(shape: ConvShape, k: number): number {
  return 4 * shape.kernel * shape.kernelW * k;
}
export function depthwiseBwdUpdateGetBufferSize(_shape: ConvShape, k: number): number {
  return 4 * k;
}
export function fcBwdUpdateGetBufferSize(_inC: number, _outC: number, k: number): number {
  return 4 * k;
}

/* Fused weight gradient + update, by definition: the whole gradient, then updateS8 with the matching params.
 * `_scratch` mirrors the C argument list and is not used (the reference may materialize the gradient). */

export function pointwiseBwdUpdateS8(
  shape: ConvShape,
  gOut: Float32Array,
  input: Int8Array,
  inStride: number,
  inZp: number,
  inScale: number,
  k: number,
  gscale: Float32Array,
  lr: number,
  rounding: RoundingMode,
  w: Int8Array,
  rng: Rng | null,
  _scratch?: Float32Array,
): void {
  const g = new Float32Array(shape.outC * k);
  pointwiseF32BwdWeight(shape, gOut, input, inStride, inZp, inScale, k, g);
  updateS8(weightUpdateParams('pointwise', shape.inC, shape.outC, 1, k, rounding), g, gscale, lr, w, rng);
}

/** Output channels [c0, c1) of pointwiseBwdUpdateS8: those rows of the gradient, updated in row order (the
 * caller's rng holds the state the whole kernel has on reaching row c0). */
export function pointwiseBwdUpdateS8Range(
  shape: ConvShape,
  gOut: Float32Array,
  input: Int8Array,
  inStride: number,
  inZp: number,
  inScale: number,
  k: number,
  gscale: Float32Array,
  lr: number,
  rounding: RoundingMode,
  w: Int8Array,
  rng: Rng | null,
  _scratch: Float32Array | undefined,
  c0: number,
  c1: number,
): void {
  const g = new Float32Array(shape.outC * k);
  pointwiseF32BwdWeight(shape, gOut, input, inStride, inZp, inScale, k, g);
  const params = weightUpdateParams('pointwise', shape.inC, c1 - c0, 1, k, rounding);
  updateS8(params, g.subarray(c0 * k, c1 * k), gscale.subarray(c0, c1), lr, w.subarray(c0 * shape.inC), rng);
}

export function convBwdUpdateS8(
  shape: ConvShape,
  gOut: Float32Array,
  input: Int8Array,
  inStride: number,
  inZp: number,
  inScale: number,
  k: number,
  gscale: Float32Array,
  lr: number,
  rounding: RoundingMode,
  w: Int8Array,
  rng: Rng | null,
  _scratch?: Float32Array,
): void {
  const g = new Float32Array(shape.outC * shape.kernel * shape.kernelW * k);
  convF32BwdWeight(shape, gOut, input, inStride, inZp, inScale, k, g);
  const p = weightUpdateParams('conv', shape.inC, shape.outC, shape.kernel, k, rounding, shape.kernelW);
  updateS8(p, g, gscale, lr, w, rng);
}

export function depthwiseBwdUpdateS8(
  shape: ConvShape,
  gOut: Float32Array,
  input: Int8Array,
  inStride: number,
  inZp: number,
  inScale: number,
  k: number,
  gscale: Float32Array,
  lr: number,
  rounding: RoundingMode,
  w: Int8Array,
  rng: Rng | null,
  _scratch?: Float32Array,
): void {
  const g = new Float32Array(shape.kernel * shape.kernel * k);
  depthwiseF32BwdWeight(shape, gOut, input, inStride, inZp, inScale, k, g);
  updateS8(weightUpdateParams('depthwise', shape.inC, shape.outC, shape.kernel, k, rounding), g, gscale, lr, w, rng);
}

export function fcBwdUpdateS8(
  inC: number,
  outC: number,
  gOut: Float32Array,
  input: Int8Array,
  inZp: number,
  inScale: number,
  k: number,
  gscale: Float32Array,
  lr: number,
  rounding: RoundingMode,
  w: Int8Array,
  rng: Rng | null,
  _scratch?: Float32Array,
): void {
  const g = new Float32Array(outC * k);
  fcF32BwdWeight(inC, outC, gOut, input, inZp, inScale, k, g);
  updateS8(weightUpdateParams('fc', inC, outC, 1, k, rounding), g, gscale, lr, w, rng);
}

/** This file's kernels by their C name in tt_kernels.h (the plan interpreter calls them through it). */
export const UPDATE_KERNELS = {
  tt_update_s8: updateS8,
  tt_update_s32: updateS32,
  tt_pointwise_bwd_update_s8: pointwiseBwdUpdateS8,
  tt_pointwise_bwd_update_s8_range: pointwiseBwdUpdateS8Range,
  tt_conv_bwd_update_s8: convBwdUpdateS8,
  tt_depthwise_bwd_update_s8: depthwiseBwdUpdateS8,
  tt_fc_bwd_update_s8: fcBwdUpdateS8,
} as const;
