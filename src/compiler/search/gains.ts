/**
 * The contribution table of a search (PAPER-FACTS section 3): the accuracy gain of updating the last k biases
 * over classifier-only, and of additionally updating conv i's weight at ratio r over bias-only. Assuming the
 * gains add up, a genome's objective is
 *
 *   gain(g) = bias[g.bias] + sum_j weight(layer j, ratio of g at j)        (ratio 0 contributes 0)
 *
 * summed in that fixed order, so two searches that find the same genome report the same float.
 */
import type { Ratio } from '../scheme/scheme';
import { geneCount, geneValues, type Genome, type SearchSpace } from './space';

export interface WeightGain {
  conv: number;
  ratio: Ratio;
  gain: number;
}

export interface GainsTable {
  /** bias[k]: gain of the last k biases over classifier only; bias[0] = 0. */
  bias: number[];
  /** Gain of each (conv, non-zero ratio) weight update over bias-only. */
  weight: WeightGain[];
}

/** The gains of a space in gene form: values[j][v] is gene j's contribution at value v. */
export interface Objective {
  space: SearchSpace;
  values: number[][];
  gain(g: Genome): number;
}

/** Checks that the table covers the space and returns the objective; throws RangeError naming a gap. */
export function objective(space: SearchSpace, table: GainsTable): Objective {
  if (table.bias.length < space.maxBias + 1)
    throw new RangeError(`the gains table has ${table.bias.length} bias gains; the space needs ${space.maxBias + 1}`);
  const byKey = new Map(table.weight.map((w) => [`${w.conv}@${w.ratio}`, w.gain]));
  const values: number[][] = [table.bias.slice(0, space.maxBias + 1)];
  for (const l of space.layers) {
    values.push(
      l.ratios.map((r) => {
        if (r === 0) return 0;
        const v = byKey.get(`${l.conv}@${r}`);
        if (v === undefined) throw new RangeError(`the gains table has no gain for conv ${l.conv} at ratio ${r}`);
        return v;
      }),
    );
  }
  for (const row of values)
    for (const v of row) if (!Number.isFinite(v)) throw new RangeError(`gain ${v} is not finite`);
  return {
    space,
    values,
    gain(g) {
      let s = values[0][g.bias];
      for (let j = 0; j < g.ratio.length; j++) s += values[j + 1][g.ratio[j]];
      return s;
    },
  };
}

/** A random table for tests and benchmarks: bias gains rising with plateaus, weight gains in [-0.01, 0.1). */
export function randomGains(space: SearchSpace, rand: () => number): GainsTable {
  const bias = [0];
  for (let k = 1; k <= space.maxBias; k++) bias.push(bias[k - 1] + (rand() < 0.3 ? -0.002 : 0.02) * rand());
  const weight: WeightGain[] = [];
  for (const l of space.layers)
    for (const r of l.ratios)
      if (r > 0) weight.push({ conv: l.conv, ratio: r, gain: -0.01 + 0.11 * rand() * Math.sqrt(r) });
  return { bias, weight };
}

/** Sanity: the number of genes and values of a space (used by the solvers' loops). */
export const geneShape = (space: SearchSpace): number[] =>
  Array.from({ length: geneCount(space) }, (_, j) => geneValues(space, j));
