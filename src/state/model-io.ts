/**
 * Keeping what was trained: the page's model as one file (.tinytrain.zip, model-pack.ts), with the worker's
 * trained tensors when there are any, and opening such a file again (the page then compiles that model, its
 * classifier kept). A float32 ONNX model opens the quantize step (quantize-page.ts) instead. Every failure
 * becomes a notice; the page keeps its model.
 */
import { applyTrainable, weightsChecksum } from '../compiler/models/trained';
import { buildModel, modelToFile } from '../compiler/models/model';
import { MODEL_NAMES } from '../compiler/models/arch';
import type { ModelFile } from '../compiler/model-file';
import { MODEL_PACK_SUFFIX, packModelFile, sha256Hex, unpackModelFile } from '../compiler/model-pack';
import { modelToDescription } from '../compiler/import/from-model';
import type { Model } from '../compiler/models/model';
import type { TrainingPlan } from '../compiler/plan';
import { isForeignModel, loadImporter, openImportedBytes, sizeProblem } from './import-page';
import { closeQuantization, offerQuantization } from './quantize-page';
import { usePlayground } from './playground';
import { useTraining } from './training';

/** The current model as a file: trained on this page when the worker holds a trained run of this plan. */
export async function saveModelFile(): Promise<{ fileName: string; bytes: Uint8Array; step: number }> {
  const { experiment: e } = usePlayground.getState();
  const { plan, weights, out, step } = await trainedModel();
  const meta = {
    savedBy: 'TinyTrain Playground',
    from: weights.fileName,
    fromSha256: weights.sha256 ?? null,
    trainedSteps: step,
    scheme: plan.scheme,
    settings: { lr: e.lr, rounding: e.rounding, qas: e.qas, seed: e.seed },
    checksum: weightsChecksum(out),
  };
  const bytes = packModelFile(modelToFile(out, meta));
  const fileName = `${e.model}-${e.resolution}-${e.classes}c${step ? `-step${step}` : ''}${MODEL_PACK_SUFFIX}`;
  return { fileName, bytes, step };
}

/** The page's model with the weights trained on it (applyTrainable on the worker's snapshot) when there are any. */
async function trainedModel() {
  const { plan, model, weights } = usePlayground.getState().compiled;
  if (!plan || !model || weights?.status !== 'ready') throw new Error('no model with real weights to save yet');
  const training = useTraining.getState();
  const snap = training.loadedPlan === plan ? await training.snapshot() : null;
  const step = snap?.step ?? 0;
  const out: Model = snap && step > 0 ? applyTrainable(model, plan, snap.trainable) : model;
  return { plan: plan as TrainingPlan, weights, out, step };
}

/** The .tflite / .onnx writers: loaded on the first export, so the page's first load does not carry them. */
const loadWriters = () => import('../compiler/export');

/** The page's model, as trained on it, as a .tflite or .onnx file (modelToDescription, then the writer). */
export async function exportModelFile(
  format: 'tflite' | 'onnx',
): Promise<{ fileName: string; bytes: Uint8Array; step: number }> {
  const { experiment: e } = usePlayground.getState();
  const { out, step } = await trainedModel();
  const d = modelToDescription(out, format);
  const { writeOnnx, writeTflite } = await loadWriters();
  const bytes = format === 'tflite' ? writeTflite(d) : writeOnnx(d);
  const base = e.model === 'imported' ? 'imported' : `${e.model}-${e.resolution}`;
  return { fileName: `${base}-${e.classes}c${step ? `-step${step}` : ''}.${format}`, bytes, step };
}

function openError(fileName: string, err: unknown): false {
  const text = `Could not open ${fileName.slice(0, 80)}: ${err instanceof Error ? err.message : String(err)}. The page keeps its model.`;
  usePlayground.setState({ editNotices: [{ level: 'error', text }] });
  return false;
}

/** Opens a File the user picked or dropped: a too-large one is refused before it is read. */
export async function openModelPick(f: File): Promise<boolean> {
  const big = sizeProblem(f.name, f.size);
  if (big) return openError(f.name, new Error(big));
  return openModelBytes(new Uint8Array(await f.arrayBuffer()), f.name);
}

/** A saved imported model (a node-list model file) as the .tflite the page's import opens; its arithmetic (the
 * requantization mode) travels in the file's description. */
async function importedAsTflite(file: ModelFile): Promise<Uint8Array> {
  const model = buildModel({ model: file.model, classes: file.classes, pretrained: file });
  const { writeTflite } = await loadWriters();
  return writeTflite(modelToDescription(model, 'tflite'));
}

/** Opens a model file the user picked or dropped; a bad file becomes an error notice. */
export async function openModelBytes(bytes: Uint8Array, fileName: string): Promise<boolean> {
  try {
    if (isForeignModel(fileName, bytes)) {
      const { importModel } = await loadImporter();
      const d = importModel(bytes, fileName);
      if (d.needsQuantization) {
        await offerQuantization(bytes, fileName, d); // the page keeps its model until the int8 one opens
        return true;
      }
      closeQuantization();
      await openImportedBytes(bytes, fileName);
      return true;
    }
    const file = unpackModelFile(bytes, fileName);
    if (!(MODEL_NAMES as readonly string[]).includes(file.model)) {
      // an imported model saved here: reopen it as imported (our own .tflite of it: deterministic, so the share
      // link's hash names the same model every time this file is opened)
      await openImportedBytes(await importedAsTflite(file), fileName);
      return true;
    }
    usePlayground.getState().openModelFile(file, fileName, await sha256Hex(bytes));
    return true;
  } catch (err) {
    return openError(fileName, err);
  }
}
