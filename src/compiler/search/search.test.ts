import { describe, expect, it } from 'vitest';
import { compile } from '../compile';
import { buildModel } from '../models/model';
import { mulberry32 } from '../models/init';
import { parseScheme, printScheme } from '../scheme/scheme';
import { cachedCost, sramCost } from './cost';
import { evolve } from './evolve';
import { solveExact } from './exact';
import { objective, randomGains } from './gains';
import { allowedRatios, genomeText, searchSpace, spaceSize, toScheme, type Genome, type SearchSpace } from './space';

const tiny = buildModel({ model: 'tiny-cnn', resolution: 32, classes: 10 });

/** A made-up cost that does not add up: a base, per-gene bytes and the largest single ratio squared. */
function syntheticCost(space: SearchSpace, rand: () => number) {
  const perBias = space.layers.map(() => Math.floor(200 + 800 * rand()));
  const perWeight = space.layers.map(() => Math.floor(1000 + 9000 * rand()));
  return (g: Genome) => {
    let c = 5000;
    for (let k = 0; k < g.bias; k++) c += perBias[perBias.length - 1 - k];
    let most = 0;
    g.ratio.forEach((r, j) => {
      const ratio = space.layers[j].ratios[r];
      c += Math.round(perWeight[j] * ratio);
      most = Math.max(most, ratio);
    });
    return c + Math.round(4000 * most * most);
  };
}

describe('search space', () => {
  it('allows only ratios that touch a whole number of channels', () => {
    expect(allowedRatios(tiny.convs[0])).toEqual([0, 1]); // 3 input channels
    expect(allowedRatios(tiny.convs[1])).toEqual([0, 0.125, 0.25, 0.5, 1]); // depthwise, 8 channels
    const space = searchSpace(tiny, 3);
    expect(space.layers.map((l) => l.conv)).toEqual([6, 7, 8]);
    expect(spaceSize(space)).toBe(4 * 5 * 5 * 5);
    expect(() => searchSpace(tiny, 10)).toThrow(/0 to 9/);
  });

  it('maps genomes to schemes that the scheme parser reads back', () => {
    const space = searchSpace(tiny);
    const g = { bias: 4, ratio: [1, 0, 0, 0, 2, 0, 0, 3, 4] };
    const text = genomeText(space, g);
    expect(text).toBe('bias:4;w:0@1,4@1/4,7@1/2,8@1');
    expect(parseScheme(text, tiny)).toEqual(toScheme(space, g));
  });
});

describe('evolutionary search vs the exact solver', () => {
  it('finds the exact optimum on small random instances with a non-additive cost', () => {
    for (let seed = 1; seed <= 24; seed++) {
      const rand = mulberry32(seed * 7919);
      const space = searchSpace(tiny, 3 + (seed % 5));
      const obj = objective(space, randomGains(space, rand));
      const price = syntheticCost(space, rand);
      const cost = { cost: price, evaluated: 0 };
      const budget = 6000 + Math.floor(20000 * rand());
      const exact = solveExact(obj, cost, budget)!;
      const found = evolve(obj, cost, budget, { seed })!;
      expect(found.cost).toBeLessThanOrEqual(budget);
      expect(exact.cost).toBeLessThanOrEqual(budget);
      expect({ seed, gain: found.gain }).toEqual({ seed, gain: exact.gain });
    }
  });

  it('finds the exact optimum under the compiler peak SRAM, and every answer compiles within the budget', () => {
    const space = searchSpace(tiny, 3);
    const cost = sramCost(space, tiny);
    const none = compile(tiny, 'classifier').metrics.peakSramBytes;
    const all = compile(tiny, 'last:3').metrics.peakSramBytes;
    for (let seed = 1; seed <= 3; seed++) {
      const rand = mulberry32(seed);
      const obj = objective(space, randomGains(space, rand));
      const budget = Math.round(none + (all - none) * (0.15 + 0.2 * seed * rand()));
      const exact = solveExact(obj, cost, budget)!;
      const found = evolve(obj, cost, budget, { seed })!;
      expect(found.gain).toBe(exact.gain);
      for (const r of [exact, found]) {
        expect(compile(tiny, r.scheme).metrics.peakSramBytes).toBe(r.cost);
        expect(r.cost).toBeLessThanOrEqual(budget);
        expect(printScheme(parseScheme(r.scheme, tiny), tiny)).toBe(r.scheme);
      }
    }
  });

  it('is reproducible per seed and refuses budgets nothing fits', () => {
    const space = searchSpace(tiny, 5);
    const obj = objective(space, randomGains(space, mulberry32(5)));
    const budget = compile(tiny, 'bias:5').metrics.peakSramBytes;
    const small = { seed: 3, generations: 6, population: 16 };
    const cost = sramCost(space, tiny);
    const a = evolve(obj, cost, budget, small);
    const b = evolve(obj, cost, budget, small);
    expect(a).toEqual(b);
    expect(a!.cost).toBeLessThanOrEqual(budget);
    expect(
      evolve(
        obj,
        cachedCost(space, () => 1e9),
        100,
        small,
      ),
    ).toBeNull();
    expect(
      solveExact(
        objective(searchSpace(tiny, 2), randomGains(searchSpace(tiny, 2), mulberry32(1))),
        cachedCost(searchSpace(tiny, 2), () => 1e9),
        100,
      ),
    ).toBeNull();
    expect(() =>
      solveExact(
        obj,
        cachedCost(space, () => 0),
        budget,
        1000,
      ),
    ).toThrow(/exact solver takes at most 1000/);
  });

  it('refuses a gains table that does not cover the space', () => {
    const space = searchSpace(tiny, 2);
    expect(() => objective(space, { bias: [0, 0.1], weight: [] })).toThrow(/3/);
    expect(() => objective(space, { bias: [0, 0.1, 0.2], weight: [] })).toThrow(/conv 7 at ratio 0.125/);
  });
});
