/**
 * The budget table of issue #11: on the default transfer task (mcunet-5fps 128x128 pretrained on Fashion-MNIST,
 * fine-tuned on MNIST with a fresh classifier), at each peak-SRAM budget, the searched scheme vs the published
 * scheme of nearest budget vs the best last-k that fits, each fine-tuned for real.
 *   1. Contribution analysis once (contribution.ts: tinytrain search's runs, trained like the rows below at a
 *      rate chosen on the validation split, scored on the whole validation split, stored in
 *      docs/raw/search-contribution.jsonl; they do not depend on the budget), then the search per budget as
 *      `tinytrain search` does it (src/cli/search-run.ts): the evolutionary search's finalists
 *      (compiler/search/finalists.ts) are run like the contribution runs and the best on validation answers.
 *   2. Hyper-parameters on the validation split only: every candidate scheme is trained with each learning rate
 *      and each validation seed on the training split minus its last `--validation` images and scored on those
 *      images; the rate (and, for last-k, the k among those that fit) of best mean validation accuracy is kept.
 *   3. Only then the chosen (scheme, lr) are trained with every seed on the whole training split and scored on
 *      the whole test split.
 * Every run is appended to docs/raw/search-table.jsonl (and reused when the script runs again with the same
 * key); the choices and the table go to docs/raw/search-table.json, from which `npm run docs` writes the README.
 *
 *   npx tsx scripts/experiments/search-table.ts [--budgets 128,160,192,256] [--layers 24] [--steps 1000]
 *     [--seeds 1,2,3] [--lrs 0.01,0.03,0.1,0.2,0.3] [--validation 4000] [--validation-seeds 1,2] [--eval N]
 *     [--contribution-steps 300]
 *     [--contribution-seeds 1] [--contribution-lrs 0.01,0.03,0.1] [--contribution-part i/N[r]] [--search-only]
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compile } from '../../src/compiler/compile';
import { DEFAULT_EVOLVE } from '../../src/compiler/search/evolve';
import { paperBudgets } from '../../src/compiler/scheme/paper';
import { readDataset } from '../../src/cli/firmware-io';
import {
  loadKernelFile,
  prepare,
  searchReport,
  withFinalistScores,
  type Finalist,
  type SearchInputs,
  type SearchReport,
  type SearchRequest,
} from '../../src/cli/search-run';
import type { RunScore } from '../../src/runtime/training/contribution';
import { carveValidation } from '../../src/runtime/training/contribution';
import { PrefixCache } from '../../src/runtime/training/prefix-cache';
import { contributionAnalysis } from './contribution';
import { defaultPretrained, ROOT, type HeadlessOptions } from '../../src/cli/train-run';
import { repoPath, runKey } from './cache-key';
import { scoreRate, testScore } from './select-lr';
import {
  budgetTable,
  cell,
  fittingLastK,
  nearestPublished,
  pickOnValidation,
  type BudgetRow,
  type Priced,
  type TestRun,
  type ValidationRun,
} from './search-choice';

const MODEL = 'mcunet-5fps';
export const RAW_RUNS = join(ROOT, 'docs', 'raw', 'search-table.jsonl');
export const RAW_SUMMARY = join(ROOT, 'docs', 'raw', 'search-table.json');
export const RAW_CONTRIBUTION = join(ROOT, 'docs', 'raw', 'search-contribution.jsonl');
export const RAW_SEARCHES = join(ROOT, 'docs', 'raw', 'search-table-searches.jsonl');
/** The frozen-prefix caches of this process: one for the test split, one per validation split (bit-identical results; prefix-cache.ts). */
const caches = new Map<number, PrefixCache>();
const testCache = new PrefixCache(1024 * 1024 * 1024);
function validationCache(validation: number): PrefixCache {
  if (!caches.has(validation)) caches.set(validation, new PrefixCache(1024 * 1024 * 1024));
  return caches.get(validation)!;
}

type Stored = { key: string; phase: 'validation'; run: ValidationRun } | { key: string; phase: 'test'; run: TestRun };

