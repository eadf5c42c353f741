/**
 * The reference QAS updates: gscale formulas, QAS == fp32 SGD in real units up to one rounding, the three
 * rounding modes (truncate drops sub-LSB steps, nearest rounds half away from zero, stochastic is seeded and
 * unbiased), saturation, the xorshift32 sequence, and the fused kernels' rng order.
 */
import { describe, expect, it } from 'vitest';
import { Rounding, convShape, type Rng, type UpdateParams } from '../kernel-abi';
import { biasF32Bwd, pointwiseF32BwdWeight } from './backward';
import { biasBound } from '../model-file';
import {
  depthwiseBwdUpdateS8,
  qasBiasGradScale,
  qasGradScale,
  qasWeightGradScale,
  rngNext,
  rngUniform,
  updateS32,
  updateS8,
  weightUpdateParams,
} from './update';

const row = (n: number, rounding: UpdateParams['rounding']): UpdateParams => ({
  rows: 1,
  cols: n,
  rowStride: n,
  rowsPerChannel: 1,
  channelIsCol: 0,
  rounding,
});

/** Applies d = lr * g (gscale 1) to weights that all start at q0 and returns the steps q0 - q_new. */
function steps(d: number[], rounding: UpdateParams['rounding'], rng: Rng | null = null, q0 = 0): number[] {
  const w = new Int8Array(d.length).fill(q0);
  updateS8(row(d.length, rounding), Float32Array.from(d), new Float32Array([1]), 1, w, rng);
  return Array.from(w, (q) => q0 - q);
}

describe('xorshift32', () => {
  it("matches Marsaglia's published first output for seed 2463534242 and stays a uint32", () => {
    const rng = { state: 2463534242 };
    expect(rngNext(rng)).toBe(723471715);
    expect(rngNext({ state: 1 })).toBe(270369); // 1 ^ 1<<13 = 8193; 8193 ^ 8193<<5 = 270369
    for (let j = 0; j < 1000; j++) {
      const u = rngUniform(rng);
      expect(u >= 0 && u < 1 && Math.fround(u) === u).toBe(true);
      expect(rng.state).toBeGreaterThan(0);
      expect(rng.state).toBeLessThan(2 ** 32);
    }
  });
});

describe('QAS gradient scales', () => {
  it('weights 1/s_W and biases 1/(s_W s_x) with QAS; s_W and s_W s_x without', () => {
    const g = qasGradScale([0.5, 0.125], 0.25, true);
    expect(Array.from(g.weight)).toEqual([2, 8]);
    expect(Array.from(g.bias)).toEqual([8, 32]);
    const off = qasGradScale([0.5, 0.125], 0.25, false);
    expect(Array.from(off.weight)).toEqual([0.5, 0.125]);
    expect(Array.from(off.bias)).toEqual([0.125, 0.03125]);
    // Worked by hand, in float32: f32(0.1) = 0.100000001490..., 1 / that = 9.9999998509..., which is 1.5e-7 from
    // 10, under half an ulp (2^-21 = 4.8e-7): 10.
    expect(qasWeightGradScale([0.1], true)[0]).toBe(10);
    // s_W * s_x = f32(0.1) * f32(0.0199999995529...) = f32(0.00200000002682...) = 0.00200000009499...; its inverse
    // 499.99997625... lies between the float32 neighbours 500 - 2^-15 (0.68e-5 away) and 500 (2.4e-5 away).
    // A float64 formula (1 / (0.1 * 0.02) = 500) would give 500: the product is rounded to float32 first.
    expect(qasBiasGradScale([0.1], 0.02, true)[0]).toBe(500 - 2 ** -15);
  });

  it('a QAS step on W_q equals an fp32 SGD step on W in real units, up to half an LSB', () => {
    // A pointwise layer 4 -> 3 on 6 pixels; real weights W = s_W * w_q, real gradient from the backward kernel.
    const shape = convShape({ inH: 2, inW: 3, inC: 4, outH: 2, outW: 3, outC: 3, kernel: 1, stride: 1, pad: 0 });
    const sW = Float32Array.from([0.004, 0.01, 0.02]);
    const sx = 0.05;
    const wq = Int8Array.from({ length: 12 }, (_, j) => ((j * 37) % 120) - 60);
    const x = Int8Array.from({ length: 24 }, (_, j) => ((j * 53) % 255) - 128);
    const gOut = Float32Array.from({ length: 18 }, (_, j) => Math.sin(j + 1));
    const gW = new Float32Array(12);
    pointwiseF32BwdWeight(shape, gOut, x, 4, 3, sx, 4, gW);
    const gB = new Float32Array(3);
    biasF32Bwd(6, 3, gOut, gB);
    const lr = 0.003;
    const scale = qasGradScale(sW, sx, true);
    const w = wq.slice();
    updateS8(weightUpdateParams('pointwise', 4, 3, 1, 4, Rounding.nearest), gW, scale.weight, lr, w, null);
    const bq = Int32Array.from([1000, -2000, 30]);
    const b = bq.slice();
    updateS32(3, 2 ** 31 - 1, Rounding.nearest, gB, scale.bias, lr, b, null);
    let moved = 0;
    for (let j = 0; j < 12; j++) {
      const o = Math.floor(j / 4);
      const sgd = sW[o] * wq[j] - lr * gW[j]; // fp32 SGD in real units
      expect(Math.abs(sW[o] * w[j] - sgd)).toBeLessThanOrEqual(sW[o] / 2 + 1e-7);
      moved += Number(w[j] !== wq[j]);
    }
    expect(moved).toBeGreaterThan(6);
    for (let o = 0; o < 3; o++) {
      const unit = sW[o] * sx;
      expect(Math.abs(unit * b[o] - (unit * bq[o] - lr * gB[o]))).toBeLessThanOrEqual(unit / 2 + 1e-9);
    }
    // Without QAS the integer step is s_W^2 times smaller: here every weight step rounds to zero.
    const plain = wq.slice();
    const off = qasGradScale(sW, sx, false);
    updateS8(weightUpdateParams('pointwise', 4, 3, 1, 4, Rounding.nearest), gW, off.weight, lr, plain, null);
    expect(Array.from(plain)).toEqual(Array.from(wq));
  });
});

