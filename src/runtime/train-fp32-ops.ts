/**
 * Float32 layer kernels for the fp32 fine-tuning baseline (train-fp32.ts): one row per layer kind with its
 * forward, input gradient and weight gradient, written as plain loops so they are obviously right. Layouts are
 * those of tt_kernels.h (HWC activations; weights conv [o][ky][kx][i], pointwise / fc [o][i], depthwise
 * [ky][kx][c]); padding is zero in real units (the int8 kernels pad with the zero point, i.e. real 0).
 *   forward:  a[p][o] = b[o] + sum W * x           (pre-activation; the clamp is applied by the caller)
 *   input:    g_x += W^T g_a                        (accumulates into g_x)
 *   weight:   g_W[..][i] = sum_p g_a * x, i < k     (first k input channels; depthwise: first k channels)
 */
import type { LayerKind } from '../compiler/model-file';

/** The geometry a kernel needs (a ConvLayer satisfies it). */
export interface Geometry {
  kind: LayerKind;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kernel: number;
  stride: number;
  pad: number;
}

export interface Fp32Row {
  forward(g: Geometry, x: Float32Array, w: Float32Array, b: Float32Array, a: Float32Array): void;
  backwardInput(g: Geometry, ga: Float32Array, w: Float32Array, gx: Float32Array): void;
  backwardWeight(g: Geometry, ga: Float32Array, x: Float32Array, k: number, gw: Float32Array): void;
}

/** Calls f(y, x, iy, ix, tap) for every output pixel and every kernel tap that reads inside the input. */
function eachTap(g: Geometry, f: (op: number, ip: number, tap: number) => void): void {
  const k = g.kernel;
  for (let y = 0; y < g.outH; y++)
    for (let x = 0; x < g.outW; x++)
      for (let ky = 0; ky < k; ky++) {
        const iy = y * g.stride - g.pad + ky;
        if (iy < 0 || iy >= g.inH) continue;
        for (let kx = 0; kx < k; kx++) {
          const ix = x * g.stride - g.pad + kx;
          if (ix >= 0 && ix < g.inW) f(y * g.outW + x, iy * g.inW + ix, ky * k + kx);
        }
      }
}

function biasInit(pixels: number, c: number, b: Float32Array, a: Float32Array): void {
  for (let p = 0; p < pixels; p++) a.set(b, p * c);
}

/** Dense rows: pointwise over every pixel, fc over the one "pixel" of the pooled vector. */
const dense: Fp32Row = {
  forward(g, x, w, b, a) {
    const C = g.inC;
    const O = g.outC;
    const pixels = g.kind === 'fc' ? 1 : g.outH * g.outW;
    for (let p = 0; p < pixels; p++)
      for (let o = 0; o < O; o++) {
        let acc = b[o];
        for (let i = 0, xo = p * C, wo = o * C; i < C; i++) acc += x[xo + i] * w[wo + i];
        a[p * O + o] = acc;
      }
  },
  backwardInput(g, ga, w, gx) {
    const C = g.inC;
    const O = g.outC;
    const pixels = g.kind === 'fc' ? 1 : g.outH * g.outW;
    for (let p = 0; p < pixels; p++)
      for (let o = 0; o < O; o++) {
        const v = ga[p * O + o];
        if (v === 0) continue;
        for (let i = 0, xo = p * C, wo = o * C; i < C; i++) gx[xo + i] += v * w[wo + i];
      }
  },
  backwardWeight(g, ga, x, k, gw) {
    const C = g.inC;
    const O = g.outC;
    const pixels = g.kind === 'fc' ? 1 : g.outH * g.outW;
    gw.fill(0);
    for (let p = 0; p < pixels; p++)
      for (let o = 0; o < O; o++) {
        const v = ga[p * O + o];
        if (v === 0) continue;
        for (let i = 0, xo = p * C, wo = o * k; i < k; i++) gw[wo + i] += v * x[xo + i];
      }
  },
};

const depthwise: Fp32Row = {
  forward(g, x, w, b, a) {
    const C = g.outC;
    biasInit(g.outH * g.outW, C, b, a);
    eachTap(g, (op, ip, tap) => {
      for (let c = 0; c < C; c++) a[op * C + c] += x[ip * C + c] * w[tap * C + c];
    });
  },
  backwardInput(g, ga, w, gx) {
    const C = g.outC;
    eachTap(g, (op, ip, tap) => {
      for (let c = 0; c < C; c++) gx[ip * C + c] += ga[op * C + c] * w[tap * C + c];
    });
  },
  backwardWeight(g, ga, x, k, gw) {
    const C = g.outC;
    gw.fill(0);
    eachTap(g, (op, ip, tap) => {
      for (let c = 0; c < k; c++) gw[tap * k + c] += ga[op * C + c] * x[ip * C + c];
    });
  },
};

/** General k x k conv (the stem): weights [o][ky][kx][i]. */
const conv: Fp32Row = {
  forward(g, x, w, b, a) {
    const C = g.inC;
    const O = g.outC;
    const kk = g.kernel * g.kernel;
    biasInit(g.outH * g.outW, O, b, a);
    eachTap(g, (op, ip, tap) => {
      for (let o = 0; o < O; o++) {
        let acc = 0;
        for (let i = 0, wo = (o * kk + tap) * C; i < C; i++) acc += x[ip * C + i] * w[wo + i];
        a[op * O + o] += acc;
      }
    });
  },
  backwardInput(g, ga, w, gx) {
    const C = g.inC;
    const O = g.outC;
    const kk = g.kernel * g.kernel;
    eachTap(g, (op, ip, tap) => {
      for (let o = 0; o < O; o++) {
        const v = ga[op * O + o];
        for (let i = 0, wo = (o * kk + tap) * C; i < C; i++) gx[ip * C + i] += v * w[wo + i];
      }
    });
  },
  backwardWeight(g, ga, x, k, gw) {
    const C = g.inC;
    const O = g.outC;
    const kk = g.kernel * g.kernel;
    gw.fill(0);
    eachTap(g, (op, ip, tap) => {
      for (let o = 0; o < O; o++) {
        const v = ga[op * O + o];
        for (let i = 0, wo = (o * kk + tap) * k; i < k; i++) gw[wo + i] += v * x[ip * C + i];
      }
    });
  },
};

export const FP32_OPS: Record<LayerKind, Fp32Row> = { conv, pointwise: dense, depthwise, fc: dense };

/** Shape of the weight gradient over the first k channels, as an element count. */
export function weightGradSize(g: Geometry, k: number): number {
  if (g.kind === 'depthwise') return g.kernel * g.kernel * k;
  return g.outC * g.kernel * g.kernel * k;
}
