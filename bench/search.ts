/**
 * The scheme search (src/compiler/search): how often the evolutionary search finds the exact optimum, and what
 * it costs in priced schemes.
 *   1. random gains tables with a made-up non-additive cost on mcunet-5fps spaces of the last 5..7 convs
 *      (up to 6e5 schemes), 20 instances each: optimal share, worst gap, distinct schemes priced;
 *   2. the compiler's peak SRAM on tiny-cnn 32x32 (all 9 convs, 7.8e6 schemes) and on mcunet-5fps 128x128 (the
 *      last 12 convs): compiles and wall time of one default search;
 *   3. the page's search (pageSearch below): worker pool of 1 vs 2, frozen-prefix cache on vs off.
 */
import { buildModel } from '../src/compiler/models/model';
import { mulberry32 } from '../src/compiler/models/init';
import { sramCost } from '../src/compiler/search/cost';
import { evolve } from '../src/compiler/search/evolve';
import { solveExact } from '../src/compiler/search/exact';
import { objective, randomGains } from '../src/compiler/search/gains';
import { genomeKey, searchSpace, spaceSize, type Genome, type SearchSpace } from '../src/compiler/search/space';
import { compile } from '../src/compiler/compile';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { paperBudgets } from '../src/compiler/scheme/paper';
import { parseScheme, printScheme } from '../src/compiler/scheme/scheme';
import { contributionRuns, gainsFromRuns, type RunScore } from '../src/runtime/training/contribution';
import type { ContributionJob } from '../src/runtime/training/contribution-context';
import { dispatchOrder, runPool, type ContributionWorker } from '../src/runtime/training/contribution-pool';
import { solveSearch } from '../src/runtime/training/search-solve';
import { fetchModelFile, transferModel } from '../src/runtime/training/train-backbone';

function madeUpCost(space: SearchSpace, rand: () => number) {
  const w = space.layers.map(() => Math.floor(1000 + 9000 * rand()));
  return (g: Genome) => {
    const ratios: number[] = g.ratio.map((r, j) => space.layers[j].ratios[r]);
    const weights = ratios.reduce((a, r, j) => a + Math.round(w[j] * r), 0);
    return 5000 + 300 * g.bias + weights + 4000 * Math.max(...ratios) ** 2;
  };
}

function optimality(): void {
  const m = buildModel({ model: 'mcunet-5fps', resolution: 64, classes: 10 });
  for (const layers of [5, 6, 7]) {
    let same = 0;
    let gap = 0;
    let priced = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const rand = mulberry32(seed * 31 + layers);
      const space = searchSpace(m, layers);
      const obj = objective(space, randomGains(space, rand));
      const price = madeUpCost(space, rand);
      const budget = 8000 + Math.floor(25000 * rand());
      const exact = solveExact(obj, { cost: price, evaluated: 0 }, budget)!;
      const seen = new Set<string>();
      const cost = { cost: (g: Genome) => (seen.add(genomeKey(g)), price(g)), evaluated: 0 };
      const found = evolve(obj, cost, budget, { seed })!;
      priced += seen.size;
      if (found.gain === exact.gain) same++;
      else gap = Math.max(gap, exact.gain - found.gain);
    }
    console.log(
      `mcunet last ${layers} convs (${spaceSize(searchSpace(m, layers))} schemes): ${same}/20 optimal, worst gap ${gap.toFixed(4)}, ${(priced / 20).toFixed(0)} schemes priced on average`,
    );
  }
}

function compilerSearch(model: string, resolution: number, layers: number, budget: number): void {
  const m = buildModel({ model, resolution, classes: 10 });
  const space = searchSpace(m, layers);
  const obj = objective(space, randomGains(space, mulberry32(1)));
  const cost = sramCost(space, m);
  const t = performance.now();
  const r = evolve(obj, cost, budget, { seed: 1 });
  const s = (performance.now() - t) / 1000;
  const check = r ? compile(m, r.scheme).metrics.peakSramBytes : null;
  console.log(
    `${model} ${resolution}x${resolution}, last ${layers} convs, budget ${budget}: ${r?.scheme ?? 'nothing fits'} (peak ${check}), ${cost.evaluated} compiles in ${s.toFixed(1)} s`,
  );
}

/**
 * `npm run bench -- search [--page-only] [--page-layers L] [--page-steps N] [--page-validation V]
 * [--page-configs 1,1c,2,2c] [--page-no-solve]` (a config: worker count, `c` for the prefix cache on;
 * --page-no-solve times only the runs).
 */
export default async function bench(args: string[] = []): Promise<void> {
  if (!args.includes('--page-only')) {
    optimality();
    compilerSearch('tiny-cnn', 32, 9, 24 * 1024);
    compilerSearch('mcunet-5fps', 128, 12, 160 * 1024);
  }
  await pageSearch(pageArgs(args));
}

interface PageArgs {
  layers: number;
  steps: number;
  validation: number;
  configs: { workers: number; prefixCache: boolean }[];
  /** Skip the evolutionary search after the runs (compare only the runs). */
  noSolve: boolean;
}

