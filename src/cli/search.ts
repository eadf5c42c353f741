/**
 * `tinytrain search`: contribution analysis and evolutionary scheme search under a peak-SRAM budget, headless
 * (see search-run.ts for what runs). `--shard i/N` runs one deterministic part of the contribution runs and
 * prints a shard file; `--merge FILES...` combines the N shard files into the report one unsharded run prints.
 */
import { compile } from '../compiler/compile';
import { DEFAULT_EVOLVE } from '../compiler/search/evolve';
import { EXACT_LIMIT } from '../compiler/search/exact';
import { spaceSize } from '../compiler/search/space';
import type { RoundingName } from '../compiler/kernel-abi';
import { MODEL_NAMES } from '../compiler/models/arch';
import { BOARD_IDS, boardById } from '../compiler/boards';
import { boardCpi } from '../compiler/codegen/latency';
import {
  datasetNames,
  datasetOption,
  enumOption,
  intOption,
  modelOption,
  numberOption,
  parseOptions,
  resolutionOption,
  seedOption,
} from './args';
import { CliError, EXIT, EXIT_CODES_HELP, quote, UsageError, type CliIo, type Subcommand } from './command';
import { readInputFile } from './files';
import { DATA_DIR, REPO_ROOT } from './firmware-io';
import {
  mergeShards,
  prepare,
  repoPath,
  loadKernelFile,
  runFinalists,
  runShard,
  searchReport,
  type SearchReport,
  type SearchRequest,
  type ShardFile,
} from './search-run';
import { weightsChoice } from './weights';
import { defaultThreads } from '../runtime/kernels/wasm-threads-node';
import { join } from 'node:path';

const ROUNDINGS: readonly RoundingName[] = ['truncate', 'nearest', 'stochastic'];
export const DEFAULT_CACHE = join(REPO_ROOT, '.cache', 'contribution');

const USAGE = `usage: tinytrain search --model M --budget B [--data D] [--seed S] [--steps N] [options] [--json]
       tinytrain search ... --shard i/N > shard-i.json
       tinytrain search --merge shard-0.json ... shard-(N-1).json [--json]

  --model M          ${MODEL_NAMES.join(' | ')}
  --resolution R     input height = width (default: the model's)
  --data D           data set of public/data: mnist (default) | fashion-mnist; only its training split is read
  --budget B         peak SRAM budget of the plan: bytes, or KB with a kb suffix (128kb = 131072 bytes)
  --latency-ms X     also a training-step time budget: keep candidates whose estimated step (batch 1) on the
                     board takes at most X ms (an estimate: README, latency model), (0, 1e7]
  --board B          board of the latency estimate: ${BOARD_IDS.join(' | ')} (default stm32f746)
  --seed S           seed of the runs (classifier, example order, rounding) and of the search, 0..2147483647
                     (default 1)
  --steps N          training steps of each contribution run, 1..1000000 (default 200)
  --validation N     validation examples: the last N of the training split, 1..100000 (default 500)
  --layers L         the last L convs are searched (bias counts 0..L, weights of those convs); default all
  --lr X             learning rate, (0, 100] (default 0.01)
  --rounding MODE    truncate | nearest (default) | stochastic
  --no-qas           plain SGD without quantization-aware scaling
  --pretrained F     backbone model file (default public/models/<model>.json); --no-pretrained: random init
  --population N     evolutionary search population, 4..10000 (default 64)
  --generations N    evolutionary search generations, 0..10000 (default 30)
  --exact            also solve exactly (branch and bound; small spaces only)
  --finalist-steps N training steps of each finalist run, 1..1000000 (default 1000): the search's finalists (the
                     best scheme with at most 1, 2, 3, 4, 6, 8 or any number of updated weight tensors) are
                     fine-tuned like the contribution runs, this long, and the one of best validation accuracy
                     answers
  --no-finalists     answer with the summed-gain search's scheme (no finalist runs)
  --cache DIR        cache folder of the runs (default .cache/contribution); --no-cache: none
  --shard i/N        run only the runs at positions i, i+N, i+2N, ... (0 <= i < N <= 10000); prints a shard file
  --merge FILES...   combine the shard files of one search (every i of its N exactly once); the merge runs the
                     finalists (a few runs; --cache, --no-cache and --threads apply to them)
  --threads N        kernel threads, 1..64 (default: the cores, at most 4); results are identical for any N
  --json             print one JSON object

${EXIT_CODES_HELP}

example: npx tinytrain search --model tiny-cnn --data mnist --budget 32kb --steps 100 --json`;

