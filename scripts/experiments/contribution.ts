/**
 * The contribution analysis of the budget table (search-table.ts), with settings chosen to be informative:
 * every run (runtime/training/contribution.ts's run list) trains with the table's cosine schedule at a learning
 * rate chosen on the validation split, for several seeds, and is scored on the whole validation split (the last
 * `validation` training images; never the test split). A run's score is the mean over its seeds, so the gains
 * (gainsFromRuns) are differences of seed-averaged validation accuracies.
 *
 * The frozen prefix of each image is cached across the runs of a process (prefix-cache.ts): the scores are
 * bit-identical with and without it, it only saves time. Runs are appended to a run file (one JSON line per
 * (scheme, seed, settings)) that several processes share: `part` i/N makes the runs whose position is i mod N.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { scheduledLr } from '../../src/cli/train-run';
import { compile } from '../../src/compiler/compile';
import type { Model } from '../../src/compiler/models/model';
import type { RunSettings } from '../../src/compiler/settings';
import { PlanExecutor } from '../../src/runtime/kernels/executor';
import type { KernelModule } from '../../src/runtime/kernels/wasm';
import type { RunScore } from '../../src/runtime/training/contribution';
import { PrefixCachedLearner, type PrefixCache } from '../../src/runtime/training/prefix-cache';
import { TrainingSession, type ExampleSource } from '../../src/runtime/training/train-session';

export interface ContributionPlan {
  steps: number;
  lr: number;
  seeds: number[];
  validation: number;
}

/** One stored run: the settings that fix it, and its validation score. */
export interface StoredRun {
  key: string;
  scheme: string;
  seed: number;
  accuracy: number;
  loss: number;
  examples: number;
}

/** The key of a run: everything its score depends on (the model and data by content hash). */
export function contributionKey(
  o: { modelSha256: string; dataSha256: string; kernelSha256: string },
  plan: Omit<ContributionPlan, 'seeds'>,
  scheme: string,
  seed: number,
): string {
  return JSON.stringify({ ...o, ...plan, schedule: 'cosine', rounding: 'nearest', qas: true, scheme, seed });
}

/** Fine-tunes `scheme` with the cosine schedule and scores it on the whole validation source. */
export function cosineRun(
  kernels: KernelModule,
  model: Model,
  scheme: string,
  o: { steps: number; lr: number; seed: number },
  data: { train: ExampleSource; validation: ExampleSource },
  cache?: PrefixCache,
): RunScore {
  const plan = compile(model, scheme);
  const settings: RunSettings = { lr: o.lr, rounding: 'nearest', qas: true, seed: o.seed };
  const ex = PlanExecutor.load(kernels, plan, settings, { guardBytes: 64 });
  try {
    const learner = cache ? new PrefixCachedLearner(ex, cache) : ex;
    const session = new TrainingSession(learner, data.train, data.validation, plan.input.bytes, o.seed);
    for (let done = 0; done < o.steps; done += 10) {
      ex.setLearningRate(scheduledLr({ lr: o.lr, schedule: 'cosine' }, done, o.steps));
      session.trainSteps(Math.min(10, o.steps - done));
    }
    const e = session.evaluate();
    const c = ex.checkCanaries();
    if (c.before + c.after > 0) throw new Error(`run "${scheme}" overwrote the arena's canaries`);
    return { scheme: plan.scheme, accuracy: e.accuracy, loss: e.loss, examples: e.examples };
  } finally {
    ex.dispose();
  }
}

/** The runs stored in `file` by key (later lines win). */
export function loadRuns(file: string): Map<string, StoredRun> {
  const out = new Map<string, StoredRun>();
  if (existsSync(file))
    for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
      const r = JSON.parse(line) as StoredRun;
      out.set(r.key, r);
    }
  return out;
}

/** Mean accuracy and loss over seeds per scheme, in the order of `schemes`; null when a run is missing. */
export function averaged(
  schemes: string[],
  seeds: number[],
  get: (scheme: string, seed: number) => StoredRun | undefined,
): RunScore[] | null {
  const out: RunScore[] = [];
  for (const scheme of schemes) {
    const runs = seeds.map((s) => get(scheme, s));
    if (runs.some((r) => !r)) return null;
    const mean = (f: (r: StoredRun) => number) => runs.reduce((a, r) => a + f(r!), 0) / runs.length;
    out.push({ scheme, accuracy: mean((r) => r.accuracy), loss: mean((r) => r.loss), examples: runs[0]!.examples });
  }
  return out;
}

/**
 * A process's share of the runs: position p (seed-major over seeds x schemes) with p mod count = index; with
 * `reverse` it takes each seed's share from the end, so a second process on the same share meets the first
 * in the middle (a run stored meanwhile by another process is read, not repeated).
 */
export interface Part {
  index: number;
  count: number;
  reverse?: boolean;
}

/**
 * Makes (or reads) every (scheme, seed) run of `part`, seed by seed, and appends new ones to `file`. `model(seed)` is the transfer model of that seed (its classifier's init).
 */
