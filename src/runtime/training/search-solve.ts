/**
 * The page's search step after the contribution runs: the seeded evolutionary search (compiler/search) under a
 * peak-SRAM budget, recording every scheme it priced, so the UI can draw accuracy gain against peak SRAM for
 * all of them with their Pareto front, the best last-k schemes and the published ones. With a board whose core
 * is calibrated (Cortex-M7), every scheme also carries its estimated training-step time (compiler/search/
 * latency.ts, an estimate), and an optional latency budget prices out the schemes over it, as the CLI's
 * `--latency-ms` does. Pure (compiles only); runs in a pool worker so the page stays responsive while it
 * compiles a few thousand schemes.
 */
import { compile } from '../../compiler/compile';
import type { Model } from '../../compiler/models/model';
import type { PlanOptions } from '../../compiler/plan';
import { boardById, type BoardId } from '../../compiler/boards';
import { boardCpi, estimateLatency } from '../../compiler/codegen/latency';
import { cachedCost, type CostModel } from '../../compiler/search/cost';
import { evolve, DEFAULT_EVOLVE } from '../../compiler/search/evolve';
import { FINALIST_CAPS, finalists, references, scoreFinalists } from '../../compiler/search/finalists';
import { parseScheme } from '../../compiler/scheme/scheme';
import { objective, type GainsTable } from '../../compiler/search/gains';
import { genomeKey, genomeText, lastKGenome, searchSpace, type Genome } from '../../compiler/search/space';

export interface Candidate {
  scheme: string;
  /** Summed gain (gains.ts) or, for a published scheme, its measured gain over classifier-only. */
  gain: number;
  peakSramBytes: number;
  /** Estimated ms per training step (batch 1) on the request's board; null: no estimate (absent: none asked). */
  estStepMs?: number | null;
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
  /** Board of the latency estimates (calibrated cores only; others get none). */
  board?: BoardId;
  /** Latency budget, estimated ms per training step on `board`; null or absent: none. */
  latencyMs?: number | null;
}

export interface SolveResult {
  /**
   * The answer: the summed-gain search's until the finalists have run, then the finalist of best validation
   * accuracy (withFinalists); null when not even classifier-only fits.
   */
  best: Candidate | null;
  /** The summed-gain search's answer (no cap on the updated weight tensors). */
  summed: Candidate | null;
  /** Finalists by summed gain descending (compiler/search/finalists.ts); accuracy null until they have run;
   * `reference`: the known scheme a finalist is (the best last-k that fits, a published one). */
  finalists: (Candidate & { accuracy: number | null; reference?: string })[];
  /** Every scheme the search priced, in the order it priced them. */
  candidates: Candidate[];
  /** The candidates no other beats on both gain and peak SRAM, by rising peak. */
  pareto: Candidate[];
  /** last:k (k = 0..layers: the last k convs' biases and weights whole), whether they fit or not. */
  lastK: (Candidate & { k: number })[];
  published: (Candidate & { id: string })[];
  /** The latency estimates' board and budget; null when the request's board has no calibrated estimate. */
  latency: { board: BoardId; limitMs: number | null } | null;
}

/** The candidates not dominated (lower or equal peak with higher gain), by rising peak. */
export function paretoFront(cands: readonly Candidate[]): Candidate[] {
  const sorted = [...cands].sort((a, b) => a.peakSramBytes - b.peakSramBytes || b.gain - a.gain);
  const front: Candidate[] = [];
  for (const c of sorted) if (front.length === 0 || c.gain > front[front.length - 1].gain) front.push(c);
  return front;
}

/** Whether a candidate keeps within the latency budget (no budget: always; no estimate under a budget: no). */
export function withinLatency(c: Pick<Candidate, 'estStepMs'>, limitMs: number | null | undefined): boolean {
  if (limitMs === null || limitMs === undefined) return true;
  return c.estStepMs !== null && c.estStepMs !== undefined && c.estStepMs <= limitMs;
}

