/**
 * `tinytrain train`: fine-tune a backbone headlessly in Node on the WebAssembly kernels (the worker's code) and
 * print the loss curve, the final test accuracy, samples/s and the measured arena bytes (one JSON object with
 * --json). See train-run.ts for what runs.
 */
import type { RoundingName } from '../compiler/kernel-abi';
import { MODEL_NAMES, type ModelName } from '../compiler/models/arch';
import {
  datasetOption,
  enumOption,
  intOption,
  modelOption,
  numberOption,
  parseOptions,
  resolutionOption,
  schemeOption,
  seedOption,
} from './args';
import { CliError, EXIT, EXIT_CODES_HELP, UsageError, type CliIo, type Subcommand } from './command';
import { DATA_DIR, datasetManifest, shownPath } from './firmware-io';
import { datasetImages, imageInputFit } from '../runtime/training/input-fit';
import { runHeadless, type Engine, type HeadlessOptions, type HeadlessResult } from './train-run';
import { classifierOption, isModelPath, loadImportedModel } from './imported';
import { weightsChoice } from './weights';

const ROUNDINGS: readonly RoundingName[] = ['truncate', 'nearest', 'stochastic'];

const USAGE = `usage: tinytrain train --model M [--resolution R] [--scheme S] [--data D] [--steps N] [--seed K] [options]

  --model M          ${MODEL_NAMES.join(' | ')}, or a model file PATH.tflite | PATH.onnx whose input is an
                     image of at least 8x8 with 1 or 3 channels (the data set's images are resized to it, e.g.
                     49x40; its classifier is sized for the data set's classes)
  --classifier N|keep  (model file) which fc becomes the classifier, as in tinytrain plan
  --resolution R     input height = width (default: the model's, 128; tiny-cnn 32)
  --scheme S         sparse-update scheme (default full), e.g. paper:99kb, last:4, bias-only (see tinytrain plan --help)
  --data D           data set of public/data: mnist (default) | fashion-mnist
  --steps N          training steps, batch 1, 0..10000000 (default 1000)
  --seed K           seed of the example order, the fresh classifier and stochastic rounding, 0..2147483647
                     (default 1)
  --lr X             learning rate of SGD, 0..100 (default 0.01)
  --schedule S       constant (default) | cosine: decay from --lr to 0 over the steps
  --rounding MODE    truncate | nearest | stochastic: how updates enter int8/int32 storage (default nearest;
                     truncate is what the original MCU code did)
  --no-qas           plain SGD on the stored integers, without quantization-aware scaling
  --fp32             fp32 fine-tuning of the same scheme (the paper's baseline; TypeScript, slower)
  --reference        run the plan on the TypeScript reference interpreter instead of WebAssembly (slow)
  weights (one of; default: the pretrained backbone public/models/<model>.json when it exists):
  --pretrained F     backbone model file F.json (blob F.bin beside it), with a fresh classifier
  --weights F        a trained model file: every layer, the classifier included (its classes = the data's)
  --no-pretrained    start from the seeded random initialization
  --threads N        kernel threads, 1..64 (default: the cores, at most 4); results are identical for any N
  --eval N           test examples for the accuracy, 1..10000000 (default: the whole test split)
  --initial-eval     also report the test accuracy before training
  --curve N          points of the loss curve, 1..10000 (default 20)
  --json             print one JSON object

${EXIT_CODES_HELP}

example: npx tinytrain train --model mcunet-5fps --resolution 128 --scheme paper:99kb --data mnist --steps 2000 --seed 1 --json`;

