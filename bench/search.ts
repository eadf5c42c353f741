/**
 * The scheme search (src/compiler/search): how often the evolutionary search finds the exact optimum, and what
 * it costs in priced schemes.
 *   1. random gains tables with a made-up non-additive cost on mcunet-5fps spaces of the last 5..7 convs
 *      (up to 6e5 schemes), 20 instances each: optimal share, worst gap, distinct schemes priced;
 *   2. the compiler's peak SRAM on tiny-cnn 32x32 (all 9 convs, 7.8e6 schemes) and on mcunet-5fps 128x128 (the
 *      last 12 convs): compiles and wall time of one default search.
 */
import { buildModel } from '../src/compiler/models/model';
import { mulberry32 } from '../src/compiler/models/init';
import { sramCost } from '../src/compiler/search/cost';
import { evolve } from '../src/compiler/search/evolve';
import { solveExact } from '../src/compiler/search/exact';
import { objective, randomGains } from '../src/compiler/search/gains';
import { genomeKey, searchSpace, spaceSize, type Genome, type SearchSpace } from '../src/compiler/search/space';
import { compile } from '../src/compiler/compile';

function madeUpCost(space: SearchSpace, rand: () => number) {
  const w = space.layers.map(() => Math.floor(1000 + 9000 * rand()));
  return (g: Genome) => {
    const ratios: number[] = g.ratio.map((r, j) => space.layers[j].ratios[r]);
    const weights = ratios.reduce((a, r, j) => a + Math.round(w[j] * r), 0);
    return 5000 + 300 * g.bias + weights + 4000 * Math.max(...ratios) ** 2;
  };
}

function optimality(): void {
  const m = buildModel({ model: 'mcunet-5fps', resolution: 64, classes: 10 });
  for (const layers of [5, 6, 7]) {
    let same = 0;
    let gap = 0;
    let priced = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const rand = mulberry32(seed * 31 + layers);
      const space = searchSpace(m, layers);
      const obj = objective(space, randomGains(space, rand));
      const price = madeUpCost(space, rand);
      const budget = 8000 + Math.floor(25000 * rand());
      const exact = solveExact(obj, { cost: price, evaluated: 0 }, budget)!;
      const seen = new Set<string>();
      const cost = { cost: (g: Genome) => (seen.add(genomeKey(g)), price(g)), evaluated: 0 };
      const found = evolve(obj, cost, budget, { seed })!;
      priced += seen.size;
      if (found.gain === exact.gain) same++;
      else gap = Math.max(gap, exact.gain - found.gain);
    }
    console.log(
      `mcunet last ${layers} convs (${spaceSize(searchSpace(m, layers))} schemes): ${same}/20 optimal, worst gap ${gap.toFixed(4)}, ${(priced / 20).toFixed(0)} schemes priced on average`,
    );
  }
}

function compilerSearch(model: string, resolution: number, layers: number, budget: number): void {
  const m = buildModel({ model, resolution, classes: 10 });
  const space = searchSpace(m, layers);
  const obj = objective(space, randomGains(space, mulberry32(1)));
  const cost = sramCost(space, m);
  const t = performance.now();
  const r = evolve(obj, cost, budget, { seed: 1 });
  const s = (performance.now() - t) / 1000;
  const check = r ? compile(m, r.scheme).metrics.peakSramBytes : null;
  console.log(
    `${model} ${resolution}x${resolution}, last ${layers} convs, budget ${budget}: ${r?.scheme ?? 'nothing fits'} (peak ${check}), ${cost.evaluated} compiles in ${s.toFixed(1)} s`,
  );
}

export default async function bench(): Promise<void> {
  optimality();
  compilerSearch('tiny-cnn', 32, 9, 24 * 1024);
  compilerSearch('mcunet-5fps', 128, 12, 160 * 1024);
}
