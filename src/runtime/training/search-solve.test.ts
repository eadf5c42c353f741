import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/compile';
import { mulberry32 } from '../../compiler/models/init';
import { buildModel } from '../../compiler/models/model';
import { randomGains } from '../../compiler/search/gains';
import { searchSpace } from '../../compiler/search/space';
import { estimatedStepMs } from '../../compiler/search/latency';
import { paretoFront, solveSearch, withFinalists, withinLatency } from './search-solve';

const c = (scheme: string, gain: number, peakSramBytes: number) => ({ scheme, gain, peakSramBytes });

describe('search solve', () => {
  it('keeps the candidates nothing beats on both gain and peak SRAM', () => {
    const front = paretoFront([c('a', 0.1, 100), c('b', 0.05, 120), c('c', 0.2, 150), c('d', 0.2, 140), c('e', 0, 90)]);
    expect(front.map((x) => x.scheme)).toEqual(['e', 'a', 'd']);
  });

  it('prices every candidate with the compiler and returns the best, last-k and published schemes', () => {
    const model = buildModel({ model: 'tiny-cnn', resolution: 32, classes: 10, seed: 1 });
    const gains = randomGains(searchSpace(model, 4), mulberry32(3));
    const budget = 26 * 1024;
    const r = solveSearch({
      model,
      layers: 4,
      gains,
      budgetBytes: budget,
      seed: 1,
      options: {},
      published: [{ id: 'last:4', scheme: 'last:4', gain: 0.3 }],
    });
    expect(r.best).not.toBeNull();
    expect(r.best!.peakSramBytes).toBeLessThanOrEqual(budget);
    expect(r.candidates.length).toBeGreaterThan(10);
    for (const x of [r.candidates[0], r.candidates[r.candidates.length - 1], r.best!])
      expect(compile(model, x.scheme).metrics.peakSramBytes).toBe(x.peakSramBytes);
    // the best is on the front among what fits: no candidate within budget has more gain
    const fits = r.candidates.filter((x) => x.peakSramBytes <= budget);
    expect(Math.max(...fits.map((x) => x.gain))).toBe(r.best!.gain);
    expect(r.lastK.map((x) => x.k)).toEqual([0, 1, 2, 3, 4]);
    expect(r.lastK[0]).toMatchObject({ scheme: 'classifier', gain: 0 });
    expect(r.published[0]).toMatchObject({ id: 'last:4', gain: 0.3 });
    expect(r.published[0].peakSramBytes).toBe(compile(model, 'last:4').metrics.peakSramBytes);
    // finalists: the summed-gain answer among them, all within budget; withFinalists answers with the best measured
    expect(r.summed).toEqual(r.best);
    expect(r.finalists.map((f) => f.scheme)).toContain(r.best!.scheme);
    expect(r.finalists.every((f) => f.peakSramBytes <= budget && f.accuracy === null)).toBe(true);
    expect(r.finalists.length).toBeGreaterThan(1);
    const acc = new Map(r.finalists.map((f, i) => [f.scheme, i === r.finalists.length - 1 ? 0.9 : 0.5]));
    const v = withFinalists(r, (x) => acc.get(x));
    expect(v.best!.scheme).toBe(r.finalists[r.finalists.length - 1].scheme);
    expect(v.summed).toEqual(r.summed);
    expect(v.finalists.map((f) => f.accuracy)).toEqual(r.finalists.map((f) => acc.get(f.scheme)));
    expect(() => withFinalists(r, () => undefined)).toThrow(/no run of the finalist/);
  });

  it('estimates the step of every scheme on a calibrated board and keeps the answer within a latency budget', () => {
    const model = buildModel({ model: 'tiny-cnn', resolution: 32, classes: 10, seed: 1 });
    const gains = randomGains(searchSpace(model, 4), mulberry32(3));
    const base = { model, layers: 4, gains, budgetBytes: 26 * 1024, seed: 1, options: {}, published: [] };
    const free = solveSearch({ ...base, board: 'stm32f746' });
    const ms = (scheme: string) => estimatedStepMs(compile(model, scheme), 'stm32f746')!;
    expect(free.latency).toEqual({ board: 'stm32f746', limitMs: null });
    for (const c of [free.best!, free.candidates[0], free.lastK[4]]) expect(c.estStepMs).toBe(ms(c.scheme));
    // a budget between classifier-only and the unconstrained answer: the answer changes and keeps within it
    const limit = (ms('classifier') + free.best!.estStepMs!) / 2;
    const timed = solveSearch({ ...base, board: 'stm32f746', latencyMs: limit });
    expect(timed.latency).toEqual({ board: 'stm32f746', limitMs: limit });
    expect(timed.best!.estStepMs).toBeLessThanOrEqual(limit);
    expect(timed.best!.gain).toBeLessThan(free.best!.gain);
    expect(timed.pareto.every((c) => withinLatency(c, limit))).toBe(true);
    expect(timed.candidates.some((c) => !withinLatency(c, limit))).toBe(true);
    // candidates keep their true peak SRAM even when the latency budget prices them out
    const over = timed.candidates.find((c) => !withinLatency(c, limit))!;
    expect(over.peakSramBytes).toBe(compile(model, over.scheme).metrics.peakSramBytes);
    // a board without a calibrated factor: no estimates, no latency budget
    const m0 = solveSearch({ ...base, board: 'rp2040', latencyMs: 1 });
    expect(m0.latency).toBeNull();
    expect(m0.best).toEqual(
      free.best && { scheme: free.best.scheme, gain: free.best.gain, peakSramBytes: free.best.peakSramBytes },
    );
    expect('estStepMs' in m0.candidates[0]).toBe(false);
  });
});
