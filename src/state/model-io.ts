/**
 * Keeping what was trained: the page's model as one file (.tinytrain.zip, model-pack.ts), with the worker's
 * trained tensors when there are any, and opening such a file again (the page then compiles that model, its
 * classifier kept). Every failure becomes a notice; the page keeps its model.
 */
import { applyTrainable, weightsChecksum } from '../compiler/models/trained';
import { modelToFile } from '../compiler/models/model';
import { MODEL_PACK_SUFFIX, packModelFile, sha256Hex, unpackModelFile } from '../compiler/model-pack';
import { usePlayground } from './playground';
import { useTraining } from './training';

/** The current model as a file: trained on this page when the worker holds a trained run of this plan. */
export async function saveModelFile(): Promise<{ fileName: string; bytes: Uint8Array; step: number }> {
  const { compiled, experiment: e } = usePlayground.getState();
  const { plan, model, weights } = compiled;
  if (!plan || !model || weights?.status !== 'ready') throw new Error('no model with real weights to save yet');
  const training = useTraining.getState();
  const snap = training.loadedPlan === plan ? await training.snapshot() : null;
  const step = snap?.step ?? 0;
  const out = snap && step > 0 ? applyTrainable(model, plan, snap.trainable) : model;
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

/** Opens a model file the user picked or dropped; a bad file becomes an error notice. */
export async function openModelBytes(bytes: Uint8Array, fileName: string): Promise<boolean> {
  try {
    const file = unpackModelFile(bytes, fileName);
    usePlayground.getState().openModelFile(file, fileName, await sha256Hex(bytes));
    return true;
  } catch (err) {
    const text = `Could not open ${fileName.slice(0, 80)}: ${err instanceof Error ? err.message : String(err)}. The page keeps its model.`;
    usePlayground.setState({ editNotices: [{ level: 'error', text }] });
    return false;
  }
}
