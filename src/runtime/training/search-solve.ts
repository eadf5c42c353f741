/**
 * The page's search step after the contribution runs: the seeded evolutionary search (compiler/search) under a
 * peak-SRAM budget, recording every scheme it priced, so the UI can draw accuracy gain against peak SRAM for
 * all of them with their Pareto front, the best last-k schemes and the published ones. Pure (compiles only);
 * runs in a pool worker so the page stays responsive while it compiles a few thousand schemes.
 */
import { compile } from '../../compiler/compile';
import type { Model } from '../../compiler/models/model';
import type { PlanOptions } from '../../compiler/plan';
import { sramCost, type CostModel } from '../../compiler/search/cost';
import { evolve, DEFAULT_EVOLVE } from '../../compiler/search/evolve';
import { objective, type GainsTable } from '../../compiler/search/gains';
import { genomeKey, genomeText, searchSpace, type Genome } from '../../compiler/search/space';

export interface Candidate {
  scheme: string;
  /** Summed gain (gains.ts) or, for a published scheme, its measured gain over classifier-only. */
  gain: number;
  peakSramBytes: number;
}

export interface SolveRequest {
  model: Model;
  /** Trailing convs in the space. */
  layers: number;
  gains: GainsTable;
  budgetBytes: number;
  seed: number;
  options: Partial<PlanOptions>;
  /** Published schemes (scheme text) with their measured validation gain over classifier-only. */
  published: { id: string; scheme: string; gain: number }[];
}

export interface SolveResult {
  /** The search's answer; null when not even classifier-only fits. */
  best: Candidate | null;
  /** Every scheme the search priced, in the order it priced them. */
  candidates: Candidate[];
  /** The candidates no other beats on both gain and peak SRAM, by rising peak. */
  pareto: Candidate[];
  /** last:k (k = 0..layers: the last k convs' biases and weights whole), whether they fit or not. */
  lastK: (Candidate & { k: number })[];
  published: (Candidate & { id: string })[];
}

/** The candidates not dominated (lower or equal peak with higher gain), by rising peak. */
export function paretoFront(cands: readonly Candidate[]): Candidate[] {
  const sorted = [...cands].sort((a, b) => a.peakSramBytes - b.peakSramBytes || b.gain - a.gain);
  const front: Candidate[] = [];
  for (const c of sorted) if (front.length === 0 || c.gain > front[front.length - 1].gain) front.push(c);
  return front;
}

/** A cost model that remembers every genome it priced. */
function recording(inner: CostModel): CostModel & { seen: Map<string, { g: Genome; cost: number }> } {
  const seen = new Map<string, { g: Genome; cost: number }>();
  return {
    seen,
    cost(g) {
      const c = inner.cost(g);
      const k = genomeKey(g);
      if (!seen.has(k)) seen.set(k, { g, cost: c });
      return c;
    },
    get evaluated() {
      return inner.evaluated;
    },
  };
}

export function solveSearch(r: SolveRequest): SolveResult {
  const space = searchSpace(r.model, r.layers);
  const obj = objective(space, r.gains);
  const cost = recording(sramCost(space, r.model, r.options));
  const best = evolve(obj, cost, r.budgetBytes, { ...DEFAULT_EVOLVE, seed: r.seed });
  const n = space.layers.length;
  const lastK = Array.from({ length: space.maxBias + 1 }, (_, k) => {
    const g: Genome = { bias: k, ratio: space.layers.map((l, j) => (j >= n - k ? l.ratios.length - 1 : 0)) };
    return { k, scheme: genomeText(space, g), gain: obj.gain(g), peakSramBytes: cost.cost(g) };
  });
  const candidates = [...cost.seen.values()].map(({ g, cost: c }) => ({
    scheme: genomeText(space, g),
    gain: obj.gain(g),
    peakSramBytes: c,
  }));
  const published = r.published.map((p) => ({
    ...p,
    peakSramBytes: compile(r.model, p.scheme, r.options).metrics.peakSramBytes,
  }));
  return {
    best: best && { scheme: best.scheme, gain: best.gain, peakSramBytes: best.cost },
    candidates,
    pareto: paretoFront(candidates),
    lastK,
    published,
  };
}
