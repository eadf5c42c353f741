/**
 * Reference forward kernels: the plain-loop definition of every int8 forward kernel in tt_kernels.h, the oracle
 * the C and WebAssembly builds are held to bit for bit. Loops run over logical indices (row r of a ring buffer
 * lives at physical row r % ring); integer sums are exact; every float32 operation is wrapped in Math.fround.
 * Requantization (requant.ts) by the layer's mode: y = r + z_y; the clamp mask bit is set when act_min <= y <= act_max.
 * A conv-like kernel's `mult` is float32 m per channel, or int32 {M, S} pairs in the tflite-fixed mode. Arguments follow C order; typed arrays may be views into one arena.
 */
import { Requant, type ConvShape, type Quant } from '../kernel-abi';
import { expf, logf, round } from './math';
import { requantChannel, requantFixed, requantFloat, roundHalfEven, type RequantTable } from './requant';

const f = Math.fround;
const LIMIT = 2 ** 30;

/** round(clamp(f32(acc) * m, -2^30, 2^30)) + outZp, before the activation clamp. */
export function requant(acc: number, m: number, outZp: number): number {
  let v = f(f(acc) * m);
  if (v > LIMIT) v = LIMIT;
  if (v < -LIMIT) v = -LIMIT;
  return round(v) + outZp;
}

/** Clamps y into out[at] and sets or clears mask bit e (when there is a mask) by whether the clamp let it through. */
export function store(y: number, q: Quant, out: Int8Array, at: number, mask: Uint8Array | null, e: number): void {
  out[at] = Math.min(q.actMax, Math.max(q.actMin, y));
  if (!mask) return;
  const bit = 1 << (e & 7);
  mask[e >> 3] = y >= q.actMin && y <= q.actMax ? mask[e >> 3] | bit : mask[e >> 3] & ~bit;
}

/** Input value at logical (iy, ix, c) minus the zero point; 0 for padding (outside the input). */
function tap(s: ConvShape, input: Int8Array, inZp: number, iy: number, ix: number, c: number): number {
  if (iy < 0 || iy >= s.inH || ix < 0 || ix >= s.inW) return 0;
  return input[((iy % s.inRing) * s.inW + ix) * s.inC + c] - inZp;
}

/** Output element (y, x, o) of a ring-buffered output: [physical index, mask element]. */
function outAt(s: ConvShape, y: number, x: number, o: number): [number, number] {
  return [((y % s.outRing) * s.outW + x) * s.outC + o, (y * s.outW + x) * s.outC + o];
}

/** General kh x kw conv: acc = bias[o] + sum over ky, kx, i of
 * (in[y*stride-pad+ky][x*strideW-padLeft+kx][i] - in_zp) * w[o][ky][kx][i]. */
export function convS8(
  s: ConvShape,
  q: Quant,
  input: Int8Array,
  w: Int8Array,
  bias: Int32Array,
  mult: RequantTable,
  out: Int8Array,
  mask: Uint8Array | null,
  r0: number,
  r1: number,
  x0 = 0,
  x1 = s.outW,
): void {
  const [kh, kw] = [s.kernel, s.kernelW];
  for (let y = r0; y < r1; y++)
    for (let x = x0; x < x1; x++)
      for (let o = 0; o < s.outC; o++) {
        let acc = bias[o];
        for (let ky = 0; ky < kh; ky++)
          for (let kx = 0; kx < kw; kx++)
            for (let i = 0; i < s.inC; i++) {
              const xv = tap(s, input, q.inZp, y * s.stride - s.pad + ky, x * s.strideW - s.padLeft + kx, i);
              acc += xv * w[((o * kh + ky) * kw + kx) * s.inC + i];
            }
        const [at, e] = outAt(s, y, x, o);
        store(requantChannel(acc, mult, o, q), q, out, at, mask, e);
      }
}

/** Pointwise 1x1 conv, stride 1: acc = bias[o] + sum_i (in[p][i] - in_zp) * w[o][i]; rows [r0, r1). */
export function pointwiseS8(
  s: ConvShape,
  q: Quant,
  input: Int8Array,
  w: Int8Array,
  bias: Int32Array,
  mult: RequantTable,
  out: Int8Array,
  mask: Uint8Array | null,
  r0: number,
  r1: number,
): void {
  for (let y = r0; y < r1; y++)
    for (let x = 0; x < s.outW; x++)
      for (let o = 0; o < s.outC; o++) {
        let acc = bias[o];
        for (let i = 0; i < s.inC; i++) acc += tap(s, input, q.inZp, y, x, i) * w[o * s.inC + i];
        const [at, e] = outAt(s, y, x, o);
        store(requantChannel(acc, mult, o, q), q, out, at, mask, e);
      }
}