const OPTIONS = {
  model: { type: 'string' },
  resolution: { type: 'string' },
  data: { type: 'string' },
  budget: { type: 'string' },
  'latency-ms': { type: 'string' },
  board: { type: 'string' },
  seed: { type: 'string' },
  steps: { type: 'string' },
  validation: { type: 'string' },
  layers: { type: 'string' },
  lr: { type: 'string' },
  rounding: { type: 'string' },
  'no-qas': { type: 'boolean' },
  pretrained: { type: 'string' },
  'no-pretrained': { type: 'boolean' },
  population: { type: 'string' },
  generations: { type: 'string' },
  exact: { type: 'boolean' },
  'no-finalists': { type: 'boolean' },
  'finalist-steps': { type: 'string' },
  cache: { type: 'string' },
  'no-cache': { type: 'boolean' },
  shard: { type: 'string' },
  threads: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** Bytes from '131072', '128kb' or '128KB' (KB = 1024 bytes). */
export function budgetOption(value: string | undefined): number {
  if (value === undefined) throw new UsageError('--budget is required (e.g. --budget 128kb)');
  const m = /^(\d{1,9})(kb|KB|kB)?$/.exec(value);
  const bytes = m ? Number(m[1]) * (m[2] ? 1024 : 1) : NaN;
  if (!(bytes >= 1 && bytes <= 2 ** 31))
    throw new UsageError(`--budget must be bytes or KB with a kb suffix (e.g. 128kb), got ${quote(value)}`);
  return bytes;
}

export function shardOption(value: string | undefined): { index: number; count: number } {
  if (value === undefined) return { index: 0, count: 1 };
  const m = /^(\d{1,5})\/(\d{1,5})$/.exec(value);
  const [index, count] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!(count >= 1 && count <= 10_000 && index < count))
    throw new UsageError(`--shard must be i/N with 0 <= i < N <= 10000, got ${quote(value)}`);
  return { index, count };
}

type Parsed = ReturnType<typeof parseOptions<typeof OPTIONS>>;

function request(v: Parsed): SearchRequest {
  const model = modelOption(v.model);
  const w = weightsChoice(v, model);
  return {
    model,
    resolution: resolutionOption(model, v.resolution),
    data: datasetOption('data', v.data, 'mnist', DATA_DIR),
    budgetBytes: budgetOption(v.budget),
    seed: seedOption(v.seed),
    steps: intOption('steps', v.steps, 200, 1, 1_000_000),
    lr: numberOption('lr', v.lr, 0.01, { lo: 0, hi: 100, above: true }),
    rounding: enumOption('rounding', v.rounding, 'nearest', ROUNDINGS),
    qas: !v['no-qas'],
    layers: v.layers === undefined ? null : intOption('layers', v.layers, 0, 0, 10_000),
    validation: intOption('validation', v.validation, 500, 1, 100_000),
    population: intOption('population', v.population, DEFAULT_EVOLVE.population, 4, 10_000),
    generations: intOption('generations', v.generations, DEFAULT_EVOLVE.generations, 0, 10_000),
    exact: Boolean(v.exact),
    pretrained: w.kind === 'backbone' ? repoPath(w.path) : null,
    ...latencyOptions(v),
    ...finalistOptions(v),
  };
}

/** --no-finalists or --finalist-steps (1000 by default). */
function finalistOptions(v: Parsed): Pick<SearchRequest, 'finalists' | 'finalistSteps'> {
  if (v['no-finalists']) {
    if (v['finalist-steps'] !== undefined)
      throw new UsageError('--finalist-steps and --no-finalists exclude each other');
    return { finalists: false };
  }
  return { finalistSteps: intOption('finalist-steps', v['finalist-steps'], 1000, 1, 1_000_000) };
}

/** --latency-ms and --board: present only when a latency budget is asked for (shard files stay as they were). */
function latencyOptions(v: Parsed): Pick<SearchRequest, 'latencyMs' | 'board'> {
  if (v['latency-ms'] === undefined) {
    if (v.board !== undefined) throw new UsageError('--board is the board of --latency-ms; give both');
    return {};
  }
  const board = enumOption('board', v.board, 'stm32f746', BOARD_IDS);
  if (boardCpi(boardById(board)) === null)
    throw new UsageError(
      `--latency-ms: no latency estimate for the ${boardById(board).core} (calibrated for Cortex-M7 only)`,
    );
  return { latencyMs: numberOption('latency-ms', v['latency-ms'], 0, { lo: 0, hi: 1e7, above: true }), board };
}

/** Splits `--merge FILES...` off the arguments (the files are the arguments up to the next option). */
function splitMerge(args: string[]): { rest: string[]; merge: string[] | null } {
  const at = args.indexOf('--merge');
  if (at < 0) return { rest: args, merge: null };
  let end = at + 1;
  while (end < args.length && !args[end].startsWith('--')) end++;
  return { rest: [...args.slice(0, at), ...args.slice(end)], merge: args.slice(at + 1, end) };
}

