/**
 * Reference backward kernels: the plain-loop definition of every fp32 gradient kernel in tt_kernels.h.
 * Loops run over logical indices in exactly the order each C doc block fixes, with Math.fround after every
 * float32 operation, so the C and WebAssembly kernels must match these bit for bit. Gradients are in real
 * units: a weight reads as s_W[o] * w_q, a saved input as s_x * (x_q - z_x). Arguments follow C order; typed
 * arrays may be views into one arena.
 */
import type { ConvShape } from '../kernel-abi';

const f = Math.fround;

const maskBit = (mask: Uint8Array, e: number): boolean => ((mask[e >> 3] >> (e & 7)) & 1) === 1;

/** Stores a finished sum (accumulate: g = g + sum). */
function put(g: Float32Array, at: number, sum: number, accumulate: boolean | number): void {
  g[at] = accumulate ? f(g[at] + sum) : sum;
}

/** Stores the sum of an input element that `terms` outputs read: none read it -> 0, or g_in kept as it is. */
function putRead(g: Float32Array, at: number, sum: number, terms: number, accumulate: boolean | number): void {
  if (terms > 0) put(g, at, sum, accumulate);
  else if (!accumulate) g[at] = 0;
}

/** g[e] = mask bit e ? g[e] : 0, in place. */
export function clampF32Bwd(n: number, g: Float32Array, mask: Uint8Array): void {
  for (let e = 0; e < n; e++) if (!maskBit(mask, e)) g[e] = 0;
}

/** One residual branch: gIn[e] (+)= mask bit e ? gOut[e] : 0 (an add passes real-unit gradients through). */
export function addF32BwdInput(
  n: number,
  gOut: Float32Array,
  mask: Uint8Array,
  gIn: Float32Array,
  accumulate: boolean | number,
): void {
  for (let e = 0; e < n; e++) put(gIn, e, maskBit(mask, e) ? gOut[e] : 0, accumulate);
}

/** gIn[p][c] (+)= gOut[c] / (h*w). */
export function avgpoolF32BwdInput(
  h: number,
  w: number,
  c: number,
  gOut: Float32Array,
  gIn: Float32Array,
  accumulate: boolean | number,
): void {
  for (let p = 0; p < h * w; p++) for (let j = 0; j < c; j++) put(gIn, p * c + j, f(gOut[j] / (h * w)), accumulate);
}

/** gIn[i] (+)= sum over o of (gOut[o] * wscale[o]) * w[o][i]: one pixel of a pointwise conv, or an fc layer. */
export function fcF32BwdInput(
  inC: number,
  outC: number,
  gOut: Float32Array,
  w: Int8Array,
  wscale: Float32Array,
  gIn: Float32Array,
  accumulate: boolean | number,
): void {
  for (let i = 0; i < inC; i++) {
    let sum = 0;
    for (let o = 0; o < outC; o++) sum = f(sum + f(f(gOut[o] * wscale[o]) * w[o * inC + i]));
    put(gIn, i, sum, accumulate);
  }
}

export function pointwiseF32BwdInput(
  shape: ConvShape,
  gOut: Float32Array,
  w: Int8Array,
  wscale: Float32Array,
  gIn: Float32Array,
  accumulate: boolean | number,
): void {
  const { inC, outC } = shape;
  for (let p = 0; p < shape.inH * shape.inW; p++) {
    const go = gOut.subarray(p * outC, (p + 1) * outC);
    fcF32BwdInput(inC, outC, go, w, wscale, gIn.subarray(p * inC, (p + 1) * inC), accumulate);
  }
}

/** One axis of a window: the rows use kernel, stride, pad; the columns of a general conv kernelW, strideW,
 * padLeft (square kernels repeat the row values there). */
interface Axis {
  kernel: number;
  stride: number;
  pad: number;
}
const rows = (s: ConvShape): Axis => s;
const cols = (s: ConvShape): Axis => ({ kernel: s.kernelW, stride: s.strideW, pad: s.padLeft });

/** Tap index of output position o reading input position ip, or -1 when it does not read it. */
function tapOf(ip: number, o: number, a: Axis): number {
  const t = ip - (o * a.stride - a.pad);
  return t >= 0 && t < a.kernel ? t : -1;
}

