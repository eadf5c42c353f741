/**
 * Opening a .tflite / .onnx on the page: bytes -> importModel -> the generic Model for the page's classes -> a
 * compile with the smallest scheme (classifier only) to check it fits some board. Any failure is one error
 * notice and the page keeps its model; success makes it the page's model (experiment model 'imported').
 */
import { BOARDS } from '../compiler/boards';
import { MAX_MODEL_BYTES } from '../compiler/import/types';
import { sha256Hex } from '../compiler/model-pack';
import { compileExperiment, describeModel, emptyUpdates } from './compile';
import type { Experiment } from './experiment';
import { IMPORTED, classifierOutputs, importedFile, importedModel, setImportedFile } from './imported';
import type { ImportedFile } from './imported';
import { normalize, usePlayground } from './playground';

/** A .tflite or .onnx file (by name or by TFLite's identifier at bytes 4..7). */
export function isForeignModel(fileName: string, head?: Uint8Array): boolean {
  if (/\.(tflite|onnx)$/i.test(fileName)) return true;
  return !!head && head.length >= 8 && String.fromCharCode(...head.subarray(4, 8)) === 'TFL3';
}

/** Why a file is too large to read (checked on File.size before reading it), or null. */
export function sizeProblem(fileName: string, size: number): string | null {
  if (size <= MAX_MODEL_BYTES) return null;
  return `${fileName}: ${(size / 2 ** 20).toFixed(1)} MB is over the 50 MB limit for a model file`;
}

/** The TFLite / ONNX readers (flatbuffers, protobufjs and the ONNX schema): loaded when a file is opened, so the
 * page's first load does not carry them. */
export const loadImporter = () => import('../compiler/import');

const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;

/** Checks the imported model compiles and fits some board with the smallest scheme; returns why not, or null. */
function fitProblem(e: Experiment): string | null {
  const view = compileExperiment({ ...e, scheme: emptyUpdates(IMPORTED), preset: 'classifier' });
  if (!view.plan) return `the model does not compile: ${view.error}`;
  const peak = view.plan.metrics.peakSramBytes;
  const biggest = BOARDS.reduce((a, b) => (b.sramKb > a.sramKb ? b : a));
  if (peak > biggest.sramKb * 1024)
    return `it fits no board: even updating only the classifier needs ${kb(peak)} of SRAM, more than the largest board's (${biggest.name}, ${biggest.sramKb} KB)`;
  return null;
}

/**
 * Opens an imported model; throws (one line) when it cannot be the page's model, leaving the page as it was.
 * `how`: what was done to the file first, for the notice ('quantized to int8 on ...').
 */
export async function openImportedBytes(bytes: Uint8Array, fileName: string, how?: string): Promise<void> {
  const { importModel, describeModelFile } = await loadImporter();
  const description = importModel(bytes, fileName);
  const lines = describeModelFile(bytes, fileName).lines;
  const f: ImportedFile = { description, fileName, sha256: await sha256Hex(bytes), lines, outputs: 0 };
  f.outputs = classifierOutputs(description);
  const cur = usePlayground.getState().experiment;
  const before = importedFile();
  let normalized: ReturnType<typeof normalize>;
  setImportedFile(f);
  try {
    importedModel(cur.classes, cur.seed, f); // throws ImportError on what the generic model cannot express
    const preset = describeModel(IMPORTED).defaultPreset;
    const next: Experiment = { ...cur, model: IMPORTED, modelFile: f.sha256.slice(0, 16), preset, scheme: [] };
    const why = fitProblem(next);
    if (why) throw new Error(why);
    normalized = normalize(next);
  } catch (err) {
    setImportedFile(before);
    throw err;
  }
  const { experiment, notices } = normalized;
  const kept = f.outputs === cur.classes ? 'its classifier is kept' : `a fresh classifier for ${cur.classes} classes`;
  usePlayground
    .getState()
    .openImported(f, experiment, [
      { level: 'info', text: `Opened ${fileName} (${how ? `${how}; ` : ''}${kept}). ${lines.join(' · ')}` },
      ...notices,
    ]);
}
