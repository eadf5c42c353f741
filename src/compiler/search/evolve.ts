/**
 * Evolutionary search for the scheme of highest summed gain (gains.ts) whose cost (cost.ts) is within the
 * budget; seeded (mulberry32), so a seed fixes the answer. The steps:
 *   1. start from the classifier-only genome and population-1 random ones, each repaired to fit;
 *   2. every generation keep the best `parents` share (gain descending, then cost, then genome key) and fill
 *      the population with children: uniform crossover of two parents (half of them) or a copy of one, then
 *      per-gene mutation, then repair; children already seen are drawn again (a bounded number of tries);
 *      stop after `patience` generations without a better best;
 *   3. polish the best `polish` genomes by steepest ascent over single-gene changes that stay within the budget
 *      (a memetic finish: the evolution finds the region, the ascent its local top).
 * Random genomes leave each gene at 0 with probability 1/2 (most of a large space is far over any budget).
 * Repair lowers a random non-zero gene (bias count or ratio index) to a random lower value until the genome fits.
 */
import { mulberry32 } from '../models/init';
import type { CostModel } from './cost';
import type { Objective } from './gains';
import { emptyGenome, geneCount, geneValues, genomeKey, genomeText, getGene, withGene, type Genome } from './space';

export interface EvolveOptions {
  seed: number;
  population: number;
  generations: number;
  /** Share of the population kept as parents. */
  parents: number;
  /** Chance of each gene to be redrawn in a child. */
  mutation: number;
  /** Stop after this many generations without a better best genome. */
  patience: number;
  /** The best this many genomes of the last population are polished. */
  polish: number;
}

export const DEFAULT_EVOLVE: EvolveOptions = {
  seed: 1,
  population: 64,
  generations: 30,
  parents: 0.25,
  mutation: 0.1,
  patience: 10,
  polish: 4,
};

export interface SearchResult {
  genome: Genome;
  /** Canonical scheme text. */
  scheme: string;
  gain: number;
  cost: number;
}

/** A genome with its objective, cost and key (genomeKey). */
export interface Scored {
  genome: Genome;
  key: string;
  gain: number;
  cost: number;
}

/** Best first: higher gain, then lower cost, then genome key (a total order, so results are reproducible). */
export const better = (a: Scored, b: Scored): number =>
  b.gain - a.gain || a.cost - b.cost || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

export function score(obj: Objective, cost: CostModel, g: Genome): Scored {
  return { genome: g, key: genomeKey(g), gain: obj.gain(g), cost: cost.cost(g) };
}

/** The result form of a scored genome: with its canonical scheme text. */
export const result = (obj: Objective, s: Scored): SearchResult => ({
  genome: s.genome,
  scheme: genomeText(obj.space, s.genome),
  gain: s.gain,
  cost: s.cost,
});

function repair(obj: Objective, cost: CostModel, budget: number, g: Genome, rand: () => number): Genome | null {
  const n = geneCount(obj.space);
  while (cost.cost(g) > budget) {
    const live: number[] = [];
    for (let j = 0; j < n; j++) if (getGene(g, j) > 0) live.push(j);
    if (live.length === 0) return null;
    const j = live[Math.floor(rand() * live.length)];
    g = withGene(g, j, Math.floor(rand() * getGene(g, j)));
  }
  return g;
}

function randomGenome(obj: Objective, rand: () => number): Genome {
  let g = emptyGenome(obj.space);
  for (let j = 0; j < geneCount(obj.space); j++)
    if (rand() < 0.5) g = withGene(g, j, Math.floor(rand() * geneValues(obj.space, j)));
  return g;
}

function child(obj: Objective, parents: Scored[], o: EvolveOptions, rand: () => number): Genome {
  const pick = () => parents[Math.floor(rand() * parents.length)].genome;
  const a = pick();
  const b = rand() < 0.5 ? pick() : a;
  let g = a;
  for (let j = 0; j < geneCount(obj.space); j++) {
    let v = rand() < 0.5 ? getGene(a, j) : getGene(b, j);
    if (rand() < o.mutation) v = Math.floor(rand() * geneValues(obj.space, j));
    g = withGene(g, j, v);
  }
  return g;
}

/** Steepest ascent over single-gene changes within the budget. */
export function polish(obj: Objective, cost: CostModel, budget: number, start: Scored): Scored {
  let best = start;
  for (;;) {
    let next = best;
    for (let j = 0; j < geneCount(obj.space); j++) {
      for (let v = 0; v < geneValues(obj.space, j); v++) {
        if (v === getGene(best.genome, j) || obj.values[j][v] <= obj.values[j][getGene(best.genome, j)]) continue;
        const s = score(obj, cost, withGene(best.genome, j, v));
        if (s.cost <= budget && better(s, next) < 0) next = s;
      }
    }
    if (next === best) return best;
    best = next;
  }
}

/** The best scheme found within `budget`, or null when not even classifier-only fits. */
export function evolve(
  obj: Objective,
  cost: CostModel,
  budget: number,
  options: Partial<EvolveOptions> = {},
): SearchResult | null {
  const o = { ...DEFAULT_EVOLVE, ...options };
  const rand = mulberry32(o.seed);
  const seen = new Set<string>();
  const pop: Scored[] = [];
  const add = (g: Genome | null): boolean => {
    if (!g) return false;
    const s = score(obj, cost, g);
    if (seen.has(s.key)) return false;
    seen.add(s.key);
    pop.push(s);
    return true;
  };
  if (!add(repair(obj, cost, budget, emptyGenome(obj.space), rand))) return null;
  for (let t = 0; pop.length < o.population && t < 4 * o.population; t++)
    add(repair(obj, cost, budget, randomGenome(obj, rand), rand));
  const keep = Math.max(2, Math.round(o.parents * o.population));
  let stale = 0;
  for (let gen = 0; gen < o.generations && stale < o.patience; gen++) {
    pop.sort(better);
    const top = pop[0];
    pop.length = Math.min(pop.length, keep);
    const parents = pop.slice();
    for (let t = 0; pop.length < o.population && t < 8 * o.population; t++)
      add(repair(obj, cost, budget, child(obj, parents, o, rand), rand));
    stale = pop.some((p) => better(p, top) < 0) ? 0 : stale + 1;
  }
  pop.sort(better);
  const polished = pop.slice(0, o.polish).map((s) => polish(obj, cost, budget, s));
  return result(obj, polished.sort(better)[0]);
}
