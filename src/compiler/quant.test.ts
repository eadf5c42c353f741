import { describe, expect, it } from 'vitest';
import { Requant } from './kernel-abi';
import { addS8Fixed } from './reference/forward';
import {
  biasGradScale,
  quantize,
  quantizeWeights,
  rangeQParams,
  requantMultipliers,
  weightGradScale,
  xnnpackAddMultipliers,
} from './quant';

describe('quantization helpers', () => {
  it('computes float32 multipliers and QAS gradient scales', () => {
    const sW = Float32Array.of(0.01, 0.02);
    const m = requantMultipliers(0.05, sW, 0.1);
    expect(m[0]).toBe(Math.fround((0.05 * sW[0]) / 0.1));
    expect(Array.from(weightGradScale(sW, true))).toEqual([Math.fround(1 / sW[0]), Math.fround(1 / sW[1])]);
    expect(Array.from(weightGradScale(sW, false))).toEqual(Array.from(sW));
    const unit = Math.fround(sW[1] * Math.fround(0.05));
    expect(biasGradScale(sW, 0.05, false)[1]).toBe(unit);
    expect(biasGradScale(sW, 0.05, true)[1]).toBe(Math.fround(1 / unit));
  });

  it('quantizes weights symmetrically per channel (max |w| -> 127) and ranges with an exact zero', () => {
    const { q, scale } = quantizeWeights([0.5, -1, 0.25, 2], 2, (i) => Math.floor(i / 2));
    expect(Array.from(q)).toEqual([64, -127, 16, 127]);
    expect(Array.from(scale)).toEqual([Math.fround(1 / 127), Math.fround(2 / 127)]);
    const r = rangeQParams(0, 6);
    expect(r.zeroPoint).toBe(-128);
    expect(quantize(0, r)).toBe(-128);
    expect(quantize(6, r)).toBe(127);
    expect(Object.is(rangeQParams(-1, 1).zeroPoint, -0)).toBe(false);
  });
});

describe("XNNPACK's int8 add (the tflite-xnnpack mode)", () => {
  const q = (scale: number) => ({ scale, zeroPoint: 0 });
  it('scales the larger float32 ratio into [2^20, 2^21) and rounds the multipliers to even', () => {
    expect(Array.from(xnnpackAddMultipliers(q(0.02), q(0.01), q(0.04))!)).toEqual([2 ** 20, 2 ** 19, 21, 0, 0, 0]);
    expect(Array.from(xnnpackAddMultipliers(q(1.5), q(0.5), q(1))!)).toEqual([1.5 * 2 ** 20, 2 ** 19, 20, 0, 0, 0]);
    // r_a 2^20 = 2^20 + 1/2 and 2^20 + 3/2: ties go to the even integer (lrintf)
    expect(xnnpackAddMultipliers(q(1 + 2 ** -21), q(0.5), q(1))![0]).toBe(2 ** 20);
    expect(xnnpackAddMultipliers(q(1 + 3 * 2 ** -21), q(0.5), q(1))![0]).toBe(2 ** 20 + 2);
    // the largest ratio just below a power of two keeps its exponent
    expect(xnnpackAddMultipliers(q(Math.fround(2 - 2 ** -22)), q(0.5), q(1))![2]).toBe(20);
  });
  it('is refused (null) where XNNPACK refuses the add: a ratio outside [2^-10, 2^8)', () => {
    expect(xnnpackAddMultipliers(q(300), q(1), q(1))).toBeNull();
    expect(xnnpackAddMultipliers(q(1), q(2 ** -11), q(1))).toBeNull();
  });
  it('rounds ties up (toward +inf), unlike both float modes', () => {
    const mult = xnnpackAddMultipliers(q(0.02), q(0.01), q(0.04))!; // y = a / 2 + b / 4
    const quant = { inZp: 0, outZp: 0, actMin: -128, actMax: 127, requant: Requant['tflite-xnnpack'] };
    const a = Int8Array.of(1, -1, 3, -3, 0, 0, 5);
    const b = Int8Array.of(0, 0, 0, 0, 2, -2, 1);
    const out = new Int8Array(a.length);
    addS8Fixed(a.length, quant, 0, mult, a, b, out, null);
    // 0.5, -0.5, 1.5, -1.5, 0.5, -0.5, 2.75
    expect(Array.from(out)).toEqual([1, 0, 2, -1, 1, 0, 3]);
  });
});
