import { describe, expect, it } from 'vitest';
import { compareInt8, seededInt8Inputs } from './compare';

describe('oracle comparison', () => {
  it('counts bit-identical samples and the largest LSB difference', () => {
    const a = [
      [1, 2, 3],
      [4, 5, 6],
      [-128, 0, 127],
    ];
    const b = [
      [1, 2, 3],
      [4, 7, 6],
      [-127, 0, 124],
    ];
    expect(compareInt8(a, b)).toEqual({
      samples: 3,
      identical: 1,
      fractionIdentical: 1 / 3,
      maxLsbDiff: 3,
      differingElements: 3,
    });
    expect(compareInt8(a, a).fractionIdentical).toBe(1);
    expect(() => compareInt8(a, b.slice(1))).toThrow(/3 samples against 2/);
  });

  it('makes the same seeded inputs every time, spread over the int8 range', () => {
    const x = seededInt8Inputs(1, 100, 50);
    expect(seededInt8Inputs(1, 100, 50)).toEqual(x);
    expect(seededInt8Inputs(2, 1, 50)[0]).not.toEqual(x[0]);
    const all = x.flatMap((v) => Array.from(v));
    expect(Math.min(...all)).toBe(-128);
    expect(Math.max(...all)).toBe(127);
  });
});
