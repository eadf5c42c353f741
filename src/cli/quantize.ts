/**
 * `tinytrain quantize`: a float32 ONNX model made int8 so the playground can import it. Per-channel weights and
 * per-tensor activation ranges (src/compiler/import/quantize.ts); the ranges are calibrated under
 * onnxruntime-web on the LAST N training images of a data set of public/data (never its test images), each
 * resized to the model's input H x W with the training pipeline's exact integer bilinear resize and given as
 * lo + (hi - lo) * pixel / 255: runtime/training/calibrate.ts, the code the page's quantize step runs, so both
 * write the same bytes. The int8 model is written by our ONNX writer (QOperator ops), atomically.
 */
import * as ort from 'onnxruntime-web';
import { ImportError, importModel, MAX_MODEL_BYTES, type ModelDescription } from '../compiler/import';
import { calibrationInput, quantizeOnImages } from '../runtime/training/calibrate';
import { datasetOption, intOption, parseOptions } from './args';
import { CliError, EXIT, EXIT_CODES_HELP, quote, UsageError, type CliIo, type Subcommand } from './command';
import { checkOutputFile, readInputFile, writeFileAtomic } from './files';
import { DATA_DIR, readDataset, shownPath } from './firmware-io';
import { basename } from 'node:path';

const USAGE = `usage: tinytrain quantize --model FP32.onnx --data D [--calibration N] [--input-range LO,HI] --out INT8.onnx

  --model FILE        a float32 ONNX model (input [1, C, H, W], C = 1 or 3)
  --data D            data set of public/data whose TRAINING images calibrate it: mnist | fashion-mnist
  --calibration N     how many images: the last N of the training split (default 500)
  --input-range LO,HI what a pixel p becomes: LO + (HI - LO) * p / 255 (default 0,1: p / 255)
  --out FILE          the int8 ONNX model to write (replaced atomically if it exists)

Images are resized to the model's H x W (exact integer bilinear, as training does); gray is copied to 3
channels for an RGB input.

${EXIT_CODES_HELP}`;

const OPTIONS = {
  model: { type: 'string' },
  data: { type: 'string' },
  calibration: { type: 'string' },
  'input-range': { type: 'string' },
  out: { type: 'string' },
} as const;

const DECIMAL = /^-?(\d+\.?\d*|\.\d+)$/;

/** `LO,HI`: two plain decimals, -1000 <= LO < HI <= 1000. */
export function inputRangeOption(value: string | undefined): [number, number] {
  if (value === undefined) return [0, 1];
  const parts = value.split(',');
  const [lo, hi] = parts.map(Number);
  if (parts.length !== 2 || !parts.every((p) => DECIMAL.test(p.trim())) || !(lo < hi) || lo < -1000 || hi > 1000)
    throw new UsageError(`--input-range must be LO,HI with -1000 <= LO < HI <= 1000 (e.g. -1,1), got ${quote(value)}`);
  return [lo, hi];
}

function required(name: string, value: string | undefined): string {
  if (value === undefined) throw new UsageError(`--${name} is required`);
  return value;
}

function readFloatModel(path: string): ModelDescription {
  const bytes = new Uint8Array(readInputFile(path, 'model file', MAX_MODEL_BYTES));
  let d: ModelDescription;
  try {
    d = importModel(bytes, basename(path));
  } catch (e) {
    if (e instanceof ImportError) throw new CliError(e.message);
    throw e;
  }
  const shown = shownPath(path);
  if (d.format !== 'onnx') throw new CliError(`${shown} is a ${d.format} model; quantize reads float32 ONNX models`);
  if (!d.needsQuantization)
    throw new CliError(`${shown} is already quantized (${d.quantStyle}); import it as it is (--model ${shown})`);
  return d;
}

async function run(args: string[], io: CliIo): Promise<number> {
  const v = parseOptions(args, OPTIONS);
  const model = required('model', v.model);
  const out = required('out', v.out);
  if (!/\.onnx$/i.test(model)) throw new UsageError(`--model must be a .onnx file, got ${quote(model)}`);
  if (!/\.onnx$/i.test(out)) throw new UsageError(`--out must end in .onnx, got ${quote(out)}`);
  const data = datasetOption('data', required('data', v.data), '', DATA_DIR);
  const count = intOption('calibration', v.calibration, 500, 1, 1_000_000);
  const range = inputRangeOption(v['input-range']);
  checkOutputFile(out);

  const d = readFloatModel(model);
  const input = calibrationInput(d);
  if ('problem' in input) throw new CliError(`${shownPath(model)}: ${input.problem}`);
  const { train } = await readDataset(data, ['train']);
  if (count > train.count)
    throw new UsageError(`--calibration ${count}: the ${data} training split has ${train.count} images`);
  const first = train.count - count;

  let bytes: Uint8Array;
  try {
    bytes = await quantizeOnImages(ort, d, train, count, range);
  } catch (e) {
    if (e instanceof ImportError) throw new CliError(`${shownPath(model)}: ${e.message}`);
    throw e;
  }
  writeFileAtomic(out, bytes);
  const q = importModel(bytes, basename(out));
  io.out(
    `quantized ${shownPath(model)}: ${q.ops.length} int8 ops, calibrated on ${count} ${data} training images ` +
      `(${first}..${train.count - 1}, input ${range.join('..')}) -> ${shownPath(out)} (${bytes.length} bytes)`,
  );
  return EXIT.ok;
}

export const quantizeCommand: Subcommand = {
  summary: 'quantize a float32 ONNX model to int8, calibrated on a data set (then import it)',
  usage: USAGE,
  run,
};
