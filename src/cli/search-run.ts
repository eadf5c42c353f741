/**
 * `tinytrain search` in Node: contribution runs (runtime/contribution.ts) on the WebAssembly kernels, cached on
 * disk (search-cache.ts), then the evolutionary search (compiler/search) under a peak-SRAM budget. A search
 * splits into shards: shard i of N does the contribution runs whose position in the fixed run order is i mod N
 * and writes their scores; merging the N shard files gives exactly the report of one unsharded run (the same
 * scores, so the same gains, so the same seeded search). Only the training split is read: the validation split
 * is its last `validation` examples; the test split is never touched.
 */
import { join, relative, resolve } from 'node:path';
import type { RoundingName } from '../compiler/kernel-abi';
import type { ModelName } from '../compiler/models/arch';
import type { Model } from '../compiler/models/model';
import { sramCost, sramLatencyCost } from '../compiler/search/cost';
import { estimatedStepMs } from '../compiler/search/latency';
import { compile } from '../compiler/compile';
import { boardById, type BoardId } from '../compiler/boards';
import { evolve, type SearchResult } from '../compiler/search/evolve';
import { solveExact } from '../compiler/search/exact';
import { objective, type GainsTable } from '../compiler/search/gains';
import { FINALIST_CAPS, finalists, references, scoreFinalists } from '../compiler/search/finalists';
import { paperBudgets } from '../compiler/scheme/paper';
import { parseScheme } from '../compiler/scheme/scheme';
import { genomeText, lastKGenome, searchSpace, spaceSize, type SearchSpace } from '../compiler/search/space';
import {
  carveValidation,
  contributionRuns,
  gainsFromRuns,
  runContribution,
  type ContributionRun,
  type RunScore,
} from '../runtime/training/contribution';
import { modelInputSpec } from '../runtime/training/train-data';
import { transferModel } from '../runtime/training/train-backbone';
import type { KernelModule } from '../runtime/kernels/wasm';
import { instantiateKernelBytes } from '../runtime/kernels/wasm-threads-node';
import { CliError } from './command';
import { DATA_DIR, loadModelFile, readDataset, REPO_ROOT } from './firmware-io';
import { readInputFile } from './files';
import { cachedRun, modelHash, sha256, type RunKey } from './search-cache';

/** Everything that fixes a search's answer (paths relative to the repository). */
export interface SearchRequest {
  model: ModelName;
  resolution: number;
  data: string;
  budgetBytes: number;
  seed: number;
  steps: number;
  lr: number;
  rounding: RoundingName;
  qas: boolean;
  /** Trailing convs in the space (bias counts 0..layers, weights of those convs); null: all. */
  layers: number | null;
  /** Validation examples: the last ones of the training split. */
  validation: number;
  population: number;
  generations: number;
  /** Also solve exactly (small spaces only). */
  exact: boolean;
  pretrained: string | null;
  /** Estimated training-step budget in ms on `board` (codegen/latency.ts); absent or null: no latency budget. */
  latencyMs?: number | null;
  /** Board the latency is estimated for (default stm32f746). */
  board?: BoardId;
  /**
   * Whether the finalists (compiler/search/finalists.ts) are fine-tuned like contribution runs and the one of
   * best validation accuracy answers; absent: true. false: the summed-gain answer, no further runs.
   */
  finalists?: boolean;
  /** Training steps of each finalist run (absent: `steps`, as the contribution runs). */
  finalistSteps?: number;
  /** Whether known schemes (the best last-k that fits, the backbone's published schemes) join the finalists
   * (finalists.ts references); absent: true. */
  references?: boolean;
}

/** The content hashes of what the runs used. */
export interface SearchInputs {
  modelSha256: string;
  dataSha256: string;
  kernelSha256: string;
}

export interface ShardFile {
  format: 'tinytrain-search-shard';
  version: 1;
  shard: { index: number; count: number };
  request: SearchRequest;
  inputs: SearchInputs;
  runs: RunScore[];
}

export interface SchemeFigures {
  scheme: string;
  gain: number;
  peakSramBytes: number;
  /** Estimated training-step ms on the request's board (an estimate; null: board not calibrated). */
  estStepMs: number | null;
}

