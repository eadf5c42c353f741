/**
 * The default transfer task of issue #4, headless with the worker's code (src/cli/train-run.ts): a backbone
 * pretrained on Fashion-MNIST (public/models/<model>.json) fine-tuned on MNIST with a fresh classifier, batch 1,
 * SGD without momentum, cosine learning-rate decay (the last steps with a constant rate leave a seed-to-seed
 * spread of several points), evaluated on the whole MNIST test split, several seeds per row. Rows:
 *   precision: fp32 SGD vs int8 + QAS vs int8 without QAS, all with the same published sparse scheme;
 *   rounding:  truncate (the original MCU code), nearest, stochastic - int8 + QAS;
 *   scheme:    classifier only, bias only, the published schemes, last-k and full updates - int8 + QAS.
 * Every finished run is appended to a JSON-lines file and skipped when the script runs again with the same
 * settings, kernel build and backbone (cache-key.ts), so a long run can be resumed. The learning rate is an
 * input: choose it with select-lr.ts, which scores rates on a validation split of the MNIST training images,
 * never on the test images this script reports. Prints the markdown table and the findings for docs/experiments.md.
 *
 *   npx tsx scripts/experiments/transfer.ts [--model mcunet-5fps] [--resolution 128] [--steps 3000]
 *     [--seeds 1,2,3] [--lr 0.01] [--rows id,id,...] [--eval N] [--out file.jsonl]
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  defaultPretrained,
  ROOT,
  runHeadless,
  type HeadlessOptions,
  type HeadlessResult,
} from '../../src/cli/train-run';
import { paperBudgets } from '../../src/compiler/scheme/paper';
import { repoPath, runKey } from './cache-key';
import { findings, markdownTable, stats, type Row } from './table';

const PRIMARY = 'paper:99kb';

/** The rows for a model: its published schemes when it has them, last-k and full updates, the baselines. */
export function rowsFor(model: string): Row[] {
  const primary = paperBudgets(model).includes('99kb') ? PRIMARY : 'last:4';
  const int8 = (
    id: string,
    label: string,
    scheme: string,
    rounding: Row['rounding'],
    qas: boolean,
    group: Row['group'],
  ): Row => ({
    id,
    label,
    scheme,
    engine: 'wasm',
    rounding,
    qas,
    group,
  });
  return [
    {
      id: 'fp32',
      label: 'fp32 SGD',
      scheme: primary,
      engine: 'fp32',
      rounding: 'nearest',
      qas: true,
      group: 'precision',
    },
    int8('qas-nearest', 'int8 + QAS, nearest', primary, 'nearest', true, 'precision'),
    int8('noqas-nearest', 'int8 without QAS, nearest', primary, 'nearest', false, 'precision'),
    int8('noqas-stochastic', 'int8 without QAS, stochastic', primary, 'stochastic', false, 'precision'),
    int8('qas-truncate', 'int8 + QAS, truncate (MCU code)', primary, 'truncate', true, 'rounding'),
    int8('qas-stochastic', 'int8 + QAS, stochastic', primary, 'stochastic', true, 'rounding'),
    int8('classifier', 'int8 + QAS, classifier only', 'classifier', 'nearest', true, 'scheme'),
    int8('bias-only', 'int8 + QAS, all biases', 'bias-only', 'nearest', true, 'scheme'),
    ...paperBudgets(model)
      .filter((b) => `paper:${b}` !== primary)
      .map((b) => int8(`paper-${b}`, `int8 + QAS, paper ${b}`, `paper:${b}`, 'nearest', true, 'scheme')),
    ...[4, 8, 12].map((k) => int8(`last-${k}`, `int8 + QAS, last ${k} layers`, `last:${k}`, 'nearest', true, 'scheme')),
    int8('full', 'int8 + QAS, full update', 'full', 'nearest', true, 'scheme'),
  ];
}

interface Stored {
  key: string;
  result: HeadlessResult;
}

function parse() {
  const { values: v } = parseArgs({
    options: {
      model: { type: 'string', default: 'mcunet-5fps' },
      resolution: { type: 'string', default: '128' },
      steps: { type: 'string', default: '3000' },
      seeds: { type: 'string', default: '1,2,3' },
      lr: { type: 'string', default: '0.01' },
      rows: { type: 'string' },
      eval: { type: 'string' },
      out: { type: 'string' },
      'no-pretrained': { type: 'boolean' },
    },
  });
  return v;
}

export async function main(): Promise<void> {
  const v = parse();
  const model = v.model!;
  const pretrained = v['no-pretrained'] ? null : defaultPretrained(model);
  if (!pretrained && !v['no-pretrained'])
    throw new Error(`no public/models/${model}.json: pretrain it first (npm run pretrain) or pass --no-pretrained`);
  const seeds = v.seeds!.split(',').map(Number);
  const wanted = v.rows?.split(',');
  const rows = rowsFor(model).filter((r) => !wanted || wanted.includes(r.id));
  const out = v.out ?? join(ROOT, 'scripts', 'experiments', 'results', `transfer-${model}-${v.resolution}.jsonl`);
  mkdirSync(dirname(out), { recursive: true });
  const done = new Map<string, HeadlessResult>();
  if (existsSync(out))
    for (const line of readFileSync(out, 'utf8').split('\n').filter(Boolean)) {
      const s = JSON.parse(line) as Stored;
      done.set(s.key, s.result);
    }
  const table = [];
  for (const row of rows) {
    const runs: HeadlessResult[] = [];
    for (const seed of seeds) {
      const o: HeadlessOptions = {
        model,
        resolution: Number(v.resolution),
        scheme: row.scheme,
        data: 'mnist',
        steps: Number(v.steps),
        seed,
        lr: Number(v.lr),
        rounding: row.rounding,
        qas: row.qas,
        engine: row.engine,
        pretrained,
        evalExamples: v.eval ? Number(v.eval) : Infinity,
        curvePoints: 10,
        initialEval: false,
        schedule: 'cosine',
      };
      const k = runKey(o);
      let r = done.get(k);
      if (!r) {
        const t0 = Date.now();
        r = { ...(await runHeadless(o)), pretrained: pretrained && repoPath(pretrained) };
        appendFileSync(out, JSON.stringify({ key: k, result: r } satisfies Stored) + '\n');
        console.error(
          `${row.id} seed ${seed}: ${(100 * r.finalTestAccuracy).toFixed(2)}% (${((Date.now() - t0) / 1000).toFixed(0)} s)`,
        );
      }
      runs.push(r);
    }
    table.push(stats(row, runs));
  }
  console.log(
    `\n${model} ${v.resolution}x${v.resolution}, ${pretrained ? 'pretrained on Fashion-MNIST' : 'random weights'}, fine-tuned on MNIST (fresh classifier), ` +
      `${v.steps} steps of batch 1, lr ${v.lr} (cosine), seeds ${seeds.join(', ')}, test accuracy on ${table[0]?.runs[0].testExamples} MNIST test images\n`,
  );
  console.log(markdownTable(table));
  console.log('\nFindings:');
  for (const f of findings(table)) console.log(`- ${f}`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) await main();
