/**
 * `tinytrain train`: fine-tune a backbone headlessly in Node on the WebAssembly kernels (the worker's code) and
 * print the loss curve, the final test accuracy, samples/s and the measured arena bytes (one JSON object with
 * --json). See train-run.ts for what runs.
 */
import { parseArgs } from 'node:util';
import { Rounding, type RoundingName } from '../compiler/kernel-abi';
import { ARCHS, MODEL_NAMES, type ModelName } from '../compiler/models/arch';
import { intOption, UsageError, type CliIo, type Subcommand } from './command';
import { defaultPretrained, runHeadless, type Engine, type HeadlessOptions, type HeadlessResult } from './train-run';

const USAGE = `usage: tinytrain train --model M [--resolution R] [--scheme S] [--data D] [--steps N] [--seed K] [options]

  --model M          ${MODEL_NAMES.join(' | ')}
  --resolution R     input height = width (default: the model's, 128; tiny-cnn 32)
  --scheme S         sparse-update scheme (default full), e.g. paper:99kb, last:4, bias-only (see tinytrain plan --help)
  --data D           data set of public/data: mnist (default) | fashion-mnist
  --steps N          training steps, batch 1 (default 1000)
  --seed K           seed of the example order, the fresh classifier and stochastic rounding (default 1)
  --lr X             learning rate of SGD (default 0.01)
  --schedule S       constant (default) | cosine: decay from --lr to 0 over the steps
  --rounding MODE    truncate | nearest | stochastic: how updates enter int8/int32 storage (default nearest;
                     truncate is what the original MCU code did)
  --no-qas           plain SGD on the stored integers, without quantization-aware scaling
  --fp32             fp32 fine-tuning of the same scheme (the paper's baseline; TypeScript, slower)
  --reference        run the plan on the TypeScript reference interpreter instead of WebAssembly (slow)
  --pretrained F     backbone model file F.json (default public/models/<model>.json when it exists)
  --no-pretrained    start from the seeded random initialization
  --eval N           test examples for the accuracy (default: the whole test split)
  --initial-eval     also report the test accuracy before training
  --curve N          points of the loss curve (default 20)
  --json             print one JSON object

example: npx tinytrain train --model mcunet-5fps --resolution 128 --scheme paper:99kb --data mnist --steps 2000 --seed 1 --json`;

const OPTIONS = {
  model: { type: 'string' },
  resolution: { type: 'string' },
  scheme: { type: 'string' },
  data: { type: 'string' },
  steps: { type: 'string' },
  seed: { type: 'string' },
  lr: { type: 'string' },
  schedule: { type: 'string' },
  rounding: { type: 'string' },
  'no-qas': { type: 'boolean' },
  fp32: { type: 'boolean' },
  reference: { type: 'boolean' },
  pretrained: { type: 'string' },
  'no-pretrained': { type: 'boolean' },
  eval: { type: 'string' },
  'initial-eval': { type: 'boolean' },
  curve: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** Parses the arguments into headless options (throws UsageError). */
export function trainOptions(args: string[]): HeadlessOptions & { json: boolean } {
  let v;
  try {
    v = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (!v.model) throw new UsageError('--model is required');
  if (!(MODEL_NAMES as string[]).includes(v.model))
    throw new UsageError(`unknown --model "${v.model}"; available: ${MODEL_NAMES.join(', ')}`);
  const model = v.model as ModelName;
  const rounding = (v.rounding ?? 'nearest') as RoundingName;
  if (!(rounding in Rounding))
    throw new UsageError(`--rounding must be truncate, nearest or stochastic, got "${v.rounding}"`);
  const lr = v.lr === undefined ? 0.01 : Number(v.lr);
  if (!(Number.isFinite(lr) && lr >= 0)) throw new UsageError(`--lr must be a number >= 0, got "${v.lr}"`);
  const schedule = v.schedule ?? 'constant';
  if (schedule !== 'constant' && schedule !== 'cosine')
    throw new UsageError(`--schedule must be constant or cosine, got "${v.schedule}"`);
  if (v.fp32 && v.reference) throw new UsageError('--fp32 and --reference exclude each other');
  if (v.pretrained && v['no-pretrained']) throw new UsageError('--pretrained and --no-pretrained exclude each other');
  const engine: Engine = v.fp32 ? 'fp32' : v.reference ? 'reference' : 'wasm';
  const pretrained = v['no-pretrained']
    ? null
    : v.pretrained
      ? v.pretrained.endsWith('.json')
        ? v.pretrained
        : `${v.pretrained}.json`
      : defaultPretrained(model);
  return {
    model,
    resolution: intOption(
      'resolution',
      v.resolution,
      ARCHS[model].defaultResolution,
      model === 'tiny-cnn' ? 8 : 32,
      224,
    ),
    scheme: v.scheme ?? 'full',
    data: v.data ?? 'mnist',
    steps: intOption('steps', v.steps, 1000, 0, 10_000_000),
    seed: intOption('seed', v.seed, 1, 0, 2 ** 31 - 1),
    lr,
    schedule,
    rounding,
    qas: !v['no-qas'],
    engine,
    pretrained,
    evalExamples: v.eval === undefined ? Infinity : intOption('eval', v.eval, 0, 1, 10_000_000),
    curvePoints: intOption('curve', v.curve, 20, 1, 10_000),
    initialEval: Boolean(v['initial-eval']),
    json: Boolean(v.json),
  };
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

function printText(r: HeadlessResult, io: CliIo): void {
  const how =
    r.engine === 'fp32'
      ? 'fp32 SGD'
      : `int8 ${r.qas ? '+ QAS' : 'without QAS'}, ${r.rounding} rounding${r.engine === 'reference' ? ', reference interpreter' : ''}`;
  io.out(
    `${r.model} ${r.resolution}x${r.resolution}, scheme ${r.scheme}, ${how}, on ${r.data}, seed ${r.seed}, lr ${r.lr}`,
  );
  io.out(`  backbone   ${r.pretrained ?? 'random initialization'}`);
  for (const p of r.lossCurve)
    io.out(`  step ${String(p.step).padStart(7)}  loss ${p.loss.toFixed(4)}  train acc ${pct(p.accuracy)}`);
  if (r.initialTestAccuracy !== null) io.out(`  test accuracy before  ${pct(r.initialTestAccuracy)}`);
  io.out(`  test accuracy  ${pct(r.finalTestAccuracy)} on ${r.testExamples} examples`);
  io.out(`  speed      ${r.samplesPerSec.toFixed(1)} samples/s (${r.trainSeconds.toFixed(1)} s of training)`);
  if (r.arenaBytes !== null)
    io.out(
      `  arena      ${r.arenaBytes} bytes allocated (plan: ${r.plan.arenaBytes}), ${r.arenaOverwrites} canary bytes overwritten`,
    );
  io.out(`  peak SRAM  ${r.plan.peakSramBytes} bytes of the int8 plan (trainable ${r.plan.trainableSramBytes})`);
}

async function run(args: string[], io: CliIo): Promise<number> {
  const o = trainOptions(args);
  const r = await runHeadless(o);
  if (o.json) io.out(JSON.stringify(r));
  else printText(r, io);
  return r.arenaOverwrites ? 1 : 0;
}

export const trainCommand: Subcommand = {
  summary: 'fine-tune a backbone headlessly (WebAssembly kernels, as in the worker) and print its figures',
  usage: USAGE,
  run,
};