/** A finalist with its measured validation accuracy (null until it is run), and the known scheme it is when it
 * came from the references ('last:8', 'paper:99kb'). */
export type Finalist = SchemeFigures & { accuracy: number | null; reference?: string };

export interface SearchReport {
  format: 'tinytrain-search';
  version: 1;
  request: SearchRequest;
  inputs: SearchInputs;
  space: { maxBias: number; layers: { conv: number; name: string; ratios: number[] }[]; size: number };
  runs: RunScore[];
  gains: GainsTable;
  /**
   * The answer: the finalist of best validation accuracy once the finalists have run (withFinalistScores),
   * else the evolutionary search's summed-gain answer; null when not even classifier-only fits.
   */
  best: SchemeFigures | null;
  /** The evolutionary search's summed-gain answer (no cap on the updated weight tensors). */
  summed: SchemeFigures | null;
  /** The finalists by summed gain descending (finalists.ts); empty when request.finalists is false. */
  finalists: Finalist[];
  /** The exact solver's answer (request.exact), else null. */
  exact: SchemeFigures | null;
  /** The last:k (or classifier) scheme of highest summed gain that fits. */
  bestLastK: SchemeFigures | null;
  /** Distinct schemes compiled for their peak SRAM. */
  compiledSchemes: number;
}

interface Context {
  request: SearchRequest;
  model: Model;
  space: SearchSpace;
  runs: ContributionRun[];
  modelSha256: string;
  dataSha256: string;
}

/** Repository-relative form of a path (what requests and cache keys store). */
export const repoPath = (path: string): string => relative(REPO_ROOT, resolve(path)).split('\\').join('/');

function dataClasses(data: string): { classes: number; sha: string } {
  const bytes = readInputFile(join(DATA_DIR, `${data}.json`), 'data set manifest');
  const classes = (JSON.parse(bytes.toString('utf8')) as { classes: unknown[] }).classes.length;
  return { classes, sha: sha256(bytes) };
}

/** Builds the transfer model, the space and the run list of a request (no training). */
export function prepare(request: SearchRequest): Context {
  const { classes, sha } = dataClasses(request.data);
  const file = request.pretrained ? loadModelFile(join(REPO_ROOT, request.pretrained)) : null;
  const model = transferModel({
    model: request.model,
    resolution: request.resolution,
    classes,
    pretrained: file,
    seed: request.seed,
  });
  const layers = request.layers ?? model.convs.length;
  if (layers > model.convs.length)
    throw new CliError(`--layers ${layers}: ${model.name} has ${model.convs.length} convs`, 2);
  const space = searchSpace(model, layers);
  return { request, model, space, runs: contributionRuns(space), modelSha256: modelHash(model), dataSha256: sha };
}

/**
 * The kernel module: `path`, or by default wasm/tt_kernels.wasm (1 thread) or wasm/tt_kernels_mt.wasm (more).
 * Its sha256 keys the run cache; the threaded module's runs are keyed by the single-thread module's hash,
 * because it computes the same bits for any thread count (executor-threads.test.ts), so caches are shared.
 */
export async function loadKernelFile(path?: string, threads = 1) {
  const read = (p: string) => new Uint8Array(readInputFile(p, 'kernel module (npm run build:wasm makes it)'));
  const single = join(REPO_ROOT, 'wasm', 'tt_kernels.wasm');
  const file = path ?? (threads > 1 ? join(REPO_ROOT, 'wasm', 'tt_kernels_mt.wasm') : single);
  const bytes = read(file);
  try {
    const kernels = await instantiateKernelBytes(bytes, threads);
    return { kernels, sha: sha256(path || threads === 1 ? bytes : read(single)) };
  } catch (e) {
    throw new CliError(`kernel module ${path}: ${(e as Error).message}`);
  }
}