const isInt = (x: unknown, lo: number, hi: number) =>
  Number.isSafeInteger(x) && (x as number) >= lo && (x as number) <= hi;

/** What is wrong with a shard file's request and runs (null: nothing), so a damaged file cannot reach the compiler. */
function requestProblem(f: ShardFile): string | null {
  const r = f.request;
  if (!new Set<string>(MODEL_NAMES).has(r.model)) return `unknown model ${quote(String(r.model))}`;
  if (!datasetNames(DATA_DIR).includes(r.data)) return `unknown data set ${quote(String(r.data))}`;
  if (!ROUNDINGS.includes(r.rounding)) return `unknown rounding ${quote(String(r.rounding))}`;
  const ints: [string, unknown, number, number][] = [
    ['resolution', r.resolution, 8, 224],
    ['budgetBytes', r.budgetBytes, 1, 2 ** 31],
    ['seed', r.seed, 0, 2 ** 31 - 1],
    ['steps', r.steps, 1, 1_000_000],
    ['validation', r.validation, 1, 100_000],
    ['population', r.population, 4, 10_000],
    ['generations', r.generations, 0, 10_000],
    ['shard.count', f.shard.count, 1, 10_000],
    ['shard.index', f.shard.index, 0, f.shard.count - 1],
  ];
  for (const [name, v, lo, hi] of ints) if (!isInt(v, lo, hi)) return `${name} must be an integer from ${lo} to ${hi}`;
  if (r.layers !== null && !isInt(r.layers, 0, 10_000)) return 'layers must be null or an integer';
  if (!(typeof r.lr === 'number' && r.lr > 0 && r.lr <= 100)) return 'lr must be a number in (0, 100]';
  if (typeof r.qas !== 'boolean' || typeof r.exact !== 'boolean') return 'qas and exact must be true or false';
  if (r.finalists !== undefined && typeof r.finalists !== 'boolean') return 'finalists must be true or false';
  if (r.finalistSteps !== undefined && !isInt(r.finalistSteps, 1, 1_000_000))
    return 'finalistSteps must be an integer from 1 to 1000000';
  if (r.pretrained !== null && typeof r.pretrained !== 'string') return 'pretrained must be a path or null';
  if (r.latencyMs !== undefined && r.latencyMs !== null && !(typeof r.latencyMs === 'number' && r.latencyMs > 0))
    return 'latencyMs must be a positive number or null';
  if (r.board !== undefined && !BOARD_IDS.includes(r.board)) return `unknown board ${quote(String(r.board))}`;
  const bad = f.runs.find((x) => typeof x?.scheme !== 'string' || typeof x.accuracy !== 'number');
  return bad ? 'a run lacks its scheme or accuracy' : null;
}