/** The only output positions [lo, hi) that can read input position ip (tapOf >= 0 needs
 * ip + pad - kernel < o * stride <= ip + pad): scanning just these keeps the reference O(pixels * taps). */
function window(ip: number, outLen: number, a: Axis): [number, number] {
  const { stride, pad, kernel } = a;
  return [
    Math.max(0, Math.ceil((ip + pad - kernel + 1) / stride)),
    Math.min(outLen, Math.floor((ip + pad) / stride) + 1),
  ];
}

/** General conv: terms over outputs (y, x) ascending that read the input pixel, then o ascending. */
export function convF32BwdInput(
  shape: ConvShape,
  gOut: Float32Array,
  w: Int8Array,
  wscale: Float32Array,
  gIn: Float32Array,
  accumulate: boolean | number,
): void {
  const { inH, inW, inC, outH, outW, outC, kernel: KH, kernelW: KW } = shape;
  const [ya, xa] = [rows(shape), cols(shape)];
  for (let iy = 0; iy < inH; iy++)
    for (let ix = 0; ix < inW; ix++)
      for (let i = 0; i < inC; i++) {
        let sum = 0;
        let readers = 0;
        const [y0, y1] = window(iy, outH, ya);
        const [x0, x1] = window(ix, outW, xa);
        for (let y = y0; y < y1; y++)
          for (let x = x0; x < x1; x++) {
            const ky = tapOf(iy, y, ya);
            const kx = tapOf(ix, x, xa);
            if (ky < 0 || kx < 0) continue;
            readers++;
            for (let o = 0; o < outC; o++) {
              const gs = f(gOut[(y * outW + x) * outC + o] * wscale[o]);
              sum = f(sum + f(gs * w[((o * KH + ky) * KW + kx) * inC + i]));
            }
          }
        putRead(gIn, (iy * inW + ix) * inC + i, sum, readers, accumulate);
      }
}

/** Depthwise conv: terms over outputs (y, x) ascending that read the input pixel. */
export function depthwiseF32BwdInput(
  shape: ConvShape,
  gOut: Float32Array,
  w: Int8Array,
  wscale: Float32Array,
  gIn: Float32Array,
  accumulate: boolean | number,
): void {
  depthwiseF32BwdInputRows(shape, gOut, w, wscale, gIn, accumulate, 0, shape.inH);
}

/** Input rows [r0, r1) of depthwiseF32BwdInput: those rows of gIn only. */
export function depthwiseF32BwdInputRows(
  shape: ConvShape,
  gOut: Float32Array,
  w: Int8Array,
  wscale: Float32Array,
  gIn: Float32Array,
  accumulate: boolean | number,
  r0: number,
  r1: number,
): void {
  const { inW, inC: C, outH, outW, kernel: K } = shape;
  for (let iy = r0; iy < r1; iy++)
    for (let ix = 0; ix < inW; ix++)
      for (let c = 0; c < C; c++) {
        let sum = 0;
        let readers = 0;
        const [y0, y1] = window(iy, outH, rows(shape));
        const [x0, x1] = window(ix, outW, rows(shape));
        for (let y = y0; y < y1; y++)
          for (let x = x0; x < x1; x++) {
            const ky = tapOf(iy, y, rows(shape));
            const kx = tapOf(ix, x, rows(shape));
            if (ky < 0 || kx < 0) continue;
            readers++;
            const gs = f(gOut[(y * outW + x) * C + c] * wscale[c]);
            sum = f(sum + f(gs * w[(ky * K + kx) * C + c]));
          }
        putRead(gIn, (iy * inW + ix) * C + c, sum, readers, accumulate);
      }
}

/** Pointwise weight gradient [outC][k]: s_x * sum_p gOut[p][o] * (x[p][i] - z_x), i < k. */
export function pointwiseF32BwdWeight(
  shape: ConvShape,
  gOut: Float32Array,
  input: Int8Array,
  inStride: number,
  inZp: number,
  inScale: number,
  k: number,
  gW: Float32Array,
): void {
  const { outC } = shape;
  for (let o = 0; o < outC; o++)
    for (let i = 0; i < k; i++) {
      let s = 0;
      for (let p = 0; p < shape.inH * shape.inW; p++)
        s = f(s + f(gOut[p * outC + o] * (input[p * inStride + i] - inZp)));
      gW[o * k + i] = f(f(inScale) * s);
    }
}