const OPTIONS = {
  model: { type: 'string' },
  classifier: { type: 'string' },
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
  weights: { type: 'string' },
  'no-pretrained': { type: 'boolean' },
  eval: { type: 'string' },
  'initial-eval': { type: 'boolean' },
  curve: { type: 'string' },
  threads: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** Parses the arguments into headless options (throws UsageError; reads a --weights file to check it). */
export function trainOptions(args: string[]): HeadlessOptions & { json: boolean } {
  const v = parseOptions(args, OPTIONS);
  const path = isModelPath(v.model) ? v.model : null;
  if (path) {
    for (const flag of ['resolution', 'pretrained', 'no-pretrained'] as const)
      if (v[flag] !== undefined) throw new UsageError(`--${flag} does not go with a model file`);
  } else if (v.classifier !== undefined) throw new UsageError('--classifier is for a .tflite / .onnx --model');
  const classifier = classifierOption(v.classifier);
  // a model file is read now, so a file it cannot import is refused before the data set is loaded
  const imported = path ? loadImportedModel(path, { classifier, classes: undefined, seed: seedOption(v.seed) }) : null;
  const model = imported ? imported.name : modelOption(v.model);
  const data = datasetOption('data', v.data, 'mnist', DATA_DIR);
  if (imported) {
    // refused before the data set is loaded: an input that takes no image (hello_world's one value)
    const set = datasetImages(datasetManifest(data));
    const fit = imageInputFit(imported.inputShape, set.classes!.length, set);
    if (!fit.ok) throw new CliError(`${imported.name}: ${fit.reason}`, EXIT.usage);
  }
  const rounding = enumOption('rounding', v.rounding, 'nearest', ROUNDINGS);
  const lr = numberOption('lr', v.lr, 0.01, { lo: 0, hi: 100 });
  const schedule = enumOption('schedule', v.schedule, 'constant', ['constant', 'cosine'] as const);
  if (v.fp32 && v.reference) throw new UsageError('--fp32 and --reference exclude each other');
  const engine: Engine = v.fp32 ? 'fp32' : v.reference ? 'reference' : 'wasm';
  const options = {
    model,
    resolution: imported ? imported.inputShape[0] : resolutionOption(model as ModelName, v.resolution),
    scheme: schemeOption(v.scheme, 'full'),
    data,
    steps: intOption('steps', v.steps, 1000, 0, 10_000_000),
    seed: seedOption(v.seed),
    lr,
    schedule,
    rounding,
    qas: !v['no-qas'],
    engine,
    evalExamples: v.eval === undefined ? Infinity : intOption('eval', v.eval, 0, 1, 10_000_000),
    curvePoints: intOption('curve', v.curve, 20, 1, 10_000),
    initialEval: Boolean(v['initial-eval']),
    threads: v.threads === undefined ? undefined : intOption('threads', v.threads, 1, 1, 64),
    json: Boolean(v.json),
  };
  if (path) return { ...options, pretrained: null, weights: v.weights ?? null, modelFile: { path, classifier } };
  const w = weightsChoice(v, model as ModelName);
  return {
    ...options,
    pretrained: w.kind === 'backbone' ? w.path : null,
    weights: w.kind === 'trained' ? w.path : null,
  };
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

function printText(r: HeadlessResult, io: CliIo): void {
  const how =
    r.engine === 'fp32'
      ? 'fp32 SGD'
      : `int8 ${r.qas ? '+ QAS' : 'without QAS'}, ${r.rounding} rounding${r.engine === 'reference' ? ', reference interpreter' : ''}`;
  const [h, w] = r.inputShape;
  io.out(`${r.model} ${h}x${w}, scheme ${r.scheme}, ${how}, on ${r.data}, seed ${r.seed}, lr ${r.lr}`);
  io.out(
    `  weights    ${r.weights ? `trained model file ${shownPath(r.weights)}` : r.modelFile ? `model file ${shownPath(r.modelFile)}` : r.pretrained ? `pretrained backbone ${shownPath(r.pretrained)}, fresh classifier` : `seeded random initialization`}`,
  );
  io.out(`  data       ${r.dataFit}`);
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
  if (r.arenaOverwrites) throw new CliError(`${r.arenaOverwrites} canary bytes around the arena were overwritten`);
  return EXIT.ok;
}

export const trainCommand: Subcommand = {
  summary: 'fine-tune a backbone headlessly (WebAssembly kernels, as in the worker) and print its figures',
  usage: USAGE,
  run,
};
