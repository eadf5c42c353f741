/**
 * `tinytrain firmware`: compile a training plan and write its firmware bundle (the same files the page zips):
 * model C, the kernels, a host and a Cortex-M7 demo, linker script capped at the board, Makefile, README.
 * Samples are real test images from public/data (resized and quantized by the runtime's code) unless
 * --dataset synthetic. The fit on the board is printed first; a bundle that does not fit is not written unless
 * --force (its MCU link would then fail with the linker script's message).
 */
import {
  bundleToZip,
  generateFirmware,
  syntheticSamples,
  defaultSampleCount,
  type FirmwareFit,
} from '../compiler/codegen';
import { BOARDS, BOARD_IDS } from '../compiler/boards';
import type { RunSettings } from '../compiler/settings';
import { compile } from '../compiler/compile';
import type { RoundingName } from '../compiler/kernel-abi';
import { MODEL_NAMES, type ModelName } from '../compiler/models/arch';
import {
  classesOption,
  datasetOption,
  enumOption,
  intOption,
  labelsOption,
  modelOption,
  numberOption,
  parseOptions,
  resolutionOption,
  schemeOption,
  seedOption,
  textOption,
} from './args';
import { CliError, EXIT, EXIT_CODES_HELP, UsageError, type CliIo, type Subcommand } from './command';
import { datasetSamples, DATA_DIR, readKernelSources } from './firmware-io';
import { checkOutput, writeFileAtomic, writeFolderAtomic } from './files';
import { weightsChecksum } from '../compiler/models/trained';
import { classifierOption, importedWithWeights, isModelPath, loadImportedModel } from './imported';
import { describeWeights, modelWithWeights, weightsChoice } from './weights';

const ROUNDINGS: readonly RoundingName[] = ['truncate', 'nearest', 'stochastic'];

const USAGE = `usage: tinytrain firmware --model M [--resolution R] [--classes C] [--scheme S] --out DIR|FILE.zip [options]

  --model M         ${MODEL_NAMES.join(' | ')} (may be left out with --weights), or a model file
                    PATH.tflite | PATH.onnx (its input and weights; synthetic samples; default scheme full)
  --classifier N|keep  (model file) which fc becomes the classifier, as in tinytrain plan
  --resolution R    input height = width, 32..224 (tiny-cnn 8..224); default: the model's (with --weights: the file's)
  --classes C       number of classes, 2..1000 (default 10; with --weights: the file's)
  --scheme S        sparse-update scheme, as for \`tinytrain plan\` (default paper:49kb; tiny-cnn last:4)
  --board B         ${BOARD_IDS.join(' | ')} (default stm32f746): caps the linker script
  --labels a,b,...  one name per class, 1..64 characters each (escaped in the C); write a comma inside a name
                    as \\, and a backslash as \\\\. Default: the dataset's, else "class i"
  --out DIR         write the bundle into DIR (new, empty, or an earlier bundle, which is replaced); a name
                    ending in .zip writes one zip file instead. Its folder must exist. Nothing is left behind
                    on failure (written beside the target, then renamed).
  weights (one of; default: the pretrained backbone public/models/<model>.json when it exists):
  --pretrained F    backbone model file F.json (blob F.bin beside it), with a fresh classifier for C classes
  --weights F       a trained model file: every layer, the classifier included
  --no-pretrained   seeded random weights
  --seed N          seed of the random weights and of stochastic rounding, 0..2147483647 (default 1)
  --lr X            learning rate, above 0 and up to 100 (default 0.01)
  --rounding R      ${ROUNDINGS.join(' | ')} (default nearest)
  --no-qas          plain SGD on the integers instead of quantization-aware scaling
  --steps N         training steps the demo runs, 1..100000 (default 10)
  --samples N       embedded images, 1..64 (default: about 96 KB of them, 2..8)
  --dataset NAME    data set of public/data for the samples (default fashion-mnist), or "synthetic"
  --experiment S    experiment name shown by the demo (1..80 characters)
  --force           write the bundle even when it does not fit the board

${EXIT_CODES_HELP}

example: tinytrain firmware --model mcunet-5fps --scheme paper:49kb --labels cat,dog --classes 2 --out fw/`;

