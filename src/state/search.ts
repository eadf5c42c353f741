/**
 * The search store: scheme search on the page (issue 11). Start takes the compiled model of the experiment,
 * runs the contribution runs of the space (the last `layers` convs) plus the model's published schemes on a
 * pool of workers (runtime/training/search-pool.ts; scores cached in IndexedDB per model hash, data, kernel
 * build, settings and scheme), turns them into gains, and has a worker search under the budget. "Use this
 * scheme" goes through the playground's update(), so an edit that would discard a trained run asks first.
 */
import { create } from 'zustand';
import { boardById, type BoardId } from '../compiler/boards';
import { boardCpi, estimateLatency } from '../compiler/codegen/latency';
import type { TrainingPlan } from '../compiler/plan';
import type { Model } from '../compiler/models/model';
import type { PlanOptions } from '../compiler/plan';
import { paperBudgets } from '../compiler/scheme/paper';
import { parseScheme, printScheme } from '../compiler/scheme/scheme';
import type { GainsTable } from '../compiler/search/gains';
import { searchSpace } from '../compiler/search/space';
import {
  contributionRuns,
  gainsFromRuns,
  type ContributionSettings,
  type RunScore,
} from '../runtime/training/contribution';
import type { ContributionJob } from '../runtime/training/contribution-context';
import { dispatchOrder, PoolCancelled, runPool } from '../runtime/training/contribution-pool';
import { createSearchPool, defaultPoolSize, kernelBuildSha256, type SearchPool } from '../runtime/training/search-pool';
import { withFinalists, type SolveResult } from '../runtime/training/search-solve';
import { presetScheme } from './compile';
import type { ModelChoice } from './experiment';
import { matchingPreset } from './normalize';
import { usePlayground } from './playground';
import { browserRunCache, modelSha256, type RunCache, type RunKey } from './search-cache';

/** The built-in data set the page trains on; the search reads only its training split. */
export const SEARCH_DATASET = 'mnist';

/**
 * Whether the search can hold a scheme to a latency budget on this board: its core must have a calibrated
 * factor (Cortex-M7, compiler/codegen/latency.ts), and every kernel of the model's plans must have been measured
 * (the classifier-only plan is checked; the search's plans use the same kernels plus their backward ones).
 * Null when it can, else why not, in one line.
 */
export function latencyUnavailable(board: BoardId, plan: TrainingPlan | null): string | null {
  const b = boardById(board);
  if (boardCpi(b) === null)
    return `no latency estimate for the ${b.name} (${b.core}): the latency model is calibrated for Cortex-M7 only`;
  const est = plan && estimateLatency(plan, b);
  if (est && est.ms === null)
    return `no latency estimate for this model: ${est.missing.join(', ')} never measured (npm run bench -- latency)`;
  return null;
}

export interface SearchSettings {
  board: BoardId;
  budgetKb: number;
  /** Latency budget, estimated ms per training step on the board (calibrated boards only); null: none. */
  latencyMs: number | null;
  layers: number;
  steps: number;
  /** Training steps of each finalist run (compiler/search/finalists.ts). */
  finalistSteps: number;
  validation: number;
  workers: number;
  prefixCache: boolean;
}

export interface SearchProgress {
  done: number;
  total: number;
  elapsedMs: number;
  etaMs: number | null;
  cached: number;
}

/** A finished search: what the heat map and the plot draw. */
export interface SearchOutcome {
  model: ModelChoice;
  space: { conv: number; name: string; ratios: number[] }[];
  runs: RunScore[];
  /** Finalists that needed runs of their own (the others were contribution or published runs already). */
  finalistRuns: number;
  /** Steps of each finalist run. */
  finalistSteps: number;
  /** Validation images every run was scored on. */
  validation: number;
  gains: GainsTable;
  solve: SolveResult;
  budgetBytes: number;
  wallMs: number;
  workers: number;
  cachedRuns: number;
  prefixCache: boolean;
}

export type SearchStatus = 'idle' | 'running' | 'solving' | 'finalists' | 'done' | 'cancelled' | 'error';

/** Whether a search is under way (runs, the solver or the finalists' runs). */
export const searchBusy = (s: SearchStatus): boolean => s === 'running' || s === 'solving' || s === 'finalists';

export interface SearchState {
  settings: SearchSettings;
  status: SearchStatus;
  progress: SearchProgress | null;
  message: string | null;
  outcome: SearchOutcome | null;
  setSettings(patch: Partial<SearchSettings>): void;
  start(): Promise<void>;
  cancel(): void;
  /** Puts a scheme of the last search into the editor (asking first when a trained run would be lost). */
  useScheme(scheme: string): void;
}

