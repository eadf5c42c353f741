/**
 * Which weights a command starts from, the same rule for `firmware` and `train`:
 *   default          the pretrained backbone public/models/<model>.json when it exists (a fresh classifier for
 *                    the target classes, built as the worker builds it: src/runtime/training/train-backbone.ts),
 *                    else the seeded random initialization
 *   --pretrained F   that backbone file instead (fresh classifier)
 *   --weights F      a trained model file (src/compiler/model-file.ts): every layer, the classifier included,
 *                    so its class count is the run's
 *   --no-pretrained  the seeded random initialization
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelFile } from '../compiler/model-file';
import { MODEL_NAMES, type ModelName } from '../compiler/models/arch';
import { buildModel, type Model } from '../compiler/models/model';
import { transferModel } from '../runtime/training/train-backbone';
import { quote, UsageError } from './command';
import { checkInputFile } from './files';
import { loadModelFile, manifestPath, MODELS_DIR, shownPath } from './firmware-io';

export type WeightsChoice =
  | { kind: 'backbone'; path: string; isDefault: boolean }
  | { kind: 'trained'; path: string; file: ModelFile }
  | { kind: 'random' };

export interface WeightFlags {
  pretrained?: string;
  weights?: string;
  'no-pretrained'?: boolean;
}

/** The default backbone file of a model: public/models/<model>.json when it exists. */
export function defaultBackbone(model: string): string | null {
  const path = join(MODELS_DIR, `${model}.json`);
  return existsSync(path) ? path : null;
}

/** Reads the flags (at most one of them); `model` is the --model value (for --weights: may be absent). */
export function weightsChoice(v: WeightFlags, model: ModelName | undefined): WeightsChoice {
  const given = (['pretrained', 'weights', 'no-pretrained'] as const).filter((k) => v[k] !== undefined);
  if (given.length > 1) throw new UsageError(`--${given[0]} and --${given[1]} exclude each other`);
  if (v['no-pretrained']) return { kind: 'random' };
  if (v.weights !== undefined) {
    if (v.weights === '') throw new UsageError('--weights needs a file name');
    const file = loadModelFile(v.weights);
    if (!new Set<string>(MODEL_NAMES).has(file.model))
      throw new UsageError(`--weights ${quote(v.weights)} is for an unknown model ${quote(file.model)}`);
    if (model !== undefined && file.model !== model)
      throw new UsageError(`--weights ${quote(v.weights)} is a ${file.model} model, not ${model}`);
    return { kind: 'trained', path: manifestPath(v.weights), file };
  }
  if (v.pretrained !== undefined) {
    if (v.pretrained === '') throw new UsageError('--pretrained needs a file name');
    const path = manifestPath(v.pretrained);
    checkInputFile(path, 'model file');
    if (!path.endsWith('.zip')) checkInputFile(path.replace(/\.json$/, '.bin'), 'model blob');
    return { kind: 'backbone', path, isDefault: false };
  }
  if (model === undefined) throw new UsageError('--model is required (or --weights FILE)');
  const path = defaultBackbone(model);
  return path ? { kind: 'backbone', path, isDefault: true } : { kind: 'random' };
}

export interface WeightsTarget {
  model: ModelName;
  resolution: number;
  classes: number;
  seed: number;
}

/** The model to compile: the chosen weights at the target's resolution and class count. */
export function modelWithWeights(choice: WeightsChoice, t: WeightsTarget): Model {
  if (choice.kind === 'trained') {
    if (t.classes !== choice.file.classes)
      throw new UsageError(`--weights has ${choice.file.classes} classes, not ${t.classes}`);
    return buildModel({ ...t, pretrained: choice.file });
  }
  if (choice.kind === 'random') return buildModel(t);
  const file = loadModelFile(choice.path);
  if (file.model !== t.model)
    throw new UsageError(`--pretrained ${quote(choice.path)} is a ${file.model} model, not ${t.model}`);
  return transferModel({ ...t, pretrained: file });
}

/** One line saying which weights were used. */
export function describeWeights(choice: WeightsChoice, t: WeightsTarget): string {
  if (choice.kind === 'random') return `seeded random initialization (seed ${t.seed})`;
  if (choice.kind === 'trained')
    return `trained model file ${shownPath(choice.path)} (every layer, ${choice.file.classes} classes)`;
  const where = choice.isDefault ? `public/models/${t.model}.json (default)` : shownPath(choice.path);
  return `pretrained backbone ${where}, fresh classifier for ${t.classes} classes (seed ${t.seed})`;
}