const OPTIONS = {
  model: { type: 'string' },
  classifier: { type: 'string' },
  resolution: { type: 'string' },
  classes: { type: 'string' },
  scheme: { type: 'string' },
  board: { type: 'string' },
  labels: { type: 'string' },
  out: { type: 'string' },
  pretrained: { type: 'string' },
  weights: { type: 'string' },
  'no-pretrained': { type: 'boolean' },
  seed: { type: 'string' },
  lr: { type: 'string' },
  rounding: { type: 'string' },
  'no-qas': { type: 'boolean' },
  steps: { type: 'string' },
  samples: { type: 'string' },
  dataset: { type: 'string' },
  experiment: { type: 'string' },
  force: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseOptions<typeof OPTIONS>>;

function settings(v: Values): RunSettings {
  return {
    lr: numberOption('lr', v.lr, 0.01, { lo: 0, hi: 100, above: true }),
    rounding: enumOption('rounding', v.rounding, 'nearest', ROUNDINGS),
    qas: !v['no-qas'],
    seed: seedOption(v.seed),
  };
}

function defaultScheme(model: string): string {
  return model === 'tiny-cnn' ? 'last:4' : 'paper:49kb';
}

/** Fit report lines: one per memory, itemized. */
export function fitText(fit: FirmwareFit): string[] {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  const line = (what: string, m: FirmwareFit['sram']) =>
    `${what.padEnd(6)} ${kb(m.total).padStart(9)} of ${kb(m.limit).padStart(9)} ${m.fits ? 'ok  ' : 'OVER'}  (${m.parts.map((p) => `${p.name} ${kb(p.bytes)}`).join(', ')})`;
  return [
    `board ${fit.board.name}: ${fit.fits ? 'fits' : 'does NOT fit'}`,
    line('SRAM', fit.sram),
    line('flash', fit.flash),
  ];
}

/** A .tflite / .onnx --model (imported.ts): its own input and weights, synthetic samples, scheme full. */
function importedOptions(v: Values & { model: string }) {
  for (const flag of ['resolution', 'pretrained', 'no-pretrained'] as const)
    if (v[flag] !== undefined) throw new UsageError(`--${flag} does not go with a model file`);
  if (v.dataset !== undefined && v.dataset !== 'synthetic')
    throw new UsageError('--dataset: a model file gets synthetic samples (its input is not an image set of ours)');
  const s = settings(v);
  const classes = v.classes === undefined ? undefined : classesOption(v.classes);
  const steps = intOption('steps', v.steps, 10, 1, 100000);
  const samples = v.samples === undefined ? undefined : intOption('samples', v.samples, 0, 1, 64);
  const experiment = textOption('experiment', v.experiment);
  const scheme = schemeOption(v.scheme, 'full');
  if (v.out === undefined || v.out === '') throw new UsageError('--out is required');
  checkOutput(v.out);
  const loaded = loadImportedModel(v.model, { classifier: classifierOption(v.classifier), classes, seed: s.seed });
  const model = v.weights === undefined ? loaded : importedWithWeights(loaded, v.weights);
  const labels = v.labels === undefined ? undefined : labelsOption(v.labels, model.classes);
  const weightsText = v.weights ? `trained model file ${v.weights}` : `the weights of ${v.model}`;
  return { v, out: v.out, board: boardOf(v), s, steps, samples, experiment, labels, scheme, model, weightsText };
}

const boardOf = (v: Values) => BOARDS.find((b) => b.id === enumOption('board', v.board, 'stm32f746', BOARD_IDS))!;

/** Every argument checked before anything is read, compiled or written. */
function options(args: string[]) {
  const v = parseOptions(args, OPTIONS);
  if (isModelPath(v.model)) return importedOptions({ ...v, model: v.model });
  if (v.classifier !== undefined) throw new UsageError('--classifier is for a .tflite / .onnx --model');
  const modelName = v.model === undefined && v.weights !== undefined ? undefined : modelOption(v.model);
  const board = BOARDS.find((b) => b.id === enumOption('board', v.board, 'stm32f746', BOARD_IDS))!;
  const s = settings(v);
  const steps = intOption('steps', v.steps, 10, 1, 100000);
  const samples = v.samples === undefined ? undefined : intOption('samples', v.samples, 0, 1, 64);
  const dataset = datasetOption('dataset', v.dataset, 'fashion-mnist', DATA_DIR, ['synthetic']);
  const experiment = textOption('experiment', v.experiment);
  const weights = weightsChoice(v, modelName);
  const file = weights.kind === 'trained' ? weights.file : null;
  const name = modelName ?? (file!.model as ModelName);
  const target = {
    model: name,
    resolution: resolutionOption(name, v.resolution, file?.resolution),
    classes: classesOption(v.classes, file?.classes),
    seed: s.seed,
  };
  const labels = v.labels === undefined ? undefined : labelsOption(v.labels, target.classes);
  const scheme = schemeOption(v.scheme, defaultScheme(name));
  if (v.out === undefined || v.out === '') throw new UsageError('--out is required');
  checkOutput(v.out);
  const model = modelWithWeights(weights, target);
  const weightsText = describeWeights(weights, target);
  return { v, out: v.out, board, s, steps, samples, dataset, experiment, labels, scheme, model, weightsText };
}

async function run(args: string[], io: CliIo): Promise<number> {
  const o = options(args);
  const model = o.model;
  const plan = compile(model, o.scheme);
  const count = o.samples ?? defaultSampleCount(plan.input.bytes);
  const dataset = 'dataset' in o ? o.dataset : 'synthetic';
  const real =
    dataset === 'synthetic' ? null : datasetSamples(dataset, count, model.resolution, model.inChannels, model.classes);
  const bundle = generateFirmware(plan, {
    board: o.board,
    settings: o.s,
    kernelSources: readKernelSources(),
    labels: o.labels ?? (real && real.classNames.length >= model.classes ? real.classNames : undefined),
    experiment: o.experiment,
    samples: real?.samples ?? syntheticSamples(plan.input, model.classes, count),
    steps: o.steps,
    contents: {
      weights: o.weightsText,
      checksum: weightsChecksum(model),
      data: real ? `the first ${count} images of the ${dataset} test split` : `${count} seeded synthetic images`,
    },
  });
  io.out(
    `${bundle.name}: ${model.name} ${model.inputShape.slice(0, 2).join('x')}, scheme ${plan.scheme}, arena ${plan.arenaBytes} B`,
  );
  io.out(`weights ${o.weightsText}`);
  for (const l of fitText(bundle.fit)) io.out(l);
  if (!bundle.fit.fits && !o.v.force) {
    throw new CliError(`not written: ${bundle.fit.problems.join('; ')} (--force writes it anyway)`, EXIT.doesNotFit);
  }
  const zip = o.out.endsWith('.zip');
  if (zip) writeFileAtomic(o.out, bundleToZip(bundle.files, bundle.name));
  else writeFolderAtomic(o.out, bundle.files);
  io.out(`wrote ${Object.keys(bundle.files).length} files to ${o.out}${zip ? '' : ' (make run-host, make run-qemu)'}`);
  return EXIT.ok;
}

export const firmwareCommand: Subcommand = {
  summary: 'write the firmware bundle (C for a host and a Cortex-M7 board) of a training plan',
  usage: USAGE,
  run,
};
