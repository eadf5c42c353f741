import { describe, expect, it } from 'vitest';
import { runHeadless, type HeadlessOptions } from '../../src/cli/train-run';
import { PrefixCache } from '../../src/runtime/training/prefix-cache';
import { testScore } from './select-lr';

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