describe('rounding modes', () => {
  it('truncate drops every sub-LSB step and rounds the rest toward zero', () => {
    expect(steps([0.3, 0.99, -0.99, 1.7, -1.7, 2.5], Rounding.truncate)).toEqual([0, 0, 0, 1, -1, 2]);
  });
  it('nearest rounds half away from zero', () => {
    expect(steps([0.3, 0.5, -0.5, 0.49, 1.7, -1.7, 2.5], Rounding.nearest)).toEqual([0, 1, -1, 0, 2, -2, 3]);
  });
  it('stochastic: same seed, same result; another seed, another result; never more than 1 LSB off', () => {
    const d = Array.from({ length: 256 }, (_, j) => ((j % 17) - 8) * 0.37);
    const a = steps(d, Rounding.stochastic, { state: 99 });
    expect(steps(d, Rounding.stochastic, { state: 99 })).toEqual(a);
    expect(steps(d, Rounding.stochastic, { state: 100 })).not.toEqual(a);
    a.forEach((s, j) => expect(s === Math.floor(d[j]) || s === Math.floor(d[j]) + 1).toBe(true));
  });
  it('stochastic is unbiased: the mean step over many draws is d within 5 sigma', () => {
    const n = 20000;
    for (const d of [0.3, -1.7, 0.05]) {
      const s = steps(new Array(n).fill(d), Rounding.stochastic, { state: 12345 });
      const mean = s.reduce((t, v) => t + v, 0) / n;
      const p = d - Math.floor(d);
      expect(Math.abs(mean - d)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
    }
  });
});

describe('saturation and limits', () => {
  it('int8 weights saturate to [-127, 127]; NaN and huge steps do not wrap', () => {
    expect(steps([-100, 300, NaN, 1e30, -1e30], Rounding.nearest, null, 100)).toEqual([-27, 227, 0, 227, -27]);
  });
  it("int32 biases saturate to the layer's bias bound, symmetric (at most the int32 range less INT32_MIN)", () => {
    const g = Float32Array.from([-1e20, 1e20, 8]);
    const b = Int32Array.from([2 ** 31 - 2, -(2 ** 31) + 2, 7]);
    updateS32(3, 2 ** 31 - 1, Rounding.truncate, g, Float32Array.from([1, 1, 0.5]), 0.5, b, null);
    expect(Array.from(b)).toEqual([2 ** 31 - 1, -(2 ** 31 - 1), 5]);
    const bound = biasBound('pointwise', 16, 1); // 2^31 - 1 - 16 * 255 * 127
    const c = Int32Array.from([bound - 3, -bound + 3, bound - 10]);
    updateS32(
      3,
      bound,
      Rounding.truncate,
      Float32Array.from([-100, 100, -2]),
      Float32Array.from([1, 1, 1]),
      1,
      c,
      null,
    );
    expect(Array.from(c)).toEqual([bound, -bound, bound - 8]);
  });
  it('per-row channel scales, row stride and per-column scales (depthwise) index the right gscale', () => {
    const w = new Int8Array(8);
    const p: UpdateParams = { rows: 2, cols: 2, rowStride: 4, rowsPerChannel: 1, channelIsCol: 0, rounding: 1 };
    updateS8(p, Float32Array.from([1, 1, 1, 1]), Float32Array.from([2, 3]), 1, w, null);
    expect(Array.from(w)).toEqual([-2, -2, 0, 0, -3, -3, 0, 0]);
    updateS8({ ...p, channelIsCol: 1 }, Float32Array.from([1, 1, 1, 1]), Float32Array.from([2, 3]), 1, w, null);
    expect(Array.from(w)).toEqual([-4, -5, 0, 0, -5, -6, 0, 0]);
  });
});

describe('fused depthwise update', () => {
  it('draws the rng once per updated element, tap by tap', () => {
    const shape = convShape({ inH: 4, inW: 4, inC: 3, outH: 4, outW: 4, outC: 3, kernel: 3, stride: 1, pad: 1 });
    const rng = { state: 5 };
    const w = new Int8Array(27);
    const gOut = Float32Array.from({ length: 48 }, (_, j) => Math.cos(j));
    const x = Int8Array.from({ length: 48 }, (_, j) => j - 24);
    depthwiseBwdUpdateS8(shape, gOut, x, 3, 0, 0.1, 2, Float32Array.from([10, 10, 10]), 1, 2, w, rng);
    const ref = { state: 5 };
    for (let j = 0; j < 9 * 2; j++) rngNext(ref);
    expect(rng.state).toBe(ref.state);
    expect(Array.from(w).filter((_, j) => j % 3 === 2)).toEqual(new Array(9).fill(0)); // channel 2 >= k
  });
});
