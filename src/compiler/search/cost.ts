/**
 * The search's cost: peak SRAM of the compiled plan (plan.metrics.peakSramBytes: arena + trainable SRAM, with
 * the pipeline's reordering, fusion and split weights), one compile() per distinct scheme text, cached.
 */
import { compile } from '../compile';
import type { Model } from '../models/model';
import type { PlanOptions } from '../plan';
import { genomeKey, genomeText, type Genome, type SearchSpace } from './space';
import type { Board } from '../boards';
import { boardCpi, estimateLatency } from '../codegen/latency';

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

/**
 * Peak SRAM bytes, or Infinity when the plan's estimated training step on the board (codegen/latency.ts) takes
 * longer than `latencyMs`: the search then keeps only candidates within both budgets. A board without a
 * calibrated latency factor cannot be held to a latency budget (throws).
 */
export function sramLatencyCost(
  space: SearchSpace,
  model: Model,
  limit: { board: Pick<Board, 'core' | 'clockMhz' | 'name'>; latencyMs: number },
  options: Partial<PlanOptions> = {},
): CostModel {
  if (estimateLatencyMsOf(limit.board, 1) === null)
    throw new Error(
      `no latency estimate for the ${limit.board.name} (${limit.board.core}): calibrated for Cortex-M7 only`,
    );
  return cachedCost(space, (text) => {
    const plan = compile(model, text, options);
    const ms = estimateLatency(plan, limit.board).ms;
    if (ms === null) throw new Error(`no latency estimate for the scheme ${text}: a kernel was never measured`);
    return ms <= limit.latencyMs ? plan.metrics.peakSramBytes : Infinity;
  });
}

/** ms of `instructions` on the board, or null when its core has no calibrated factor. */
function estimateLatencyMsOf(board: Pick<Board, 'core' | 'clockMhz'>, instructions: number): number | null {
  const cpi = boardCpi(board);
  return cpi === null ? null : (instructions * cpi) / (board.clockMhz * 1000);
}