/** Runs shard `index` of `count` (0 of 1: every run); `onRun` sees each score as it is made. */
export async function runShard(
  ctx: Context,
  shard: { index: number; count: number },
  cacheDir: string | null,
  loaded?: { kernels: KernelModule; sha: string },
  onRun?: (done: number, total: number, score: RunScore, hit: boolean) => void,
): Promise<ShardFile> {
  const mine = ctx.runs.filter((_, i) => i % shard.count === shard.index).map((run) => run.scheme);
  const { sha, scores } = await scoreSchemes(ctx, mine, cacheDir, loaded, onRun);
  return {
    format: 'tinytrain-search-shard',
    version: 1,
    shard,
    request: ctx.request,
    inputs: { modelSha256: ctx.modelSha256, dataSha256: ctx.dataSha256, kernelSha256: sha },
    runs: scores,
  };
}

/** Fine-tunes and scores `schemes` with the request's run settings, each cached on disk by its full key. */
async function scoreSchemes(
  ctx: Context,
  schemes: string[],
  cacheDir: string | null,
  loaded?: { kernels: KernelModule; sha: string },
  onRun?: (done: number, total: number, score: RunScore, hit: boolean) => void,
  steps = ctx.request.steps,
): Promise<{ sha: string; scores: RunScore[] }> {
  const { kernels, sha } = loaded ?? (await loadKernelFile());
  const r = { ...ctx.request, steps };
  const split = (await readDataset(r.data, ['train'])).train;
  const input = modelInputSpec(ctx.model);
  const data = carveValidation(split, input, r.validation);
  const settings = { lr: r.lr, rounding: r.rounding, qas: r.qas, seed: r.seed, steps: r.steps };
  const scores: RunScore[] = [];
  for (const scheme of schemes) {
    const key: RunKey = {
      model: r.model,
      resolution: r.resolution,
      modelSha256: ctx.modelSha256,
      data: r.data,
      dataSha256: ctx.dataSha256,
      kernelSha256: sha,
      seed: r.seed,
      steps: r.steps,
      lr: r.lr,
      rounding: r.rounding,
      qas: r.qas,
      validation: r.validation,
      scheme,
    };
    const { score, hit } = cachedRun(cacheDir, key, () => runContribution(kernels, ctx.model, scheme, settings, data));
    scores.push(score);
    onRun?.(scores.length, schemes.length, score, hit);
  }
  return { sha, scores };
}

/** The cost model of a request: peak SRAM, with candidates over the latency budget priced out (Infinity). */
function requestCost(ctx: Context) {
  const r = ctx.request;
  if (r.latencyMs === undefined || r.latencyMs === null) return sramCost(ctx.space, ctx.model);
  try {
    return sramLatencyCost(ctx.space, ctx.model, { board: boardById(r.board ?? 'stm32f746'), latencyMs: r.latencyMs });
  } catch (e) {
    throw new CliError((e as Error).message, 2);
  }
}

/** The search over the scores of every run of the context. */
export function searchReport(ctx: Context, inputs: SearchInputs, scores: RunScore[]): SearchReport {
  const r = ctx.request;
  const byScheme = new Map(scores.map((s) => [s.scheme, s]));
  const runs = ctx.runs.map((run) => {
    const s = byScheme.get(run.scheme);
    if (!s) throw new CliError(`no score for the contribution run "${run.scheme}"`);
    return s;
  });
  const gains = gainsFromRuns(ctx.space, runs);
  const obj = objective(ctx.space, gains);
  const cost = requestCost(ctx);
  const stepMs = (scheme: string) => estimatedStepMs(compile(ctx.model, scheme), r.board ?? 'stm32f746');
  const figures = (x: SearchResult | null): SchemeFigures | null =>
    x && { scheme: x.scheme, gain: x.gain, peakSramBytes: x.cost, estStepMs: stepMs(x.scheme) };
  const evolveOptions = { seed: r.seed, population: r.population, generations: r.generations };
  const best = evolve(obj, cost, r.budgetBytes, evolveOptions);
  const published = paperBudgets(ctx.model.name).map((b) => ({
    label: `paper:${b}`,
    scheme: parseScheme(`paper:${b}`, ctx.model),
  }));
  const refs = r.references === false ? [] : references(obj, cost, r.budgetBytes, published);
  const finals = r.finalists === false ? [] : finalists(obj, cost, r.budgetBytes, evolveOptions, FINALIST_CAPS, refs);
  const exact = r.exact ? solveExact(obj, cost, r.budgetBytes) : null;
  let bestLastK: SchemeFigures | null = null;
  for (let k = 0; k <= ctx.space.maxBias; k++) {
    const g = lastKGenome(ctx.space, k);
    const c = cost.cost(g);
    if (c > r.budgetBytes) continue;
    const text = genomeText(ctx.space, g);
    const f = { scheme: text, gain: obj.gain(g), peakSramBytes: c, estStepMs: null as number | null };
    if (!bestLastK || f.gain > bestLastK.gain) bestLastK = f;
  }
  if (bestLastK) bestLastK.estStepMs = stepMs(bestLastK.scheme);
  return {
    format: 'tinytrain-search',
    version: 1,
    request: r,
    inputs,
    space: {
      maxBias: ctx.space.maxBias,
      layers: ctx.space.layers.map((l) => ({ conv: l.conv, name: ctx.model.convs[l.conv].name, ratios: l.ratios })),
      size: spaceSize(ctx.space),
    },
    runs,
    gains,
    best: figures(best),
    summed: figures(best),
    finalists: finals.map((f) => ({
      ...figures(f)!,
      ...(f.reference ? { reference: f.reference } : {}),
      accuracy: null,
    })),
    exact: figures(exact),
    bestLastK,
    compiledSchemes: cost.evaluated,
  };
}