/** Depthwise conv: acc = bias[c] + sum over ky, kx of (in[y*s-pad+ky][x*s-pad+kx][c] - in_zp) * w[ky][kx][c]. */
export function depthwiseS8(
  s: ConvShape,
  q: Quant,
  input: Int8Array,
  w: Int8Array,
  bias: Int32Array,
  mult: RequantTable,
  out: Int8Array,
  mask: Uint8Array | null,
  r0: number,
  r1: number,
  x0 = 0,
  x1 = s.outW,
): void {
  const k = s.kernel;
  for (let y = r0; y < r1; y++)
    for (let x = x0; x < x1; x++)
      for (let c = 0; c < s.outC; c++) {
        let acc = bias[c];
        for (let ky = 0; ky < k; ky++)
          for (let kx = 0; kx < k; kx++) {
            const xv = tap(s, input, q.inZp, y * s.stride - s.pad + ky, x * s.stride - s.pad + kx, c);
            acc += xv * w[(ky * k + kx) * s.outC + c];
          }
        const [at, e] = outAt(s, y, x, c);
        store(requantChannel(acc, mult, c, q), q, out, at, mask, e);
      }
}

/** Fully connected: acc = bias[o] + sum_i (in[i] - in_zp) * w[o][i]. */
export function fcS8(
  inC: number,
  outC: number,
  q: Quant,
  input: Int8Array,
  w: Int8Array,
  bias: Int32Array,
  mult: RequantTable,
  out: Int8Array,
  mask: Uint8Array | null,
): void {
  for (let o = 0; o < outC; o++) {
    let acc = bias[o];
    for (let i = 0; i < inC; i++) acc += (input[i] - q.inZp) * w[o * inC + i];
    store(requantChannel(acc, mult, o, q), q, out, o, mask, o);
  }
}

/** Residual add: v = f32(a - a_zp) * ma + f32(b - b_zp) * mb (two products, one add), clamped to +-2^30. */
export function addS8(
  n: number,
  q: Quant,
  bZp: number,
  ma: number,
  mb: number,
  a: Int8Array,
  b: Int8Array,
  out: Int8Array,
  mask: Uint8Array | null,
): void {
  for (let e = 0; e < n; e++) {
    let v = f(f(f(a[e] - q.inZp) * ma) + f(f(b[e] - bZp) * mb));
    if (v > LIMIT) v = LIMIT;
    if (v < -LIMIT) v = -LIMIT;
    store((q.requant === Requant['float-half-even'] ? roundHalfEven(v) : round(v)) + q.outZp, q, out, e, mask, e);
  }
}

/**
 * TFLite's int8 ADD; mult = {M_a, S_a, M_b, S_b, M_y, S_y}: ya = fixed((a - a_zp) 2^20, M_a, S_a), yb likewise,
 * y = clamp(fixed(ya + yb, M_y, S_y), +-2^30) + z_y. In the tflite-xnnpack mode XNNPACK's add instead,
 * mult = {A, B, shift, ...}: y = floor(((a - a_zp) A + (b - b_zp) B + 2^(shift - 1)) / 2^shift) + z_y.
 */
export function addS8Fixed(
  n: number,
  q: Quant,
  bZp: number,
  mult: Int32Array,
  a: Int8Array,
  b: Int8Array,
  out: Int8Array,
  mask: Uint8Array | null,
): void {
  if (q.requant === Requant['tflite-xnnpack']) {
    const [ma, mb, shift] = mult;
    for (let e = 0; e < n; e++) {
      const acc = (a[e] - q.inZp) * ma + (b[e] - bZp) * mb + 2 ** (shift - 1);
      store(Math.floor(acc / 2 ** shift) + q.outZp, q, out, e, mask, e);
    }
    return;
  }
  for (let e = 0; e < n; e++) {
    const ya = requantFixed((a[e] - q.inZp) * 2 ** 20, mult[0], mult[1]);
    const yb = requantFixed((b[e] - bZp) * 2 ** 20, mult[2], mult[3]);
    const r = requantFixed(ya + yb, mult[4], mult[5]);
    store(Math.min(LIMIT, Math.max(-LIMIT, r)) + q.outZp, q, out, e, mask, e);
  }
}

/**
 * Global mean per channel: sum = sum_p (in[p][c] - in_zp); float modes: r = R(f32(sum) * m) (mult = [m]); tflite-fixed
 * (TFLite's int8 MEAN): t = fixed(sum, M, S), r = (t +- n/2) / n truncated, clamped to +-2^30 (mult = [M, S]);
 * y = clamp(r + z_y, act_min, act_max).
 */