/** General conv weight gradient [outC][kernel][kernelW][k]; padding taps are skipped. */
export function convF32BwdWeight(
  shape: ConvShape,
  gOut: Float32Array,
  input: Int8Array,
  inStride: number,
  inZp: number,
  inScale: number,
  k: number,
  gW: Float32Array,
): void {
  const { inH, inW, outH, outW, outC, kernel: KH, kernelW: KW, stride, pad, strideW, padLeft } = shape;
  for (let o = 0; o < outC; o++)
    for (let ky = 0; ky < KH; ky++)
      for (let kx = 0; kx < KW; kx++)
        for (let i = 0; i < k; i++) {
          let s = 0;
          for (let y = 0; y < outH; y++)
            for (let x = 0; x < outW; x++) {
              const iy = y * stride - pad + ky;
              const ix = x * strideW - padLeft + kx;
              if (iy < 0 || iy >= inH || ix < 0 || ix >= inW) continue;
              const xq = input[(iy * inW + ix) * inStride + i] - inZp;
              s = f(s + f(gOut[(y * outW + x) * outC + o] * xq));
            }
          gW[((o * KH + ky) * KW + kx) * k + i] = f(f(inScale) * s);
        }
}

/** Depthwise weight gradient [kernel][kernel][k] for the first k channels. */
export function depthwiseF32BwdWeight(
  shape: ConvShape,
  gOut: Float32Array,
  input: Int8Array,
  inStride: number,
  inZp: number,
  inScale: number,
  k: number,
  gW: Float32Array,
): void {
  const { inH, inW, outH, outW, outC: C, kernel: K, stride, pad } = shape;
  for (let ky = 0; ky < K; ky++)
    for (let kx = 0; kx < K; kx++)
      for (let c = 0; c < k; c++) {
        let s = 0;
        for (let y = 0; y < outH; y++)
          for (let x = 0; x < outW; x++) {
            const iy = y * stride - pad + ky;
            const ix = x * stride - pad + kx;
            if (iy < 0 || iy >= inH || ix < 0 || ix >= inW) continue;
            s = f(s + f(gOut[(y * outW + x) * C + c] * (input[(iy * inW + ix) * inStride + c] - inZp)));
          }
        gW[(ky * K + kx) * k + c] = f(f(inScale) * s);
      }
}

/** Fully connected weight gradient [outC][k]: s_x * (0 + gOut[o] * (x[i] - z_x)). */
export function fcF32BwdWeight(
  inC: number,
  outC: number,
  gOut: Float32Array,
  input: Int8Array,
  inZp: number,
  inScale: number,
  k: number,
  gW: Float32Array,
): void {
  for (let o = 0; o < outC; o++)
    for (let i = 0; i < k; i++) gW[o * k + i] = f(f(inScale) * f(0 + f(gOut[o] * (input[i] - inZp))));
}

/** gB[o] = sum over pixels ascending of gOut[p][o], from 0. */
export function biasF32Bwd(pixels: number, channels: number, gOut: Float32Array, gB: Float32Array): void {
  for (let o = 0; o < channels; o++) {
    let s = 0;
    for (let p = 0; p < pixels; p++) s = f(s + gOut[p * channels + o]);
    gB[o] = s;
  }
}

/** This file's kernels by their C name in tt_kernels.h (the plan interpreter calls them through it). */
export const BACKWARD_KERNELS = {
  tt_clamp_f32_bwd: clampF32Bwd,
  tt_add_f32_bwd_input: addF32BwdInput,
  tt_pointwise_f32_bwd_input: pointwiseF32BwdInput,
  tt_conv_f32_bwd_input: convF32BwdInput,
  tt_depthwise_f32_bwd_input: depthwiseF32BwdInput,
  tt_depthwise_f32_bwd_input_rows: depthwiseF32BwdInputRows,
  tt_fc_f32_bwd_input: fcF32BwdInput,
  tt_avgpool_f32_bwd_input: avgpoolF32BwdInput,
  tt_pointwise_f32_bwd_weight: pointwiseF32BwdWeight,
  tt_conv_f32_bwd_weight: convF32BwdWeight,
  tt_depthwise_f32_bwd_weight: depthwiseF32BwdWeight,
  tt_fc_f32_bwd_weight: fcF32BwdWeight,
  tt_bias_f32_bwd: biasF32Bwd,
} as const;
