/**
 * The search's cost: peak SRAM of the compiled plan (plan.metrics.peakSramBytes: arena + trainable SRAM, with
 * the pipeline's reordering, fusion and split weights), one compile() per distinct scheme text, cached.
 */
import { compile } from '../compile';
import type { Model } from '../models/model';
import type { PlanOptions } from '../plan';
import { genomeKey, genomeText, type Genome, type SearchSpace } from './space';

/** Bytes of a genome (any deterministic function of the scheme text). */
export interface CostModel {
  cost(g: Genome): number;
  /** Distinct schemes priced so far (compiles, for the compiler-backed model). */
  readonly evaluated: number;
}

/** A cost model over scheme texts, cached per genome (one genome is one scheme text). */
export function cachedCost(space: SearchSpace, price: (schemeText: string) => number): CostModel {
  const cache = new Map<string, number>();
  return {
    cost(g) {
      const key = genomeKey(g);
      let c = cache.get(key);
      if (c === undefined) cache.set(key, (c = price(genomeText(space, g))));
      return c;
    },
    get evaluated() {
      return cache.size;
    },
  };
}

/** Peak SRAM bytes from the compiler. */
export function sramCost(space: SearchSpace, model: Model, options: Partial<PlanOptions> = {}): CostModel {
  return cachedCost(space, (text) => compile(model, text, options).metrics.peakSramBytes);
}