export function makeRuns(
  file: string,
  schemes: string[],
  plan: ContributionPlan,
  ids: { modelSha256: (seed: number) => string; dataSha256: string; kernelSha256: string },
  run: (scheme: string, seed: number) => RunScore,
  part: Part = { index: 0, count: 1 },
  onRun?: (r: StoredRun, hit: boolean) => void,
): void {
  const done = loadRuns(file);
  const { seeds, ...rest } = plan;
  for (const seed of seeds) {
    const mine = schemes.filter((_, j) => (seeds.indexOf(seed) * schemes.length + j) % part.count === part.index);
    if (part.reverse) mine.reverse();
    for (const scheme of mine) {
      const ids1 = { modelSha256: ids.modelSha256(seed), dataSha256: ids.dataSha256, kernelSha256: ids.kernelSha256 };
      const key = contributionKey(ids1, rest, scheme, seed);
      const had = done.get(key) ?? loadRuns(file).get(key);
      if (had) {
        onRun?.(had, true);
        continue;
      }
      const s = run(scheme, seed);
      const r: StoredRun = { key, scheme, seed, accuracy: s.accuracy, loss: s.loss, examples: s.examples };
      appendFileSync(file, JSON.stringify(r) + '\n');
      done.set(key, r);
      onRun?.(r, false);
    }
  }
}

/** What search-table.ts needs to know of its contribution analysis. */
export interface ContributionSetup {
  file: string;
  steps: number;
  seeds: number[];
  /** Rates tried (seed 1, the space's all-biases scheme) on the validation split; the best one runs everything. */
  lrs: number[];
  validation: number;
  part: Part;
}

export interface ContributionResult {
  /** The rate chosen on the validation split, with every rate's score of the reference scheme. */
  lr: number;
  lrGrid: { lr: number; accuracy: number }[];
  reference: string;
  /** Seed-averaged scores of every run (null until every part has run). */
  scores: RunScore[] | null;
  inputs: { modelSha256: string; dataSha256: string; kernelSha256: string };
  /**
   * Seed-averaged scores of further schemes (the search's finalists, finalists.ts), made (or read) like the
   * contribution runs (same rate, seeds and validation split, same run file), for `steps` steps (default theirs).
   */
  score(schemes: string[], steps?: number): RunScore[];
}

/**
 * The contribution analysis: the learning rate first (the space's all-biases run, seed 1, at every rate of
 * `lrs`, the best on validation), then every run of the space with every seed at that rate (this process's part).
 */
export function contributionAnalysis(
  s: ContributionSetup,
  ctx: (seed: number) => { model: Model; modelSha256: string; dataSha256: string; runs: { scheme: string }[] },
  kernels: { kernels: KernelModule; sha: string },
  data: { train: ExampleSource; validation: ExampleSource },
  cache: PrefixCache,
  log: (m: string) => void,
): ContributionResult {
  const c1 = ctx(1);
  const schemes = c1.runs.map((r) => r.scheme);
  const biasRuns = schemes.filter((x) => !x.includes('w:'));
  const allBias = biasRuns[biasRuns.length - 1];
  const ids = {
    modelSha256: (seed: number) => ctx(seed).modelSha256,
    dataSha256: c1.dataSha256,
    kernelSha256: kernels.sha,
  };
  const run = (lr: number) => (scheme: string, seed: number) =>
    cosineRun(kernels.kernels, ctx(seed).model, scheme, { steps: s.steps, lr, seed }, data, cache);
  const plan = (lr: number, seeds: number[]) => ({ steps: s.steps, lr, seeds, validation: s.validation });
  const show = (r: StoredRun, hit: boolean) =>
    log(`contribution ${r.scheme} seed ${r.seed}: ${(100 * r.accuracy).toFixed(2)}%${hit ? ' (stored)' : ''}`);
  const grid = s.lrs.map((lr) => {
    makeRuns(s.file, [allBias], plan(lr, [1]), ids, run(lr), { index: 0, count: 1 }, show);
    const key = contributionKey(
      { ...ids, modelSha256: ids.modelSha256(1) },
      { steps: s.steps, lr, validation: s.validation },
      allBias,
      1,
    );
    return { lr, accuracy: loadRuns(s.file).get(key)!.accuracy };
  });
  const lr = grid.reduce((a, b) => (b.accuracy > a.accuracy ? b : a)).lr;
  log(`contribution lr ${lr} (${grid.map((g) => `${g.lr}: ${(100 * g.accuracy).toFixed(2)}%`).join(', ')})`);
  makeRuns(s.file, schemes, plan(lr, s.seeds), ids, run(lr), s.part, show);
  const stored = loadRuns(s.file);
  const get = (scheme: string, seed: number) =>
    stored.get(
      contributionKey(
        { ...ids, modelSha256: ids.modelSha256(seed) },
        { steps: s.steps, lr, validation: s.validation },
        scheme,
        seed,
      ),
    );
  return {
    lr,
    lrGrid: grid,
    reference: allBias,
    scores: averaged(schemes, s.seeds, get),
    inputs: { modelSha256: c1.modelSha256, dataSha256: c1.dataSha256, kernelSha256: kernels.sha },
    score(more, steps = s.steps) {
      const p = { ...plan(lr, s.seeds), steps };
      const runAt = (scheme: string, seed: number) =>
        cosineRun(kernels.kernels, ctx(seed).model, scheme, { steps, lr, seed }, data, cache);
      makeRuns(s.file, more, p, ids, runAt, { index: 0, count: 1 }, show);
      const all = loadRuns(s.file);
      const at = (scheme: string, seed: number) =>
        all.get(
          contributionKey(
            { ...ids, modelSha256: ids.modelSha256(seed) },
            { steps, lr, validation: s.validation },
            scheme,
            seed,
          ),
        );
      return averaged(more, s.seeds, at)!;
    },
  };
}