/**
 * The search's cost, remembering every genome it priced with its figures: peak SRAM, or Infinity when a latency
 * budget is set and the scheme's estimated step is over it (or has no estimate).
 */
function recordingCost(r: SolveRequest, space: ReturnType<typeof searchSpace>, latencyBoard: BoardId | null) {
  const figures = new Map<string, { peakSramBytes: number; estStepMs: number | null }>();
  const price = (text: string) => {
    let f = figures.get(text);
    if (!f) {
      const plan = compile(r.model, text, r.options);
      const estStepMs = latencyBoard ? estimateLatency(plan, boardById(latencyBoard)).ms : null;
      figures.set(text, (f = { peakSramBytes: plan.metrics.peakSramBytes, estStepMs }));
    }
    return f;
  };
  const limit = latencyBoard ? (r.latencyMs ?? null) : null;
  const inner = cachedCost(space, (text) => {
    const f = price(text);
    return withinLatency(f, limit) ? f.peakSramBytes : Infinity;
  });
  const seen = new Map<string, Genome>();
  const cost: CostModel = {
    cost(g) {
      const k = genomeKey(g);
      if (!seen.has(k)) seen.set(k, g);
      return inner.cost(g);
    },
    get evaluated() {
      return inner.evaluated;
    },
  };
  return { cost, seen, price, limit };
}

export function solveSearch(r: SolveRequest): SolveResult {
  const space = searchSpace(r.model, r.layers);
  const obj = objective(space, r.gains);
  const calibrated = r.board !== undefined && boardCpi(boardById(r.board)) !== null;
  const latencyBoard = calibrated ? r.board! : null;
  const { cost, seen, price, limit } = recordingCost(r, space, latencyBoard);
  const withMs = (f: {
    peakSramBytes: number;
    estStepMs: number | null;
  }): Pick<Candidate, 'peakSramBytes' | 'estStepMs'> => (latencyBoard ? f : { peakSramBytes: f.peakSramBytes });
  const best = evolve(obj, cost, r.budgetBytes, { ...DEFAULT_EVOLVE, seed: r.seed });
  const known = r.published.map((p) => ({ label: p.id, scheme: parseScheme(p.scheme, r.model) }));
  const refs = references(obj, cost, r.budgetBytes, known);
  const finals = finalists(obj, cost, r.budgetBytes, { ...DEFAULT_EVOLVE, seed: r.seed }, FINALIST_CAPS, refs);
  const lastK = Array.from({ length: space.maxBias + 1 }, (_, k) => {
    const g = lastKGenome(space, k);
    const scheme = genomeText(space, g);
    return { k, scheme, gain: obj.gain(g), ...withMs(price(scheme)) };
  });
  const candidates = [...seen.values()].map((g) => {
    const scheme = genomeText(space, g);
    return { scheme, gain: obj.gain(g), ...withMs(price(scheme)) };
  });
  const published = r.published.map((p) => ({ ...p, ...withMs(price(p.scheme)) }));
  const answer = best && { scheme: best.scheme, gain: best.gain, ...withMs(price(best.scheme)) };
  return {
    best: answer,
    summed: answer,
    finalists: finals.map((f) => ({
      scheme: f.scheme,
      gain: f.gain,
      ...withMs(price(f.scheme)),
      ...(f.reference ? { reference: f.reference } : {}),
      accuracy: null,
    })),
    candidates,
    pareto: paretoFront(candidates.filter((c) => withinLatency(c, limit))),
    lastK,
    published,
    latency: latencyBoard ? { board: latencyBoard, limitMs: limit } : null,
  };
}

/**
 * The result once its finalists have run: `accuracy` maps a finalist's scheme to its validation accuracy (runs
 * like the contribution runs); the answer becomes the finalist of best accuracy (ties: higher summed gain).
 */
export function withFinalists(r: SolveResult, accuracy: (scheme: string) => number | undefined): SolveResult {
  if (r.finalists.length === 0) return r;
  const { finalists, best } = scoreFinalists(r.finalists, accuracy);
  return { ...r, finalists, best };
}
