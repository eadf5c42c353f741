/**
 * Finalists: the summed-gain objective (gains.ts) treats each layer's gain as independent of the others, which
 * holds for a few updated tensors but not for many: at a large budget the evolutionary search fills the memory
 * with a dozen partially updated weights whose single-layer gains add up on paper, while trained together they
 * gain less and train less stably than a few whole ones (mcunet-5fps at 256 KB: 14 weight tensors, validation
 * 86.3% against 89.6% for the paper's 6). So the search proposes a handful of finalists, the best summed-gain
 * scheme within the budget when at most m weight tensors are updated, for m in FINALIST_CAPS and without a cap,
 * and each finalist is then fine-tuned for real like a contribution run and scored on the validation split; the
 * answer is the finalist of highest measured validation accuracy (ties: the higher summed gain). The caps are a
 * sweep over the one interaction the objective cannot see (how many tensors share the update), not a tuned set.
 *
 * Known schemes join the finalists too (`references`: the best last-k that fits and the paper's published
 * schemes of the backbone, where the space can express them and they fit the budget), so the answer is never a
 * scheme that did worse on validation than one the user could have picked by hand. A finalist that came from a
 * reference carries its label (`reference`).
 */
import { better, evolve, type EvolveOptions, type SearchResult } from './evolve';
import type { CostModel } from './cost';
import type { Objective } from './gains';
import type { Scheme } from '../scheme/scheme';
import { fromScheme, genomeKey, genomeText, lastKGenome, type Genome } from './space';

/** A known scheme offered as a finalist: its genome and a label ('paper:99kb', 'last:8'). */
export interface Reference {
  genome: Genome;
  label: string;
}

/**
 * The references of an objective's space: the last-k scheme of highest summed gain that fits `budget` (k >= 1; ties: the
 * smaller k) and the given published schemes the space can express (fromScheme), unparseable ones skipped.
 */
export function references(
  obj: Objective,
  cost: CostModel,
  budget: number,
  published: readonly { label: string; scheme: Scheme }[],
): Reference[] {
  const space = obj.space;
  const out: Reference[] = [];
  let best: { g: Genome; k: number; gain: number } | null = null;
  for (let k = 1; k <= space.maxBias; k++) {
    const g = lastKGenome(space, k);
    if (cost.cost(g) > budget) continue;
    const gain = obj.gain(g);
    if (!best || gain > best.gain) best = { g, k, gain };
  }
  if (best) out.push({ genome: best.g, label: `last:${best.k}` });
  for (const p of published) {
    const g = fromScheme(space, p.scheme);
    if (g) out.push({ genome: g, label: p.label });
  }
  return out;
}

/** Caps on the number of updated weight tensors, one finalist each (plus the uncapped search's answer). */
export const FINALIST_CAPS = [1, 2, 3, 4, 6, 8] as const;

/** Weight tensors a genome updates (ratio above 0). */
export const updatedWeights = (g: Genome): number => g.ratio.reduce((n, r) => n + (r > 0 ? 1 : 0), 0);

/** A cost model that prices genomes updating more than `cap` weight tensors out (Infinity). */
export function cappedCost(cost: CostModel, cap: number): CostModel {
  return {
    cost: (g) => (updatedWeights(g) > cap ? Infinity : cost.cost(g)),
    get evaluated() {
      return cost.evaluated;
    },
  };
}

/**
 * The distinct finalists within `budget`, by summed gain descending (then cost, then genome): the uncapped
 * search's answer and the capped searches' answers. Empty when not even classifier-only fits. Each search uses
 * the same seed and options, so the list is reproducible.
 */
export function finalists(
  obj: Objective,
  cost: CostModel,
  budget: number,
  options: Partial<EvolveOptions> = {},
  caps: readonly number[] = FINALIST_CAPS,
  references: readonly Reference[] = [],
): (SearchResult & { reference?: string })[] {
  const found = new Map<string, SearchResult & { reference?: string }>();
  for (const cap of [Infinity, ...caps]) {
    const r = evolve(obj, cap === Infinity ? cost : cappedCost(cost, cap), budget, options);
    if (r && !found.has(r.scheme)) found.set(r.scheme, r);
  }
  for (const ref of references) {
    const c = cost.cost(ref.genome);
    const scheme = genomeText(obj.space, ref.genome);
    const had = found.get(scheme);
    if (had) had.reference ??= ref.label;
    else if (c <= budget)
      found.set(scheme, { genome: ref.genome, scheme, gain: obj.gain(ref.genome), cost: c, reference: ref.label });
  }
  const scored = (r: SearchResult) => ({ ...r, key: genomeKey(r.genome) });
  return [...found.values()].sort((a, b) => better(scored(a), scored(b)));
}

/**
 * The index of the finalist to answer with: highest measured accuracy, ties to the earlier one (higher summed
 * gain, as finalists() orders them). `accuracy[i]` is finalist i's validation accuracy.
 */
export function pickFinalist(accuracy: readonly number[]): number {
  if (accuracy.length === 0) throw new RangeError('no finalists to pick from');
  let best = 0;
  for (let i = 1; i < accuracy.length; i++) if (accuracy[i] > accuracy[best]) best = i;
  return best;
}

/**
 * Finalists with their measured accuracy (`accuracy(scheme)`; undefined: not run, an error) and the answer, the
 * one of best accuracy without its accuracy field: what the CLI report and the page's result both do.
 */
export function scoreFinalists<T extends { scheme: string }>(
  finals: readonly T[],
  accuracy: (scheme: string) => number | undefined,
): { finalists: (T & { accuracy: number })[]; best: Omit<T, 'accuracy'> } {
  const scored = finals.map((f) => {
    const a = accuracy(f.scheme);
    if (a === undefined) throw new Error(`no run of the finalist ${f.scheme}`);
    return { ...f, accuracy: a };
  });
  const { accuracy: _, ...best } = scored[pickFinalist(scored.map((f) => f.accuracy))];
  return { finalists: scored, best };
}
