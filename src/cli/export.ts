/**
 * `tinytrain export`: a model as a file other tools read: .tflite (TFLite int8, NHWC), .onnx (ONNX QOperator,
 * NCHW) or TinyTrain's own model file (.tinytrain.zip, what the page saves and --weights reads). The model is a
 * built-in backbone (its pretrained weights, or --weights: a trained model file) or a .tflite / .onnx file
 * (imported.ts; --weights: a model file trained from it). The exported file declares the arithmetic the model
 * runs with, so importing it again gives the same plan. Written atomically (a temporary file, then renamed).
 */
import { writeOnnx, writeTflite } from '../compiler/export';
import { modelToDescription } from '../compiler/import/from-model';
import { packModelFile } from '../compiler/model-pack';
import { MODEL_NAMES } from '../compiler/models/arch';
import { modelToFile, type Model } from '../compiler/models/model';
import { classesOption, enumOption, modelOption, parseOptions, resolutionOption, seedOption } from './args';
import { CliError, EXIT, EXIT_CODES_HELP, UsageError, type CliIo, type Subcommand } from './command';
import { checkOutputFile, writeFileAtomic } from './files';
import { classifierOption, importedWithWeights, isModelPath, loadImportedModel } from './imported';
import { modelWithWeights, weightsChoice } from './weights';

const FORMATS = ['tflite', 'onnx', 'tinytrain'] as const;
type Format = (typeof FORMATS)[number];

const USAGE = `usage: tinytrain export --model M [--weights W] --format tflite|onnx|tinytrain --out FILE

  --model M        ${MODEL_NAMES.join(' | ')}, or a model file PATH.tflite | PATH.onnx
  --weights W      a trained model file (F.json + F.bin, or F.tinytrain.zip) of that model
                   (a built-in without it: its pretrained backbone with a fresh classifier, or --no-pretrained)
  --no-pretrained  (built-in) seeded random weights
  --resolution R   (built-in) input height = width; default the model's
  --classes C      (built-in) number of classes (default 10; with --weights: the file's)
  --classifier N|keep, --classes C   (model file) as in tinytrain plan
  --seed N         seed of random weights / a fresh classifier (default 1)
  --format F       tflite | onnx | tinytrain (.tinytrain.zip, the page's model file)
  --out FILE       the file to write (replaced atomically if it exists)

${EXIT_CODES_HELP}`;

const OPTIONS = {
  model: { type: 'string' },
  weights: { type: 'string' },
  'no-pretrained': { type: 'boolean' },
  resolution: { type: 'string' },
  classes: { type: 'string' },
  classifier: { type: 'string' },
  seed: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseOptions<typeof OPTIONS>>;

function exportModel(v: Values, seed: number): Model {
  if (isModelPath(v.model)) {
    for (const flag of ['resolution', 'no-pretrained'] as const)
      if (v[flag] !== undefined) throw new UsageError(`--${flag} does not go with a model file`);
    const classes = v.classes === undefined ? undefined : classesOption(v.classes);
    const m = loadImportedModel(v.model, { classifier: classifierOption(v.classifier), classes, seed });
    return v.weights === undefined ? m : importedWithWeights(m, v.weights);
  }
  if (v.classifier !== undefined) throw new UsageError('--classifier is for a .tflite / .onnx --model');
  const name = modelOption(v.model);
  const choice = weightsChoice(v, name);
  const file = choice.kind === 'trained' ? choice.file : null;
  const resolution = resolutionOption(name, v.resolution, file?.resolution);
  return modelWithWeights(choice, { model: name, resolution, classes: classesOption(v.classes, file?.classes), seed });
}

/** The file's bytes; an exporter refusal (a model it cannot express) is one line, exit 1. */
function encode(m: Model, format: Format): Uint8Array {
  try {
    if (format === 'tinytrain') return packModelFile(modelToFile(m, { exportedBy: 'tinytrain export' }));
    const d = modelToDescription(m, format);
    return format === 'tflite' ? writeTflite(d) : writeOnnx(d);
  } catch (e) {
    throw new CliError(`cannot export ${m.name} as ${format}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function run(args: string[], io: CliIo): number {
  const v = parseOptions(args, OPTIONS);
  if (v.format === undefined) throw new UsageError('--format is required (tflite, onnx or tinytrain)');
  const format = enumOption('format', v.format, 'tflite', FORMATS);
  if (v.out === undefined || v.out === '') throw new UsageError('--out is required');
  checkOutputFile(v.out);
  const m = exportModel(v, seedOption(v.seed));
  const bytes = encode(m, format);
  writeFileAtomic(v.out, bytes);
  io.out(`wrote ${v.out}: ${m.name} as ${format} (${bytes.length} bytes, ${m.classes} classes, requant ${m.requant})`);
  return EXIT.ok;
}

export const exportCommand: Subcommand = {
  summary: 'write a model as .tflite, .onnx or a TinyTrain model file',
  usage: USAGE,
  run,
};
