import { describe, expect, it } from 'vitest';
import { calibrate, fitLinear } from './fit';

describe('fitLinear', () => {
  it('recovers exact non-negative coefficients', () => {
    const samples = [1, 2, 3, 5, 8, 13, 21].map((a, i) => {
      const work = [a * 1000, (i % 3) * 50 + 7];
      return { work, instr: 120 + 3.5 * work[0] + 40 * work[1] };
    });
    const c = fitLinear(samples);
    expect(c[0]).toBeCloseTo(120, 4);
    expect(c[1]).toBeCloseTo(3.5, 8);
    expect(c[2]).toBeCloseTo(40, 6);
  });

  it('never returns a negative coefficient', () => {
    // the unconstrained fit of these points has a negative intercept
    const samples = [10, 20, 30, 40].map((x) => ({ work: [x], instr: 5 * x - 30 + (x === 20 ? 3 : 0) }));
    const c = fitLinear(samples);
    expect(c.every((v) => v >= 0)).toBe(true);
    expect(c[0]).toBe(0);
  });
});

describe('calibrate', () => {
  it('a proportional set has no error in or out of sample', () => {
    const cal = calibrate([1, 2, 4].map((x) => ({ x, t: 0.5 * x })));
    expect(cal.factor).toBeCloseTo(0.5, 12);
    for (const p of cal.points) {
      expect(p.error).toBeCloseTo(0, 12);
      expect(p.looError).toBeCloseTo(0, 12);
    }
  });

  it('leave-one-out predicts each point from the others only', () => {
    const cal = calibrate([
      { x: 1, t: 1 },
      { x: 1, t: 2 },
      { x: 1, t: 4 },
    ]);
    // factor from points 1 and 2 alone: sum(1/t) / sum(1/t^2) = (0.5 + 0.25) / (0.25 + 0.0625)
    expect(cal.points[0].looPredicted).toBeCloseTo(0.75 / 0.3125, 12);
  });
});
