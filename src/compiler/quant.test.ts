import { describe, expect, it } from 'vitest';
import { biasGradScale, quantize, quantizeWeights, rangeQParams, requantMultipliers, weightGradScale } from './quant';

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
