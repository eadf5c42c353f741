/**
 * `--model PATH.tflite|PATH.onnx`: a model file of the user's own in place of a built-in backbone (plan, train,
 * firmware, export). A --model value that is not a backbone name and ends in .tflite or .onnx is a file; it is
 * read (at most 50 MB), imported (src/compiler/import) and mapped to the generic model. What the importer
 * refuses (an unsupported op, a truncated file, wrong magic, too large) is one line and exit 1.
 *
 * The classifier: by default the file's last fully connected layer, kept when --classes is absent or equals its
 * outputs, else replaced by a fresh one with --classes outputs (as for the built-ins). `--classifier N` makes
 * the file's fc N (0 = the first) the classifier and replaces it (the layers after it are dropped);
 * `--classifier keep` keeps the file's classifier and its classes.
 */
import { ImportError, importModel, MAX_MODEL_BYTES } from '../compiler/import';
import { classifierChoices, descriptionToModel } from '../compiler/import/to-model';
import type { ModelFile } from '../compiler/model-file';
import { MODEL_NAMES } from '../compiler/models/arch';
import { modelFromFile } from '../compiler/models/generic';
import type { Model } from '../compiler/models/model';
import { intOption } from './args';
import { CliError, EXIT, quote, UsageError } from './command';
import { checkInputFile, readInputFile } from './files';
import { loadModelFile, shownPath } from './firmware-io';
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { BOARD_IDS } from '../compiler/boards';
import { deviceFit } from '../compiler/codegen/device-fit';
import type { TrainingPlan } from '../compiler/plan';

/** Whether a --model value names a model file rather than a built-in backbone. */
export const isModelPath = (value: string | undefined): value is string =>
  value !== undefined && !new Set<string>(MODEL_NAMES).has(value) && /\.(tflite|onnx)$/i.test(value);

export type ClassifierChoice = number | 'keep' | undefined;

export function classifierOption(value: string | undefined): ClassifierChoice {
  if (value === undefined || value === 'keep') return value;
  return intOption('classifier', value, 0, 0, 1000);
}

export interface ImportTarget {
  classifier: ClassifierChoice;
  /** --classes, undefined when not given. */
  classes: number | undefined;
  seed: number;
}

/** The model of a .tflite / .onnx file; ImportError and file errors become one-line CliErrors (exit 1). */
export function loadImportedModel(path: string, t: ImportTarget): Model {
  checkInputFile(path, 'model file', Number.MAX_SAFE_INTEGER);
  const size = statSync(path).size;
  if (size > MAX_MODEL_BYTES)
    throw new CliError(`${shownPath(path)}: ${(size / 2 ** 20).toFixed(1)} MB is over the 50 MB limit for a model`);
  const bytes = new Uint8Array(readInputFile(path, 'model file', MAX_MODEL_BYTES));
  const name = basename(path).replace(/\.(tflite|onnx)$/i, '');
  try {
    const d = importModel(bytes, basename(path));
    const fcs = classifierChoices(d);
    if (t.classifier === 'keep') {
      const last = fcs[fcs.length - 1];
      if (t.classes !== undefined && t.classes !== last?.outputs)
        throw new UsageError(`--classifier keep keeps the file's ${last?.outputs} classes; --classes ${t.classes}`);
      return descriptionToModel(d, { name, seed: t.seed });
    }
    if (t.classifier !== undefined && t.classifier >= fcs.length)
      throw new UsageError(`--classifier ${t.classifier}: the model has ${fcs.length} fully connected layers`);
    const picked = fcs[t.classifier ?? fcs.length - 1];
    const classes = t.classes ?? picked?.outputs;
    const fresh = t.classifier !== undefined || classes !== picked?.outputs;
    return descriptionToModel(d, { name, classifier: t.classifier, classes, freshClassifier: fresh, seed: t.seed });
  } catch (e) {
    if (e instanceof ImportError) throw new CliError(e.message, EXIT.failure);
    throw e;
  }
}

/** `--weights F` for an imported model: a model file saved from it (the same layers and input), trained. */
export function importedWithWeights(m: Model, path: string): Model {
  const file: ModelFile = loadModelFile(path);
  if (!file.nodes) throw new UsageError(`--weights ${quote(path)} is a ${file.model} model, not ${m.name}`);
  const trained = modelFromFile(file, { model: file.model, classes: file.classes });
  const shape = (x: Model) =>
    JSON.stringify([x.inputShape, x.nodes.map((n) => n.op), [...x.convs, x.classifier].map((l) => [l.kind, l.inC])]);
  if (shape(trained) !== shape(m))
    throw new UsageError(`--weights ${quote(path)} (${file.model}) does not have the layers of ${m.name}`);
  return { ...trained, name: m.name, requant: m.requant };
}

/** An imported model whose plan fits no board at all is refused (exit 3): nothing could run it. */
export function checkFitsSomeBoard(plan: TrainingPlan): void {
  const fits = BOARD_IDS.map((board) => deviceFit(plan, { board, budgetKb: 8192, qas: true }));
  if (fits.some((f) => f.firmware.sram.fits && f.firmware.flash.fits)) return;
  const kb = (b: number) => `${Math.ceil(b / 1024)} KB`;
  const best = fits.reduce((a, b) => (b.sramLimitBytes > a.sramLimitBytes ? b : a));
  throw new CliError(
    `${plan.model.name} fits no board: it needs ${kb(best.deviceSramBytes)} SRAM and ${kb(best.flashBytes)} flash ` +
      `with scheme ${plan.scheme}; the largest board (${best.boardName}) has ${kb(best.sramLimitBytes)} SRAM and ` +
      `${kb(best.flashLimitBytes)} flash (try a sparser --scheme)`,
    EXIT.doesNotFit,
  );
}