export function meanS8(
  h: number,
  w: number,
  c: number,
  q: Quant,
  mult: RequantTable,
  input: Int8Array,
  out: Int8Array,
): void {
  const n = h * w;
  for (let j = 0; j < c; j++) {
    let sum = 0;
    for (let p = 0; p < n; p++) sum += input[p * c + j] - q.inZp;
    let r: number;
    if (q.requant === Requant['tflite-fixed']) {
      const t = requantFixed(sum, mult[0], mult[1]);
      r = Math.trunc(t > 0 ? (t + Math.trunc(n / 2)) / n : (t - Math.trunc(n / 2)) / n);
      r = Math.min(LIMIT, Math.max(-LIMIT, r));
    } else {
      r = requantFloat(sum, mult[0], q.requant === Requant['float-half-even']);
    }
    out[j] = Math.min(q.actMax, Math.max(q.actMin, r + q.outZp));
  }
}

/** Global average pool: v = f32(sum_p in[p][c] - h*w*in_zp) * m; y = clamp(round(v) + out_zp, -128, 127). */
export function avgpoolS8(
  h: number,
  w: number,
  c: number,
  inZp: number,
  outZp: number,
  m: number,
  input: Int8Array,
  out: Int8Array,
): void {
  for (let j = 0; j < c; j++) {
    let sum = 0;
    for (let p = 0; p < h * w; p++) sum += input[p * c + j];
    let v = f(f(sum - h * w * inZp) * m);
    if (v > LIMIT) v = LIMIT;
    if (v < -LIMIT) v = -LIMIT;
    out[j] = Math.min(127, Math.max(-128, round(v) + outZp));
  }
}

/**
 * Softmax cross-entropy on z[i] = scale * f32(logits[i] - zp): mx = max z, e[i] = expf(z[i] - mx), sum in index
 * order, loss = logf(sum) - (z[label] - mx), grad[i] = e[i] / sum - [i == label]. Returns the loss.
 */
export function softmaxXentS8(
  n: number,
  logits: Int8Array,
  zp: number,
  scale: number,
  label: number,
  grad: Float32Array | null,
): number {
  const z = Array.from({ length: n }, (_, i) => f(scale * (logits[i] - zp)));
  const mx = z.reduce((a, b) => (b > a ? b : a));
  const e = z.map((zi) => expf(f(zi - mx)));
  let sum = 0;
  for (const ei of e) sum = f(sum + ei);
  if (grad) for (let i = 0; i < n; i++) grad[i] = f(f(e[i] / sum) - (i === label ? 1 : 0));
  return f(logf(sum) - f(z[label] - mx));
}

/** Keeps the first k of c channels of every pixel: out[p][i] = in[p][i], i < k (in place when out == in). */
export function sliceChannelsS8(pixels: number, c: number, k: number, input: Int8Array, out: Int8Array): void {
  for (let p = 0; p < pixels; p++) for (let i = 0; i < k; i++) out[p * k + i] = input[p * c + i];
}

/**
 * Joins two channel ranges of every pixel: out[p][i] = a[p][i] (i < ka), out[p][ka + j] = b[p][j] (j < kb); the
 * inverse of sliceChannelsS8. A split weight (head [outC][k] + tail [outC][inC - k]) is assembled with pixels = outC.
 */
export function concatChannelsS8(pixels: number, ka: number, kb: number, a: Int8Array, b: Int8Array, out: Int8Array) {
  const c = ka + kb;
  for (let p = 0; p < pixels; p++) {
    for (let i = 0; i < ka; i++) out[p * c + i] = a[p * ka + i];
    for (let j = 0; j < kb; j++) out[p * c + ka + j] = b[p * kb + j];
  }
}

/** This file's kernels by their C name in tt_kernels.h (the plan interpreter calls them through it). */
export const FORWARD_KERNELS = {
  tt_conv_s8: convS8,
  tt_pointwise_s8: pointwiseS8,
  tt_depthwise_s8: depthwiseS8,
  tt_conv_s8_cols: convS8,
  tt_depthwise_s8_cols: depthwiseS8,
  tt_fc_s8: fcS8,
  tt_add_s8: addS8,
  tt_add_s8_fixed: addS8Fixed,
  tt_mean_s8: meanS8,
  tt_avgpool_s8: avgpoolS8,
  tt_softmax_xent_s8: softmaxXentS8,
  tt_slice_channels_s8: sliceChannelsS8,
  tt_concat_channels_s8: concatChannelsS8,
} as const;
