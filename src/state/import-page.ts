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
import type { ImportedFile, MadeBy } from './imported';
import { matchAwaited } from './link-model';
import { normalize } from './normalize';
import { usePlayground } from './playground';

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

export type { MadeBy } from './imported';

/**
 * Opens an imported model; throws (one line) when it cannot be the page's model, leaving the page as it was.
 * `made`: what was done to the file first ('quantized to int8 on ...'). When a link waits for this very model
 * (awaitedLink, by SHA-256 prefix) the link's experiment opens; otherwise the current one with the model's
 * default preset, as always.
 */
export async function openImportedBytes(bytes: Uint8Array, fileName: string, made?: MadeBy): Promise<void> {
  const { importModel, describeModelFile } = await loadImporter();
  const description = importModel(bytes, fileName);
  const lines = describeModelFile(bytes, fileName).lines;
  const f: ImportedFile = { description, fileName, sha256: await sha256Hex(bytes), lines, outputs: 0, made };
  f.outputs = classifierOutputs(description);
  openImportedFile(f, false);
}

/**
 * Makes the imported model that was open before the user picked a built-in backbone the page's model again (the
 * backbone picker's 'imported' button), as when its file was opened: its default preset, the current classes,
 * board and budget; it asks first when a trained run would be discarded. Throws when none was opened or it no longer
 * fits (the page then keeps its model).
 */
export function reopenImported(): void {
  const f = importedFile();
  if (!f)
    throw new Error('no imported model was opened on this page: open its .tflite or .onnx file (Open model file…)');
  openImportedFile(f, true);
}

/** `ask`: wait for the user's word when it would discard a trained run (a click in the picker, not a file opened). */
function openImportedFile(f: ImportedFile, ask: boolean): void {
  const { made, fileName, lines } = f;
  const { experiment: cur, awaitedLink } = usePlayground.getState();
  const { link, line } = matchAwaited(awaitedLink, f.sha256);
  const modelFile = f.sha256.slice(0, 16);
  const before = importedFile();
  let normalized: ReturnType<typeof normalize>;
  setImportedFile(f);
  try {
    const base = link ?? cur;
    importedModel(base.classes, base.seed, f); // throws ImportError on what the generic model cannot express
    const preset = describeModel(IMPORTED).defaultPreset;
    // the same bytes as the link's model: how the link says it was made holds for them too
    const next: Experiment = link
      ? { ...link, modelFile, quantization: made?.quantization ?? link.quantization }
      : { ...cur, model: IMPORTED, modelFile, preset, scheme: [], quantization: made?.quantization ?? null };
    const why = fitProblem(next);
    if (why) throw new Error(why);
    normalized = normalize(next);
  } catch (err) {
    setImportedFile(before);
    throw err;
  }
  const { experiment, notices } = normalized;
  const classes = experiment.classes;
  const kept = f.outputs === classes ? 'its classifier is kept' : `a fresh classifier for ${classes} classes`;
  const how = made ? `${made.how}; ` : '';
  usePlayground
    .getState()
    .openImported(
      f,
      experiment,
      [
        { level: 'info', text: `Opened ${fileName} (${how}${kept}). ${lines.join(' · ')}` },
        ...(line ? [{ level: 'info' as const, text: line }] : []),
        ...notices,
      ],
      link !== null,
      ask,
    );
}