function parse() {
  const { values: v } = parseArgs({
    options: {
      budgets: { type: 'string', default: '128,160,192,256' },
      layers: { type: 'string', default: '24' },
      steps: { type: 'string', default: '1000' },
      seeds: { type: 'string', default: '1,2,3' },
      // 0.2 and 0.3 since 2026-12-02: most schemes picked 0.1, the edge of the grid before (README, "A wider rate
      // grid"; the contribution runs keep theirs: at 0.3 the weights' gains vanish on validation)
      lrs: { type: 'string', default: '0.01,0.03,0.1,0.2,0.3' },
      // 4000 since 2026-12-03 (was 2000: the finalists 1-2 points apart were within its noise; README, "A larger
      // validation split")
      validation: { type: 'string', default: '4000' },
      // the seeds of every validation run: a rate is chosen on its mean validation accuracy over them
      'validation-seeds': { type: 'string', default: '1,2' },
      // test images scored (the first N of the test split); default all 10,000
      eval: { type: 'string' },
      // the contribution analysis (contribution.ts): steps and seeds of every run, rates tried for it on the
      // validation split, and this process's part i/N of its runs (parts share the run file; i/Nr: from the end)
      'contribution-steps': { type: 'string', default: '300' },
      // steps of each finalist run (default: --steps, the table's fine-tuning)
      'finalist-steps': { type: 'string' },
      'contribution-seeds': { type: 'string', default: '1' },
      'contribution-lrs': { type: 'string', default: '0.01,0.03,0.1' },
      'contribution-part': { type: 'string', default: '0/1' },
      // runs only the published and last-k rows (validation, then test) into the same run file, so a second
      // process can do them while the first one searches; prints nothing else
      'skip-search': { type: 'boolean' },
      // with --skip-search: also these schemes (separated by |), e.g. a searched answer already logged
      schemes: { type: 'string' },
      // no training: the table from the runs made so far, with the searched scheme of each budget given (|)
      summarize: { type: 'string' },
      // just these schemes (|): validation at every rate, then (unless --validate-only) the test seeds
      runs: { type: 'string' },
      'validate-only': { type: 'boolean' },
      // after the contribution analysis and the searches, print the searched schemes (|) and stop
      'search-only': { type: 'boolean' },
    },
  });
  return v;
}

/** The stored run of a key, re-reading the run file on a miss (another process may have made it meanwhile). */
function lookup(done: Map<string, Stored>, key: string): Stored | undefined {
  if (!done.has(key)) for (const [k, s] of loadStored()) done.set(k, s);
  return done.get(key);
}

function loadStored(): Map<string, Stored> {
  const done = new Map<string, Stored>();
  if (existsSync(RAW_RUNS))
    for (const line of readFileSync(RAW_RUNS, 'utf8').split('\n').filter(Boolean)) {
      const s = JSON.parse(line) as Stored;
      done.set(s.key, s);
    }
  return done;
}

