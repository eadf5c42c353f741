/**
 * The .tflite / .onnx model the user opened on the page (experiment model 'imported'): its description as the
 * importer read it, and the generic Model for the page's class count (the file's classifier when the count
 * matches its outputs, else a fresh one for the page's classes, as the built-ins' transfer does).
 */
import { descriptionToModel } from '../compiler/import/to-model';
import { classifierChoices } from '../compiler/import/to-model';
import type { ModelDescription } from '../compiler/import';
import type { Model } from '../compiler/models/model';
import type { Quantization } from './experiment';

/** The experiment's model value (URL m=imported) naming the opened file. */
export const IMPORTED = 'imported' as const;

export interface ImportedFile {
  description: ModelDescription;
  fileName: string;
  sha256: string;
  /** The importer's summary (describeModelFile lines). */
  lines: string[];
  /** Outputs of the file's classifier (its last fully connected layer). */
  outputs: number;
  /** How the int8 model was made from the file the user opened (a float ONNX quantized on the page), if it was. */
  made?: MadeBy;
}

/** How an imported int8 model was made from the file the user opened: in words for the notice, and for the link. */
export interface MadeBy {
  how: string;
  quantization: Quantization;
}

let current: ImportedFile | null = null;
let cache: { file: ImportedFile; key: string; model: Model } | null = null;

export function importedFile(): ImportedFile | null {
  return current;
}

/** Whether the opened file's own classifier serves `classes` classes (else a fresh one does); null: none open. */
export function importedKeepsClassifier(classes: number): boolean | null {
  return current ? current.outputs === classes : null;
}

export function setImportedFile(f: ImportedFile | null): void {
  current = f;
}

/** Outputs of the classifier of a description (its last fully connected layer); throws ImportError. */
export function classifierOutputs(d: ModelDescription): number {
  const fcs = classifierChoices(d);
  return fcs.length ? fcs[fcs.length - 1].outputs : 0;
}

/** The generic model of the opened file for `classes` classes (cached); throws when none is open. */
export function importedModel(classes: number, seed: number, f: ImportedFile | null = current): Model {
  if (!f) throw new Error('no imported model is open: open its .tflite or .onnx file (Open model file…)');
  const key = `${classes}|${seed}`;
  if (cache?.file !== f || cache.key !== key) {
    const fresh = classes !== f.outputs;
    const model = descriptionToModel(f.description, { name: IMPORTED, classes, freshClassifier: fresh, seed });
    cache = { file: f, key, model };
  }
  return cache.model;
}
