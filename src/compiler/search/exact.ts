/**
 * Exact solver for small spaces: depth-first branch and bound over the genes (bias count first, then one ratio
 * per layer), values tried best gain first. The bound of a partial genome is its gain so far plus the largest
 * contribution of every gene still open; a branch whose bound cannot beat the best complete genome within the
 * budget is cut. The cost is only asked of complete genomes, so nothing is assumed about it (peak SRAM need not
 * grow with the scheme: split weights and reordering can lower it). Ties are broken as in evolve.ts (`better`).
 */
import type { CostModel } from './cost';
import type { Objective } from './gains';
import { better, result, score, type Scored, type SearchResult } from './evolve';
import { emptyGenome, geneCount, spaceSize, withGene, type Genome } from './space';

/** Spaces larger than this are refused (the bound still leaves the worst case exponential). */
export const EXACT_LIMIT = 5_000_000;

export function solveExact(obj: Objective, cost: CostModel, budget: number, limit = EXACT_LIMIT): SearchResult | null {
  const size = spaceSize(obj.space);
  if (size > limit) throw new RangeError(`the space has ${size} schemes; the exact solver takes at most ${limit}`);
  const n = geneCount(obj.space);
  const order = obj.values.map((row) => row.map((_, v) => v).sort((a, b) => row[b] - row[a] || a - b));
  const rest = new Array<number>(n + 1).fill(0);
  for (let j = n - 1; j >= 0; j--) rest[j] = rest[j + 1] + Math.max(...obj.values[j]);
  let best: Scored | null = null;
  const visit = (g: Genome, j: number, sum: number): void => {
    // the slack keeps float rounding of the bound from cutting a branch that ties or beats the best
    if (best && sum + rest[j] < best.gain - 1e-12) return;
    if (j === n) {
      const s = score(obj, cost, g);
      if (s.cost <= budget && (!best || better(s, best) < 0)) best = s;
      return;
    }
    for (const v of order[j]) visit(withGene(g, j, v), j + 1, sum + obj.values[j][v]);
  };
  visit(emptyGenome(obj.space), 0, 0);
  return best && result(obj, best);
}