/** Where runs happen (tests pass in-process stand-ins). */
export interface SearchBackend {
  kernelSha256(): Promise<string>;
  createPool(n: number, job: ContributionJob, data: string): Promise<SearchPool>;
  cache: RunCache;
}

let backend: SearchBackend | null = null;
export function setSearchBackend(b: SearchBackend | null): void {
  backend = b;
}
const browserBackend = (): SearchBackend => ({
  kernelSha256: kernelBuildSha256,
  createPool: createSearchPool,
  cache: browserRunCache(),
});

export const DEFAULT_SEARCH: SearchSettings = {
  board: 'stm32f746',
  budgetKb: 256,
  latencyMs: null,
  layers: 12,
  steps: 200,
  finalistSteps: 1000,
  validation: 500,
  workers: defaultPoolSize(),
  prefixCache: true,
};

let abort: AbortController | null = null;
let current: SearchPool | null = null;

/** The published schemes of a model as canonical scheme text, with their preset ids. */
function publishedSchemes(model: Model): { id: string; scheme: string }[] {
  return paperBudgets(model.name).map((b) => {
    const id = `paper:${b}`;
    return { id, scheme: printScheme(parseScheme(id, model), model) };
  });
}

function checkSettings(s: SearchSettings, model: Model): string | null {
  const n = model.convs.length;
  if (!(Number.isInteger(s.layers) && s.layers >= 1 && s.layers <= n))
    return `search 1 to ${n} layers, not ${s.layers}`;
  if (!(Number.isInteger(s.steps) && s.steps >= 1)) return `steps per run must be a whole number >= 1`;
  if (!(Number.isInteger(s.finalistSteps) && s.finalistSteps >= 1))
    return `steps per finalist run must be a whole number >= 1`;
  if (!(Number.isInteger(s.validation) && s.validation >= 1)) return `validation examples must be >= 1`;
  if (!(s.budgetKb > 0)) return 'the budget must be above 0 KB';
  if (s.latencyMs !== null && !(s.latencyMs > 0)) return 'the latency budget must be above 0 ms';
  return null;
}

/** The cache key of each run of a search (the model and the kernel build hashed once). */
async function runKeys(
  model: Model,
  be: SearchBackend,
  validation: number,
  settings: ContributionSettings,
  options: Partial<PlanOptions>,
): Promise<(scheme: string) => RunKey> {
  const [modelHash, kernel] = await Promise.all([modelSha256(model), be.kernelSha256()]);
  return (scheme) => ({
    modelSha256: modelHash,
    data: SEARCH_DATASET,
    kernelSha256: kernel,
    settings,
    validation,
    options,
    scheme,
  });
}

/** What a search on `model` runs: the space, its contribution runs, and the published schemes not among them. */
function searchRuns(model: Model, layers: number) {
  const space = searchSpace(model, Math.min(layers, model.convs.length));
  const published = publishedSchemes(model);
  const contribution = contributionRuns(space);
  const runs = contribution.map((r) => r.scheme);
  const extra = published.map((p) => p.scheme).filter((p) => !runs.includes(p));
  return { space, published, contribution, runs, extra };
}