/**
 * The report once its finalists have run: `scores` holds a run of each finalist's scheme (more are ignored); the
 * answer becomes the finalist of best validation accuracy (ties: higher summed gain). Without finalists (or
 * nothing fits) the report is returned as it is.
 */
export function withFinalistScores(report: SearchReport, scores: RunScore[]): SearchReport {
  if (report.finalists.length === 0) return report;
  const byScheme = new Map(scores.map((s) => [s.scheme, s.accuracy]));
  try {
    return { ...report, ...scoreFinalists(report.finalists, (x) => byScheme.get(x)) };
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

/**
 * Fine-tunes each finalist of a report like a contribution run but for request.finalistSteps steps (cached
 * alike) and returns the report with them.
 */
export async function runFinalists(
  ctx: Context,
  report: SearchReport,
  cacheDir: string | null,
  loaded?: { kernels: KernelModule; sha: string },
  onRun?: (done: number, total: number, score: RunScore, hit: boolean) => void,
): Promise<SearchReport> {
  if (report.finalists.length === 0) return report;
  const schemes = report.finalists.map((f) => f.scheme);
  const steps = ctx.request.finalistSteps ?? ctx.request.steps;
  const { sha, scores } = await scoreSchemes(ctx, schemes, cacheDir, loaded, onRun, steps);
  if (sha !== report.inputs.kernelSha256)
    throw new CliError('the kernel build changed since the contribution runs (their hashes differ)');
  return withFinalistScores(report, scores);
}

/**
 * Checks that shard files belong together (one request, the same inputs, shards 0..N-1 of one N each exactly
 * once) and returns their request, inputs and scores. Throws CliError (exit 2) naming the problem.
 */
export function mergeShards(files: { path: string; shard: ShardFile }[]): {
  request: SearchRequest;
  inputs: SearchInputs;
  scores: RunScore[];
} {
  const bad = (m: string) => new CliError(m, 2);
  if (files.length === 0) throw bad('--merge needs the shard files');
  const first = files[0].shard;
  const count = first.shard.count;
  const seen = new Map<number, string>();
  for (const { path, shard } of files) {
    if (JSON.stringify(shard.request) !== JSON.stringify(first.request))
      throw bad(`${path} is a shard of another search than ${files[0].path} (its options differ)`);
    if (JSON.stringify(shard.inputs) !== JSON.stringify(first.inputs))
      throw bad(`${path} was run on another model, data set or kernel build than ${files[0].path}`);
    if (shard.shard.count !== count)
      throw bad(`${path} is shard ${shard.shard.index}/${shard.shard.count}, not of ${count}`);
    const other = seen.get(shard.shard.index);
    if (other !== undefined) throw bad(`${path} and ${other} are both shard ${shard.shard.index}/${count}`);
    seen.set(shard.shard.index, path);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length) throw bad(`shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${count} missing`);
  return { request: first.request, inputs: first.inputs, scores: files.flatMap((f) => f.shard.runs) };
}
