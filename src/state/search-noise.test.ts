import { describe, expect, it } from 'vitest';
import { accuracyStdErr, closeCall } from './search-noise';

describe('finalists within the validation noise', () => {
  it('is the binomial standard error', () => {
    expect(accuracyStdErr(0.9, 500)).toBeCloseTo(Math.sqrt(0.09 / 500), 15);
    expect(accuracyStdErr(0.5, 100)).toBeCloseTo(0.05, 15);
  });

  it('flags a lead under two standard errors of the difference, and not a clear one', () => {
    const f = [
      { scheme: 'a', accuracy: 0.9 },
      { scheme: 'b', accuracy: 0.895 },
      { scheme: 'c', accuracy: 0.7 },
      { scheme: 'd', accuracy: null },
    ];
    // 500 images: se(0.9) = 1.34 points, se(0.895) = 1.37; 2 * hypot = 3.84 points > the 0.5-point lead
    const close = closeCall(f, 'a', 500)!;
    expect(close).toMatchObject({ answer: 'a', runnerUp: 'b', images: 500 });
    expect(close.lead).toBeCloseTo(0.005, 12);
    expect(close.noise).toBeCloseTo(2 * Math.hypot(accuracyStdErr(0.9, 500), accuracyStdErr(0.895, 500)), 12);
    expect(close.noise).toBeGreaterThan(0.038);
    expect(close.noise).toBeLessThan(0.0385);
    // a 20-point lead is clear even on 100 images
    expect(closeCall([f[0], f[2]], 'a', 100)).toBeNull();
    // the same 0.5-point lead is clear on 100,000 images (2 * hypot ~ 0.27 points)
    expect(closeCall(f, 'a', 100_000)).toBeNull();
  });

  it('needs an answer with a score and a runner-up', () => {
    expect(closeCall([{ scheme: 'a', accuracy: 0.9 }], 'a', 500)).toBeNull();
    expect(
      closeCall(
        [
          { scheme: 'a', accuracy: null },
          { scheme: 'b', accuracy: 0.8 },
        ],
        'a',
        500,
      ),
    ).toBeNull();
    expect(closeCall([{ scheme: 'a', accuracy: 0.9 }], undefined, 500)).toBeNull();
  });
});