export const useSearch = create<SearchState>((set, get) => {
  const fail = (message: string) => set({ status: 'error', message });

  async function run(
    model: Model,
    backbone: ModelChoice,
    options: Partial<PlanOptions>,
    settings: ContributionSettings,
  ) {
    const s = get().settings;
    const t0 = performance.now();
    const be = backend ?? browserBackend();
    const { space, published, contribution, runs, extra } = searchRuns(model, s.layers);
    const key = await runKeys(model, be, s.validation, settings, options);
    const job: ContributionJob = { model, settings, validation: s.validation, options, prefixCache: s.prefixCache };
    const ctl = abort ?? new AbortController();
    const pool = await be.createPool(s.workers, job, SEARCH_DATASET);
    current = pool;
    try {
      if (ctl.signal.aborted) throw new PoolCancelled();
      let cached = 0;
      const scores = await runPool([...runs, ...extra], pool.workers, {
        signal: ctl.signal,
        order: dispatchOrder(contribution, extra),
        cached: (x) => be.cache.get(key(x)),
        onProgress: (p) => {
          if (p.cached) cached++;
          else void be.cache.set(key(p.last.scheme), p.last);
          set({ progress: { done: p.done, total: p.total, elapsedMs: p.elapsedMs, etaMs: p.etaMs, cached } });
        },
      });
      const byScheme = new Map(scores.map((x) => [x.scheme, x]));
      const gains = gainsFromRuns(space, scores);
      const base = byScheme.get(runs[0])?.accuracy ?? 0;
      const pub = published.map((p) => ({ ...p, gain: (byScheme.get(p.scheme)?.accuracy ?? base) - base }));
      set({ status: 'solving' });
      const budgetBytes = Math.round(s.budgetKb * 1024);
      const summed = await pool.solve({
        model,
        layers: space.layers.length,
        gains,
        budgetBytes,
        seed: settings.seed,
        options,
        published: pub,
        board: s.board,
        latencyMs: s.latencyMs,
      });
      // the finalists (compiler/search/finalists.ts) run like the contribution runs but for finalistSteps steps
      // (cached alike, keyed by those steps); the best on validation answers
      const fSteps = s.finalistSteps;
      const same = fSteps === settings.steps;
      const finalScores = new Map<string, RunScore>(same ? byScheme : []);
      const fresh = summed.finalists.map((f) => f.scheme).filter((x) => !finalScores.has(x));
      if (fresh.length) {
        set({ status: 'finalists', progress: { done: 0, total: fresh.length, elapsedMs: 0, etaMs: null, cached: 0 } });
        const fKey = same ? key : await runKeys(model, be, s.validation, { ...settings, steps: fSteps }, options);
        let hits = 0;
        const more = await runPool(fresh, pool.workers, {
          signal: ctl.signal,
          steps: fSteps,
          cached: (x) => be.cache.get(fKey(x)),
          onProgress: (p) => {
            if (p.cached) hits++;
            else void be.cache.set(fKey(p.last.scheme), p.last);
            set({ progress: { done: p.done, total: p.total, elapsedMs: p.elapsedMs, etaMs: p.etaMs, cached: hits } });
          },
        });
        for (const x of more) finalScores.set(x.scheme, x);
        cached += hits;
      }
      const solve = withFinalists(summed, (x) => finalScores.get(x)?.accuracy);
      set({
        status: 'done',
        outcome: {
          model: backbone,
          space: space.layers.map((l) => ({ conv: l.conv, name: model.convs[l.conv].name, ratios: l.ratios })),
          runs: scores,
          finalistRuns: fresh.length,
          finalistSteps: fSteps,
          validation: s.validation,
          gains,
          solve,
          budgetBytes,
          wallMs: performance.now() - t0,
          workers: pool.workers.length,
          cachedRuns: cached,
          prefixCache: s.prefixCache,
        },
      });
    } finally {
      pool.dispose();
      if (current === pool) current = null;
    }
  }

  return {
    settings: DEFAULT_SEARCH,
    status: 'idle',
    progress: null,
    message: null,
    outcome: null,
    setSettings: (patch) => set({ settings: { ...get().settings, ...patch } }),
    async start() {
      if (searchBusy(get().status)) return;
      const { compiled, experiment: e } = usePlayground.getState();
      const model = compiled.model;
      if (!model || !compiled.plan) return fail('there is no compiled model to search for (see the editor)');
      if (compiled.weights?.status !== 'ready')
        return fail('the pretrained weights are not loaded yet; a search on random weights would measure nothing');
      const bad = checkSettings(get().settings, model);
      if (bad) return fail(bad);
      const { board, latencyMs } = get().settings;
      const noLatency = latencyMs !== null ? latencyUnavailable(board, compiled.plan) : null;
      if (noLatency) return fail(`${noLatency}; clear the latency budget to search by SRAM only`);
      set({ status: 'running', message: null, progress: null });
      const ctl = (abort = new AbortController());
      const settings = { lr: e.lr, rounding: e.rounding, qas: e.qas, seed: e.seed, steps: get().settings.steps };
      try {
        await run(model, e.model, { reorder: e.reorder, fusion: e.fusion, split: e.split }, settings);
      } catch (err) {
        if (ctl.signal.aborted) set({ status: 'cancelled', message: 'search cancelled' });
        else fail(err instanceof Error ? err.message : String(err));
      } finally {
        if (abort === ctl) abort = null;
      }
    },
    cancel() {
      abort?.abort();
      current?.dispose(); // also stops a search that is past its runs (solving)
    },
    useScheme(scheme) {
      const o = get().outcome;
      const pg = usePlayground.getState();
      if (!o || o.model !== pg.experiment.model)
        return set({
          message: `the search was for ${o?.model ?? 'another model'}; run it again for ${pg.experiment.model}`,
        });
      let updates;
      try {
        updates = presetScheme(o.model, scheme);
      } catch (err) {
        return set({ message: err instanceof Error ? err.message : String(err) });
      }
      pg.update({ scheme: updates, preset: matchingPreset(o.model, updates) });
    },
  };
});
