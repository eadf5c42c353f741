import { describe, expect, it } from 'vitest';
import { runHeadless, type HeadlessOptions } from '../../src/cli/train-run';
import { PrefixCache } from '../../src/runtime/training/prefix-cache';
import { chooseRate, testScore, type Scored } from './select-lr';

const o: HeadlessOptions = {
  model: 'tiny-cnn',
  resolution: 32,
  scheme: 'last:2',
  data: 'mnist',
  steps: 30,
  seed: 3,
  lr: 0.05,
  rounding: 'nearest',
  qas: true,
  engine: 'wasm',
  wasm: 'wasm/tt_kernels.wasm',
  pretrained: null,
  evalExamples: 60,
  curvePoints: 1,
  initialEval: false,
  schedule: 'cosine',
};

describe('testScore', () => {
  it("gives runHeadless's final test score, with and without the prefix cache", async () => {
    const ref = await runHeadless(o);
    const cache = new PrefixCache();
    for (const c of [undefined, cache, cache]) {
      const r = await testScore(o, c);
      expect(r.accuracy).toBe(ref.finalTestAccuracy);
      expect(r.loss).toBe(ref.finalTestLoss);
      expect(r.examples).toBe(60);
      expect(r.peakSramBytes).toBe(ref.plan.peakSramBytes);
    }
    expect(cache.hits).toBeGreaterThan(0);
  }, 60_000);
});

describe('chooseRate', () => {
  const run = (lr: number, seed: number, validationAccuracy: number, keySeed = seed): Scored => ({
    key: JSON.stringify({ lr, seed: keySeed }),
    lr,
    validationAccuracy,
    validationExamples: 2000,
    trainExamples: 5756,
  });

  it('chooses on the mean over seeds, reads old lines their seed from the key, and lets the last line win', () => {
    const runs = [
      run(0.1, 1, 0.95),
      run(0.1, 2, 0.1), // diverged at seed 2
      run(0.05, 1, 0.94),
      run(0.05, 2, 0.2),
      run(0.05, 2, 0.93), // a re-run of (0.05, 2): the last line counts
      { ...run(0.03, 1, 0.9), seed: 1 },
      { ...run(0.03, 9, 0.9), seed: 2 }, // the seed field outranks the key
      run(0.2, 1, 0.99), // no seed 2: left out
    ];
    const { rows, chosen } = chooseRate(runs, [1, 2]);
    expect(rows.map((r) => r.lr)).toEqual([0.03, 0.05, 0.1]);
    expect(chosen.lr).toBe(0.05);
    expect(chosen.accuracies).toEqual([0.94, 0.93]);
    expect(chosen.mean).toBeCloseTo(0.935, 12);
    expect(chooseRate(runs, [1]).chosen.lr).toBe(0.2);
  });

  it('breaks a tie toward the smaller rate and refuses when no rate has every seed', () => {
    expect(chooseRate([run(0.1, 1, 0.9), run(0.05, 1, 0.9)], [1]).chosen.lr).toBe(0.05);
    expect(() => chooseRate([run(0.1, 1, 0.9)], [2])).toThrow(/no rate has a validation run for every seed of 2/);
  });
});