const log = (m: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${m}`);

type Done = Map<string, Stored>;
type Opts = (scheme: string, lr: number, seed: number) => HeadlessOptions;

/** One validation run (trained without the last `validation` training images, scored on them). */
async function validate(
  done: Done,
  o: HeadlessOptions,
  validation: number,
  make = true,
): Promise<ValidationRun | null> {
  const key = runKey(o, { validation });
  let s = lookup(done, key);
  if (!s && !make) return null;
  if (!s) {
    const r = await scoreRate(o, validation, validationCache(validation));
    const run = { scheme: o.scheme, lr: o.lr, seed: o.seed, accuracy: r.validationAccuracy };
    s = { key, phase: 'validation', run };
    appendFileSync(RAW_RUNS, JSON.stringify(s) + '\n');
    done.set(key, s);
    log(`validation ${o.scheme} lr ${o.lr} seed ${o.seed}: ${(100 * r.validationAccuracy).toFixed(2)}%`);
  }
  return { seed: o.seed, ...(s.run as ValidationRun) };
}

/** The chosen (scheme, lr) trained with every seed on the whole training split, scored on the test split. */
async function test(done: Done, opts: Opts, pick: ValidationRun, seeds: number[], make = true): Promise<TestRun[]> {
  const out: TestRun[] = [];
  for (const seed of seeds) {
    const o = opts(pick.scheme, pick.lr, seed);
    const key = runKey(o);
    let s = lookup(done, key);
    if (!s && !make) continue;
    if (!s) {
      const r = await testScore(o, testCache);
      const run = { scheme: o.scheme, lr: o.lr, seed, accuracy: r.accuracy, peakSramBytes: r.peakSramBytes };
      s = { key, phase: 'test', run };
      appendFileSync(RAW_RUNS, JSON.stringify(s) + '\n');
      done.set(key, s);
      log(`test ${o.scheme} lr ${o.lr} seed ${seed}: ${(100 * r.accuracy).toFixed(2)}%`);
    }
    out.push(s.run as TestRun);
  }
  return out;
}

interface BudgetPlan {
  budgetBytes: number;
  searched: (Priced & { gain: number }) | null;
  published: Priced & { fits: boolean };
  lastK: Priced[];
  /** The search's finalists with their contribution-style validation scores (absent with --summarize). */
  finalists?: Finalist[];
}

/** Validation for every scheme of the plans, then the test runs of each row's choice. */
/** `make` false: only what the run file already holds (a row missing a choice or every seed is left out). */
async function runRows(
  plans: BudgetPlan[],
  opts: Opts,
  o: { lrs: number[]; seeds: number[]; validation: number; validationSeeds: number[]; make?: boolean },
) {
  const make = o.make ?? true;
  const done = loadStored();
  const valRuns: ValidationRun[] = [];
  const schemes = [
    ...new Set(
      plans.flatMap((p) => [
        ...(p.searched ? [p.searched.scheme] : []),
        p.published.scheme,
        ...p.lastK.map((x) => x.scheme),
      ]),
    ),
  ];
  for (const scheme of schemes)
    for (const lr of o.lrs)
      for (const seed of o.validationSeeds) {
        const r = await validate(done, opts(scheme, lr, seed), o.validation, make);
        if (r) valRuns.push(r);
      }
  const has = (schemes: string[]) =>
    schemes.every((x) => valRuns.filter((r) => r.scheme === x).length === o.lrs.length * o.validationSeeds.length);
  const choose = async (schemes: string[], fits: boolean) => {
    if (!has(schemes)) return null;
    const runs = await test(done, opts, pickOnValidation(valRuns, schemes), o.seeds, make);
    return runs.length ? cell(runs, fits) : null;
  };
  const rows: BudgetRow[] = [];
  for (const p of plans) {
    const published = await choose([p.published.scheme], p.published.fits);
    const lastK = await choose(
      p.lastK.map((x) => x.scheme),
      true,
    );
    const searched = p.searched && (await choose([p.searched.scheme], true));
    if (searched && published && lastK) rows.push({ budgetBytes: p.budgetBytes, searched, published, lastK });
  }
  return { valRuns, rows };
}

/**
 * searchReport of a budget, read from RAW_SEARCHES when the same request already ran on the same inputs and
 * scores (the evolutionary searches of the finalists compile a few thousand plans: minutes per budget), else
 * made and appended there. The report is a pure function of the key, so reading it back changes nothing.
 */
function cachedSearch(request: SearchRequest, inputs: SearchInputs, scores: RunScore[]): SearchReport {
  // references: the finalists include the known schemes (finalists.ts), which the searches stored before lack
  const key = JSON.stringify({
    request,
    inputs,
    scores: scores.map((x) => [x.scheme, x.accuracy]),
    references: true,
  });
  if (existsSync(RAW_SEARCHES))
    for (const line of readFileSync(RAW_SEARCHES, 'utf8').split('\n').filter(Boolean)) {
      const stored = JSON.parse(line) as { key: string; report: SearchReport };
      if (stored.key === key) return stored.report;
    }
  const report = searchReport(prepare(request), inputs, scores);
  appendFileSync(RAW_SEARCHES, JSON.stringify({ key, report }) + '\n');
  return report;
}

/** The contribution analysis (contribution.ts) of the request `base` makes, this process's part of it. */
async function contribution(
  v: ReturnType<typeof parse>,
  budget: number,
  base: (b: number, lr?: number) => SearchRequest,
  validation: number,
) {
  const ctxs = new Map<number, ReturnType<typeof prepare>>();
  const ctx = (seed: number) => {
    if (!ctxs.has(seed)) ctxs.set(seed, prepare({ ...base(budget), seed }));
    return ctxs.get(seed)!;
  };
  const c1 = ctx(1);
  const split = (await readDataset('mnist', ['train'])).train;
  const data = carveValidation(split, { resolution: c1.model.resolution, channels: c1.model.inChannels }, validation);
  const [index, count] = v['contribution-part']!.replace(/r$/, '').split('/').map(Number);
  const seeds = v['contribution-seeds']!.split(',').map(Number);
  const setup = {
    file: RAW_CONTRIBUTION,
    steps: Number(v['contribution-steps']),
    seeds,
    lrs: v['contribution-lrs']!.split(',').map(Number),
    validation,
    part: { index, count, reverse: v['contribution-part']!.endsWith('r') },
  };
  const r = contributionAnalysis(setup, ctx, await loadKernelFile(), data, validationCache(validation), log);
  return { ...r, seeds };
}

async function main(): Promise<void> {
  const v = parse();
  const budgets = v.budgets!.split(',').map((b) => Number(b) * 1024);
  const seeds = v.seeds!.split(',').map(Number);
  const lrs = v.lrs!.split(',').map(Number);
  const steps = Number(v.steps);
  const finalistSteps = Number(v['finalist-steps'] ?? v.steps);
  const validation = Number(v.validation);
  const validationSeeds = v['validation-seeds']!.split(',').map(Number);
  const pretrained = defaultPretrained(MODEL);
  if (!pretrained) throw new Error(`no public/models/${MODEL}.json`);
  const base = (budgetBytes: number, lr = 0): SearchRequest => ({
    model: MODEL,
    resolution: 128,
    data: 'mnist',
    budgetBytes,
    seed: 1,
    steps: Number(v['contribution-steps']),
    lr,
    rounding: 'nearest',
    qas: true,
    layers: Number(v.layers),
    validation,
    population: DEFAULT_EVOLVE.population,
    generations: DEFAULT_EVOLVE.generations,
    exact: false,
    pretrained: repoPath(pretrained),
  });
  const opts: Opts = (scheme, lr, seed) => ({
    model: MODEL,
    resolution: 128,
    scheme,
    data: 'mnist',
    steps,
    seed,
    lr,
    rounding: 'nearest',
    qas: true,
    engine: 'wasm',
    pretrained,
    evalExamples: v.eval ? Number(v.eval) : Infinity,
    curvePoints: 1,
    initialEval: false,
    schedule: 'cosine',
  });

  // 1. contribution runs (once, cached) and one search per budget
  const ctx0 = prepare(base(budgets[0]));
  const price = (scheme: string): Priced => ({
    scheme,
    peakSramBytes: compile(ctx0.model, scheme).metrics.peakSramBytes,
  });
  const published = paperBudgets(MODEL).map((b) => price(`paper:${b}`));
  const lastK = [price('classifier'), ...Array.from({ length: 8 }, (_, k) => price(`last:${k + 1}`))];
  const fixed = (b: number) => ({
    budgetBytes: b,
    published: nearestPublished(published, b),
    lastK: fittingLastK(lastK, b),
  });
  if (v.runs) {
    const done = loadStored();
    for (const scheme of v.runs.split('|')) {
      const val: ValidationRun[] = [];
      for (const lr of lrs)
        for (const seed of validationSeeds) val.push((await validate(done, opts(scheme, lr, seed), validation))!);
      if (!v['validate-only']) await test(done, opts, pickOnValidation(val, [scheme]), seeds);
    }
    return;
  }
  if (v['skip-search']) {
    const extra = (v.schemes ?? '').split('|').filter(Boolean);
    const rows = extra.length
      ? extra.map((s) => ({ ...fixed(budgets[0]), searched: { ...price(s), gain: NaN } }))
      : budgets.map((b) => ({ ...fixed(b), searched: null }));
    await runRows(rows, opts, { lrs, seeds, validation, validationSeeds });
    return;
  }
  const contrib = await contribution(v, budgets[0], base, validation);
  if (!contrib.scores) return log('this part of the contribution runs is done; the others are not yet');
  const scores = contrib.scores;
  const given = v.summarize?.split('|');
  const plans: BudgetPlan[] = budgets.map((b, i) => {
    if (given) return { ...fixed(b), searched: { ...price(given[i]), gain: NaN } };
    const summed = cachedSearch(base(b, contrib.lr), contrib.inputs, scores);
    // the finalists run like the contribution runs (same rate, seeds, validation split; same run file) but as
    // long as the table's fine-tuning (--finalist-steps, default --steps), as tinytrain search --finalist-steps
    const rep = withFinalistScores(
      summed,
      contrib.score(
        summed.finalists.map((f) => f.scheme),
        finalistSteps,
      ),
    );
    if (!rep.best) throw new Error(`nothing fits ${b} bytes`);
    for (const f of rep.finalists)
      log(
        `budget ${b / 1024} KB finalist ${f.scheme}: gain ${f.gain.toFixed(4)}, validation ${(100 * f.accuracy!).toFixed(2)}%`,
      );
    log(`budget ${b / 1024} KB: searched ${rep.best.scheme} (${(rep.best.peakSramBytes / 1024).toFixed(1)} KB)`);
    return {
      ...fixed(b),
      searched: { scheme: rep.best.scheme, peakSramBytes: rep.best.peakSramBytes, gain: rep.best.gain },
      finalists: rep.finalists,
    };
  });

  if (v['search-only']) return console.log(plans.map((p) => p.searched!.scheme).join('|'));

  // 2. learning rate (and k) on the validation split; 3. the choices on the test split
  const { valRuns, rows } = await runRows(plans, opts, { lrs, seeds, validation, validationSeeds, make: !given });
  const settings = {
    evalExamples: v.eval ? Number(v.eval) : 10_000,
    model: MODEL,
    resolution: 128,
    data: 'mnist',
    steps,
    seeds,
    lrs,
    validation,
    validationSeeds,
    layers: Number(v.layers),
    finalistSteps,
    contribution: {
      ...base(0, contrib.lr),
      seeds: contrib.seeds,
      lrGrid: contrib.lrGrid,
      reference: contrib.reference,
      runs: scores.length,
    },
  };
  writeFileSync(
    RAW_SUMMARY,
    JSON.stringify({ settings, inputs: contrib.inputs, plans, validation: valRuns, rows }, null, 1) + '\n',
  );
  console.log(budgetTable(rows, seeds.length));
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) await main();