function pageArgs(args: string[]): PageArgs {
  const num = (name: string, d: number) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : d;
  };
  const only = args.indexOf('--page-configs');
  const configs = (only >= 0 ? args[only + 1] : '1,1c,2,2c').split(',').map((c) => ({
    workers: parseInt(c, 10),
    prefixCache: c.endsWith('c'),
  }));
  return {
    layers: num('--page-layers', 12),
    steps: num('--page-steps', 200),
    validation: num('--page-validation', 500),
    configs,
    noSolve: args.includes('--page-no-solve'),
  };
}

/** One worker_threads pool member (bench/workers/search-worker.ts) as a ContributionWorker. */
async function threadWorker(job: ContributionJob, dataDir: string): Promise<ContributionWorker> {
  const w = new Worker(new URL('./workers/search-worker-boot.mjs', import.meta.url));
  const ask = (msg: object) =>
    new Promise<{ score?: RunScore; error?: string }>((resolve, reject) => {
      const fail = (e: Error) => (w.off('message', done), reject(e));
      const done = (m: { score?: RunScore; error?: string }) => (w.off('error', fail), resolve(m));
      w.once('message', done);
      w.once('error', fail);
      w.postMessage(msg);
    });
  const r = await ask({ job, dataDir, data: 'mnist' });
  if (r.error) throw new Error(r.error);
  return {
    async run(scheme, steps) {
      const a = await ask({ scheme, steps });
      if (!a.score) throw new Error(a.error ?? 'no score');
      return a.score;
    },
    terminate: () => void w.terminate(),
  };
}

/**
 * 3. The page's search on the default task (mcunet-5fps 128x128, pretrained backbone -> MNIST): the contribution
 *    runs of the last `layers` convs plus the published schemes on a pool of worker_threads running the page's
 *    ContributionContext, for each (workers, prefix cache) config; every config's scores must equal the first's.
 */
async function pageSearch(a: PageArgs): Promise<void> {
  const root = join(import.meta.dirname, '..', 'public');
  const read = (dir: string) => async (u: string) => new Uint8Array(readFileSync(join(dir, u.slice(dir.length + 1))));
  const file = await fetchModelFile(join(root, 'models'), 'mcunet-5fps', read(join(root, 'models')));
  const model = transferModel({ model: 'mcunet-5fps', resolution: 128, classes: 10, pretrained: file, seed: 1 });
  const space = searchSpace(model, a.layers);
  const contribution = contributionRuns(space);
  const runs = contribution.map((r) => r.scheme);
  const published = paperBudgets(model.name).map((b) => printScheme(parseScheme(`paper:${b}`, model), model));
  const extra = published.filter((p) => !runs.includes(p));
  const schemes = [...runs, ...extra];
  const settings = { lr: 0.01, rounding: 'nearest' as const, qas: true, seed: 1, steps: a.steps };
  let first: RunScore[] | null = null;
  console.log(
    `page search, mcunet-5fps 128x128 -> mnist, last ${a.layers} convs: ${runs.length} contribution runs + ${extra.length} published, ${a.steps} steps and ${a.validation} validation images each; load ${load()}`,
  );
  for (const c of a.configs) {
    const job: ContributionJob = { model, settings, validation: a.validation, options: {}, prefixCache: c.prefixCache };
    const t0 = performance.now();
    const cpu0 = process.cpuUsage(); // process-wide: the worker threads included
    const workers = await Promise.all(Array.from({ length: c.workers }, () => threadWorker(job, join(root, 'data'))));
    const scores = await runPool(schemes, workers, { order: dispatchOrder(contribution, extra) });
    const runMs = performance.now() - t0;
    const cpuS = cpuSeconds(cpu0);
    workers.forEach((w) => w.terminate());
    first ??= scores;
    const head = `  ${c.workers} worker${c.workers > 1 ? 's' : ''}, prefix cache ${c.prefixCache ? 'on ' : 'off'}:`;
    const line = `${head} runs ${(runMs / 1000).toFixed(1)} s wall (${cpuS.toFixed(1)} CPU s); scores ${JSON.stringify(scores) === JSON.stringify(first) ? 'identical to' : 'DIFFER from'} the first config`;
    if (a.noSolve) {
      console.log(`${line}; load ${load()}`);
      continue;
    }
    const t1 = performance.now();
    const cpu1 = process.cpuUsage();
    const gains = gainsFromRuns(space, scores.slice(0, runs.length));
    const r = solveSearch({
      model,
      layers: a.layers,
      gains,
      budgetBytes: 160 * 1024,
      seed: 1,
      options: {},
      published: [],
    });
    console.log(
      `${line}; then the search: ${((performance.now() - t1) / 1000).toFixed(1)} s wall (${cpuSeconds(cpu1).toFixed(1)} CPU s, ${r.candidates.length} schemes priced), best at 160 KB ${r.best?.scheme}; load ${load()}`,
    );
  }
}

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/** CPU seconds (user + system) of the whole process since `from`. */
function cpuSeconds(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
}
