/**
 * Float32 layer kernels for the fp32 fine-tuning baseline (train-fp32.ts): one row per layer kind with its
 * forward, input gradient and weight gradient, written as plain loops so they are obviously right. Layouts are
 * those of tt_kernels.h (HWC activations; weights conv [o][ky][kx][i], pointwise / fc [o][i], depthwise
 * [ky][kx][c]); padding is zero in real units (the int8 kernels pad with the zero point, i.e. real 0).
 *   forward:  a[p][o] = b[o] + sum W * x           (pre-activation; the clamp is applied by the caller)
 *   input:    g_x += W^T g_a                        (accumulates into g_x)
 *   weight:   g_W[..][i] = sum_p g_a * x, i < k     (first k input channels; depthwise: first k channels)
 */
import { elements } from '../../compiler/ir/graph';
import { layerKind } from '../../compiler/layer-kinds';
import type { LayerKind } from '../../compiler/model-file';

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

const tapCache = new WeakMap<Geometry, Int32Array>();

/**
 * Every (output pixel, input pixel, kernel tap) triple of a strided, padded window that reads inside the input,
 * flattened and cached per geometry: the kernels loop over it with their channel loops inlined.
 */
function taps(g: Geometry): Int32Array {
  let t = tapCache.get(g);
  if (t) return t;
  const out: number[] = [];
  const k = g.kernel;
  for (let y = 0; y < g.outH; y++)
    for (let x = 0; x < g.outW; x++)
      for (let ky = 0; ky < k; ky++) {
        const iy = y * g.stride - g.pad + ky;
        if (iy < 0 || iy >= g.inH) continue;
        for (let kx = 0; kx < k; kx++) {
          const ix = x * g.stride - g.pad + kx;
          if (ix >= 0 && ix < g.inW) out.push(y * g.outW + x, iy * g.inW + ix, ky * k + kx);
        }
      }
  t = Int32Array.from(out);
  tapCache.set(g, t);
  return t;
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
    for (let p = 0; p < pixels; p++) {
      const xo = p * C;
      let o = 0;
      // four output channels at a time share each input load
      for (; o + 4 <= O; o += 4) {
        let a0 = b[o];
        let a1 = b[o + 1];
        let a2 = b[o + 2];
        let a3 = b[o + 3];
        for (let i = 0, w0 = o * C; i < C; i++) {
          const v = x[xo + i];
          a0 += v * w[w0 + i];
          a1 += v * w[w0 + C + i];
          a2 += v * w[w0 + 2 * C + i];
          a3 += v * w[w0 + 3 * C + i];
        }
        a[p * O + o] = a0;
        a[p * O + o + 1] = a1;
        a[p * O + o + 2] = a2;
        a[p * O + o + 3] = a3;
      }
      for (; o < O; o++) {
        let acc = b[o];
        for (let i = 0, wo = o * C; i < C; i++) acc += x[xo + i] * w[wo + i];
        a[p * O + o] = acc;
      }
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
    const t = taps(g);
    for (let j = 0; j < t.length; j += 3) {
      const ao = t[j] * C;
      const xo = t[j + 1] * C;
      const wo = t[j + 2] * C;
      for (let c = 0; c < C; c++) a[ao + c] += x[xo + c] * w[wo + c];
    }
  },
  backwardInput(g, ga, w, gx) {
    const C = g.outC;
    const t = taps(g);
    for (let j = 0; j < t.length; j += 3) {
      const ao = t[j] * C;
      const xo = t[j + 1] * C;
      const wo = t[j + 2] * C;
      for (let c = 0; c < C; c++) gx[xo + c] += ga[ao + c] * w[wo + c];
    }
  },
  backwardWeight(g, ga, x, k, gw) {
    const C = g.outC;
    gw.fill(0);
    const t = taps(g);
    for (let j = 0; j < t.length; j += 3) {
      const ao = t[j] * C;
      const xo = t[j + 1] * C;
      const wo = t[j + 2] * k;
      for (let c = 0; c < k; c++) gw[wo + c] += ga[ao + c] * x[xo + c];
    }
  },
};

/** General k x k conv (the stem): weights [o][ky][kx][i]. */
const conv: Fp32Row = {
  /** Per output pixel: gather the k*k*C patch once (zeros outside the input), then one dot product per filter. */
  forward(g, x, w, b, a) {
    const C = g.inC;
    const O = g.outC;
    const k = g.kernel;
    const n = k * k * C;
    const patch = new Float32Array(n);
    for (let y = 0; y < g.outH; y++)
      for (let xx = 0; xx < g.outW; xx++) {
        for (let ky = 0; ky < k; ky++) {
          const iy = y * g.stride - g.pad + ky;
          for (let kx = 0; kx < k; kx++) {
            const ix = xx * g.stride - g.pad + kx;
            const inside = iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW;
            for (let i = 0, po = (ky * k + kx) * C, xo = (iy * g.inW + ix) * C; i < C; i++)
              patch[po + i] = inside ? x[xo + i] : 0;
          }
        }
        const ao = (y * g.outW + xx) * O;
        for (let o = 0; o < O; o++) {
          let acc = b[o];
          for (let e = 0, wo = o * n; e < n; e++) acc += patch[e] * w[wo + e];
          a[ao + o] = acc;
        }
      }
  },
  backwardInput(g, ga, w, gx) {
    const C = g.inC;
    const O = g.outC;
    const kk = g.kernel * g.kernel;
    const t = taps(g);
    for (let j = 0; j < t.length; j += 3) {
      const [op, xo, tap] = [t[j], t[j + 1] * C, t[j + 2]];
      for (let o = 0; o < O; o++) {
        const v = ga[op * O + o];
        for (let i = 0, wo = (o * kk + tap) * C; i < C; i++) gx[xo + i] += v * w[wo + i];
      }
    }
  },
  backwardWeight(g, ga, x, k, gw) {
    const C = g.inC;
    const O = g.outC;
    const kk = g.kernel * g.kernel;
    gw.fill(0);
    const t = taps(g);
    for (let j = 0; j < t.length; j += 3) {
      const [op, xo, tap] = [t[j], t[j + 1] * C, t[j + 2]];
      for (let o = 0; o < O; o++) {
        const v = ga[op * O + o];
        for (let i = 0, wo = (o * kk + tap) * k; i < k; i++) gw[wo + i] += v * x[xo + i];
      }
    }
  },
};

export const FP32_OPS: Record<LayerKind, Fp32Row> = { conv, pointwise: dense, depthwise, fc: dense };

/** Shape of the weight gradient over the first k channels, as an element count. */
export const weightGradSize = (g: Geometry, k: number): number => elements(layerKind(g).weightShape(g, k));