function readShard(path: string): ShardFile {
  const text = readInputFile(path, 'shard file', 64 * 1024 * 1024).toString('utf8');
  let f: ShardFile;
  try {
    f = JSON.parse(text) as ShardFile;
  } catch {
    throw new CliError(`${path} is not JSON (a shard file is what tinytrain search --shard i/N prints)`);
  }
  if (f?.format !== 'tinytrain-search-shard' || f.version !== 1 || !Array.isArray(f.runs) || !f.request || !f.shard)
    throw new CliError(`${path} is not a tinytrain search shard file (format tinytrain-search-shard, version 1)`);
  const problem = requestProblem(f);
  if (problem) throw new CliError(`${path}: ${problem}`);
  return f;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
const estMs = (ms: number | null) => (ms === null ? '' : `  est. step ~${Math.round(ms)} ms`);

function printText(r: SearchReport, io: CliIo): void {
  const q = r.request;
  io.out(
    `${q.model} ${q.resolution}x${q.resolution} on ${q.data}, budget ${kb(q.budgetBytes)} peak SRAM` +
      `${q.latencyMs ? ` and ~${q.latencyMs} ms estimated step on ${q.board}` : ''}, seed ${q.seed}`,
  );
  io.out(`  ${r.runs.length} contribution runs of ${q.steps} steps, scored on ${q.validation} validation examples`);
  io.out(`  classifier only: ${pct(r.runs[0].accuracy)} validation accuracy`);
  io.out(`  space: ${r.space.size.toExponential(2)} schemes; ${r.compiledSchemes} compiled`);
  if (r.finalists.length) {
    io.out(`  finalists (summed gain; validation accuracy after ${q.finalistSteps ?? q.steps} steps):`);
    for (const f of r.finalists)
      io.out(
        `    ${f.scheme === r.best?.scheme ? '*' : ' '} ${f.scheme}  gain +${pct(f.gain)}  ${f.accuracy === null ? 'not run' : pct(f.accuracy)}  peak ${kb(f.peakSramBytes)}`,
      );
  }
  for (const [what, f] of [
    ['search', r.best],
    ['exact', r.exact],
    ['best last-k', r.bestLastK],
  ] as const) {
    if (what === 'exact' && !q.exact) continue;
    io.out(
      `  ${what.padEnd(12)} ${f ? `${f.scheme}  gain +${pct(f.gain)}  peak ${kb(f.peakSramBytes)}${estMs(f.estStepMs)}` : 'nothing fits'}`,
    );
  }
}

/** The run cache folder (null: --no-cache). */
function cacheOption(v: Parsed): string | null {
  if (v.cache !== undefined && v['no-cache']) throw new UsageError('--cache and --no-cache exclude each other');
  return v['no-cache'] ? null : (v.cache ?? DEFAULT_CACHE);
}

/** Runs the report's finalists (search-run.ts runFinalists), showing each run unless --json. */
async function finalistsOf(
  ctx: ReturnType<typeof prepare>,
  report: SearchReport,
  cache: string | null,
  threads: number,
  json: boolean | undefined,
  io: CliIo,
): Promise<SearchReport> {
  if (report.finalists.length === 0) return report;
  return runFinalists(ctx, report, cache, await loadKernelFile(undefined, threads), (done, total, s, hit) => {
    if (!json) io.err(`  finalist ${done}/${total} ${s.scheme}: ${pct(s.accuracy)}${hit ? ' (cached)' : ''}`);
  });
}

async function run(args: string[], io: CliIo): Promise<number> {
  const { rest, merge } = splitMerge(args);
  const v = parseOptions(rest, OPTIONS);
  let report: SearchReport;
  if (merge) {
    const extra = Object.keys(v).filter((k) => !['json', 'cache', 'no-cache', 'threads'].includes(k));
    if (extra.length)
      throw new UsageError(
        `--merge takes only the shard files, --json and the finalists' --cache, --no-cache, --threads; not --${extra[0]}`,
      );
    const m = mergeShards(merge.map((path) => ({ path, shard: readShard(path) })));
    const ctx = prepare(m.request);
    if (ctx.modelSha256 !== m.inputs.modelSha256 || ctx.dataSha256 !== m.inputs.dataSha256)
      throw new CliError('the model file or data set changed since the shards ran (their content hashes differ)');
    const threads = intOption('threads', v.threads, defaultThreads(), 1, 64);
    report = await finalistsOf(ctx, searchReport(ctx, m.inputs, m.scores), cacheOption(v), threads, v.json, io);
  } else {
    const req = request(v);
    const cache = cacheOption(v);
    const shard = shardOption(v.shard);
    const threads = intOption('threads', v.threads, defaultThreads(), 1, 64);
    const ctx = prepare(req);
    if (req.exact && spaceSize(ctx.space) > EXACT_LIMIT)
      throw new UsageError(
        `--exact: the space has ${spaceSize(ctx.space)} schemes, the exact solver takes at most ${EXACT_LIMIT}; use --layers`,
      );
    const least = compile(ctx.model, 'classifier').metrics.peakSramBytes;
    if (least > req.budgetBytes)
      throw new CliError(
        `nothing fits ${req.budgetBytes} bytes: classifier only needs ${least} bytes of peak SRAM`,
        EXIT.doesNotFit,
      );
    const out = await runShard(ctx, shard, cache, await loadKernelFile(undefined, threads), (done, total, s, hit) => {
      if (!v.json && v.shard === undefined)
        io.err(`  run ${done}/${total} ${s.scheme}: ${pct(s.accuracy)}${hit ? ' (cached)' : ''}`);
    });
    if (v.shard !== undefined) {
      io.out(JSON.stringify(out));
      return EXIT.ok;
    }
    report = await finalistsOf(ctx, searchReport(ctx, out.inputs, out.runs), cache, threads, v.json, io);
  }
  if (v.json) io.out(JSON.stringify(report));
  else printText(report, io);
  if (!report.best)
    throw new CliError(
      `nothing fits ${report.request.budgetBytes} bytes${report.request.latencyMs ? ` and ~${report.request.latencyMs} ms (estimated)` : ''}: not even the classifier-only plan`,
      EXIT.doesNotFit,
    );
  return EXIT.ok;
}

export const searchCommand: Subcommand = {
  summary: 'contribution analysis and search for the best sparse-update scheme under a peak-SRAM budget',
  usage: USAGE,
  run,
};
