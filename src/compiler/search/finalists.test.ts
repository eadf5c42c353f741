import { describe, expect, it } from 'vitest';
import { buildModel } from '../models/model';
import { mulberry32 } from '../models/init';
import { solveExact } from './exact';
import { evolve } from './evolve';
import { cappedCost, finalists, pickFinalist, references, updatedWeights } from './finalists';
import { objective, randomGains } from './gains';
import { fromScheme, genomeText, searchSpace, type Genome } from './space';
import { parseScheme } from '../scheme/scheme';

const tiny = buildModel({ model: 'tiny-cnn', resolution: 32, classes: 10 });

/** Additive bytes: a base, per bias and per weight ratio (enough to make the budget bind). */
function additiveCost(n: number, rand: () => number) {
  const perWeight = Array.from({ length: n }, () => 1000 + Math.floor(4000 * rand()));
  return {
    cost: (g: Genome) => g.ratio.reduce((c, r, j) => c + r * perWeight[j], 5000 + 100 * g.bias),
    evaluated: 0,
  };
}

describe('finalists', () => {
  it('prices genomes over the cap out, and counts updated weights', () => {
    const base = { cost: () => 7, evaluated: 3 };
    const capped = cappedCost(base, 2);
    expect(updatedWeights({ bias: 4, ratio: [0, 1, 0, 3, 0] })).toBe(2);
    expect(capped.cost({ bias: 4, ratio: [0, 1, 0, 3, 0] })).toBe(7);
    expect(capped.cost({ bias: 0, ratio: [1, 1, 1, 0, 0] })).toBe(Infinity);
    expect(capped.evaluated).toBe(3);
  });

  it('proposes the uncapped answer and one answer per cap, each within its cap and the budget', () => {
    for (let seed = 1; seed <= 6; seed++) {
      const rand = mulberry32(seed * 104729);
      const space = searchSpace(tiny, 6);
      const obj = objective(space, randomGains(space, rand));
      const cost = additiveCost(space.layers.length, rand);
      const budget = 12000 + Math.floor(10000 * rand());
      const list = finalists(obj, cost, budget, { seed }, [1, 2, 3]);
      const uncapped = evolve(obj, cost, budget, { seed })!;
      expect(list.map((f) => f.scheme)).toContain(uncapped.scheme);
      expect(new Set(list.map((f) => f.scheme)).size).toBe(list.length);
      for (const f of list) expect(cost.cost(f.genome)).toBeLessThanOrEqual(budget);
      // the cap-1 finalist is the exact optimum among schemes with at most one updated weight
      const one = solveExact(obj, cappedCost(cost, 1), budget)!;
      const withOne = list.filter((f) => updatedWeights(f.genome) <= 1);
      expect(Math.max(...withOne.map((f) => f.gain))).toBeCloseTo(one.gain, 12);
      // summed gain descending
      for (let i = 1; i < list.length; i++) expect(list[i].gain).toBeLessThanOrEqual(list[i - 1].gain);
      expect(list[0].gain).toBe(uncapped.gain);
      // the same seed gives the same list
      expect(finalists(obj, cost, budget, { seed }, [1, 2, 3])).toEqual(list);
    }
  });

  it('is empty when nothing fits', () => {
    const space = searchSpace(tiny, 3);
    const obj = objective(space, randomGains(space, mulberry32(5)));
    expect(finalists(obj, { cost: () => 10, evaluated: 0 }, 5)).toEqual([]);
  });

  it('picks the best measured accuracy, ties to the higher summed gain (the earlier finalist)', () => {
    expect(pickFinalist([0.8, 0.9, 0.85])).toBe(1);
    expect(pickFinalist([0.9, 0.9, 0.85])).toBe(0);
    expect(pickFinalist([0.1])).toBe(0);
    expect(() => pickFinalist([])).toThrow(/no finalists/);
  });

  it('adds the known schemes that fit as finalists, labelled, and keeps a searched one that equals a known one', () => {
    const rand = mulberry32(77);
    const space = searchSpace(tiny, 6);
    const obj = objective(space, randomGains(space, rand));
    const cost = additiveCost(space.layers.length, rand);
    const budget = 14000;
    const t = space.target;
    // a scheme the space can express, one it cannot (a bias that is not part of a trailing run)
    const known = [
      { label: 'paper:x', scheme: parseScheme('bias:2;w:' + (t.convs.length - 1) + '@1/2', t) },
      { label: 'paper:y', scheme: parseScheme('bias:3', t) },
    ];
    known[1].scheme.bias[0] = true;
    expect(fromScheme(space, known[1].scheme)).toBeNull();
    const g = fromScheme(space, known[0].scheme)!;
    expect(genomeText(space, g)).toBe(genomeText(space, { bias: 2, ratio: g.ratio }));
    const refs = references(obj, cost, budget, known);
    expect(refs.map((r) => r.label)).toEqual([expect.stringMatching(/^last:\d+$/), 'paper:x']);
    // the best last-k is the one of highest summed gain that fits
    const k = Number(refs[0].label.slice(5));
    expect(cost.cost(refs[0].genome)).toBeLessThanOrEqual(budget);
    for (let j = 1; j <= space.maxBias; j++) {
      const n = space.layers.length;
      const other = { bias: j, ratio: space.layers.map((l, i) => (i >= n - j ? l.ratios.length - 1 : 0)) };
      if (cost.cost(other) <= budget) expect(obj.gain(other)).toBeLessThanOrEqual(obj.gain(refs[0].genome));
    }
    expect(refs[0].genome.bias).toBe(k);
    const list = finalists(obj, cost, budget, { seed: 1 }, [1, 2], refs);
    const plain = finalists(obj, cost, budget, { seed: 1 }, [1, 2]);
    for (const f of plain) expect(list.map((x) => x.scheme)).toContain(f.scheme);
    for (const r of refs) {
      const f = list.find((x) => x.scheme === genomeText(space, r.genome));
      if (cost.cost(r.genome) <= budget) expect(f?.reference).toBe(r.label);
      else expect(f).toBeUndefined();
    }
    // a reference over the budget is left out
    const tight = finalists(obj, cost, 5000, { seed: 1 }, [1], refs);
    expect(tight.every((f) => f.reference === undefined)).toBe(true);
  });
});
