/**
 * The page's quantize step (issue #10): a float32 ONNX model opened on the page is not refused but offered for
 * quantization on N training images of the data set the page trains on (MNIST), with the input range, as
 * `tinytrain quantize` does it (runtime/training/calibrate.ts, run in a worker). Until the int8 model opens
 * (openImportedBytes: it must compile and fit a board) the page keeps its model; any failure or a cancel says
 * so in one line.
 *
 * 1. offerQuantization: the file is checked before anything runs (float ONNX, one [1, C, H, W] image input,
 *    every op with an int8 form: a dry quantization with placeholder ranges), then the step is shown.
 * 2. startQuantization: the worker calibrates on the last N training images and writes the int8 ONNX bytes.
 * 3. Those bytes open like an imported int8 model; the share link names them by their hash and says how they
 *    were made (qz: N and the range), and the step opens set that way while such a link waits for its model.
 */
import { create } from 'zustand';
import type { ModelDescription } from '../compiler/import';
import { quantizeModel } from '../compiler/import/quantize';
import type { Progress, QuantizeRequest } from '../runtime/training/calibrate';
import { calibrationInput } from '../runtime/training/calibration-input';
import { parseDatasetManifest } from '../runtime/training/dataset-format';
import { BUILTIN_IMAGES } from '../runtime/training/input-fit';
import { CANCELLED, quantizeInWorker, type QuantizeJob } from '../runtime/training/quantize-client';
import { openImportedBytes } from './import-page';
import { quantizationWords } from './link-model';
import { usePlayground } from './playground';

/** The data set the page trains on (the training worker's BUILTIN_DATASET), by file name and as shown. */
export const CALIBRATION_DATA = { file: 'mnist', name: BUILTIN_IMAGES.name } as const;
export const DEFAULT_CALIBRATION = 500;

export interface QuantizeStep {
  fileName: string;
  bytes: Uint8Array;
  /** The model's input as the step shows it ('1×1×28×28'). */
  input: string;
  /** Images in the data set's training split: the bound of `count`. */
  trainCount: number;
  count: number;
  range: [number, number];
  /** Samples calibrated so far while running, else null. */
  done: number | null;
  /** Which file opening this step is (1, 2, ...): a file opened while a step shows gets a new step, whose
   * fields start from its own values, not from what was typed into the last one. */
  opened: number;
}

/** How the step runs a job and learns the split's size (the browser's worker and fetch; tests give Node's). */
export interface QuantizeRunner {
  trainCount(data: string): Promise<number>;
  start(req: QuantizeRequest, progress: Progress): QuantizeJob;
}

const browserRunner: QuantizeRunner = {
  async trainCount(data) {
    const res = await fetch(new URL(`data/${data}.json`, document.baseURI));
    if (!res.ok) throw new Error(`the ${data} data set is missing (HTTP ${res.status})`);
    const count = parseDatasetManifest(await res.text()).splits.train?.count;
    if (!count) throw new Error(`the ${data} data set has no training split`);
    return count;
  },
  start: quantizeInWorker,
};

let runner: QuantizeRunner = browserRunner;
let opened = 0;
let job: QuantizeJob | null = null;

export function setQuantizeRunner(r: QuantizeRunner | null): void {
  runner = r ?? browserRunner;
}

export const useQuantize = create<{ step: QuantizeStep | null }>(() => ({ step: null }));

const say = (level: 'info' | 'error', text: string) => usePlayground.setState({ editNotices: [{ level, text }] });

/** Step 1: why float model `d` cannot be quantized here (one line), or null. */
export function quantizeProblem(d: ModelDescription): string | null {
  if (d.format !== 'onnx')
    return `a float32 ${d.format} model cannot be quantized here; open a float32 ONNX model or an int8 model`;
  const input = calibrationInput(d);
  if ('problem' in input) return input.problem;
  try {
    quantizeModel(d, () => ({ min: 0, max: 1 }));
  } catch (e) {
    return (e as Error).message;
  }
  return null;
}

/**
 * Step 1: shows the quantize step for float model `d` (throws, one line, when it cannot be quantized). While a
 * link waits for a model quantized on the page, the step is set as the link says, so Quantize makes that model.
 */
export async function offerQuantization(bytes: Uint8Array, fileName: string, d: ModelDescription): Promise<void> {
  const why = quantizeProblem(d);
  if (why) throw new Error(why);
  const trainCount = await runner.trainCount(CALIBRATION_DATA.file);
  closeQuantization();
  const input = d.tensors[d.inputs[0]].shape.join('×');
  const linked = usePlayground.getState().awaitedLink?.experiment.quantization ?? null;
  const count = Math.min(linked?.count ?? DEFAULT_CALIBRATION, trainCount);
  const range: [number, number] = linked ? [...linked.range] : [0, 1];
  useQuantize.setState({ step: { fileName, bytes, input, trainCount, count, range, done: null, opened: ++opened } });
  const more =
    linked && linked.count > trainCount
      ? ` The training split has only ${trainCount} images, so this cannot make the link's model.`
      : '';
  const text = linked && `The quantize step is set as the link's model was made: ${quantizationWords(linked)}.${more}`;
  usePlayground.setState({ editNotices: text ? [{ level: 'info', text }] : [] });
}

export function setQuantizeOptions(patch: Partial<Pick<QuantizeStep, 'count' | 'range'>>): void {
  const step = useQuantize.getState().step;
  if (step && step.done === null) useQuantize.setState({ step: { ...step, ...patch } });
}

/** Steps 2-3: quantizes the offered model and opens the int8 model; resolves when done, failed or cancelled. */
export async function startQuantization(): Promise<void> {
  const step = useQuantize.getState().step;
  if (!step || step.done !== null) return;
  const { fileName, bytes, count, range } = step;
  const [lo, hi] = range;
  if (!(lo < hi)) return say('error', `The input range must have LO < HI, got ${lo}..${hi}.`);
  useQuantize.setState({ step: { ...step, done: 0 } });
  const progress: Progress = (done) => {
    const s = useQuantize.getState().step;
    if (s && s.done !== null) useQuantize.setState({ step: { ...s, done } });
  };
  const mine = runner.start({ bytes, fileName, data: CALIBRATION_DATA.file, count, range }, progress);
  job = mine;
  try {
    const int8 = await mine.result;
    if (useQuantize.getState().step?.bytes !== bytes) return; // closed meanwhile: another file is opening
    const quantization = { count, range: [lo, hi] as [number, number] };
    await openImportedBytes(int8, fileName, {
      how: `quantized to int8 on ${quantizationWords(quantization)}`,
      quantization,
    });
    useQuantize.setState({ step: null });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (useQuantize.getState().step?.bytes !== bytes) return; // another file's step replaced this one
    if (message === CANCELLED) {
      const s = useQuantize.getState().step;
      if (s) useQuantize.setState({ step: { ...s, done: null } });
      return say('info', `Quantization of ${fileName} cancelled. The page keeps its model.`);
    }
    useQuantize.setState({ step: null });
    say('error', `Could not quantize ${fileName.slice(0, 80)}: ${message}. The page keeps its model.`);
  } finally {
    if (job === mine) job = null;
  }
}

/** Cancel: a running job stops (the step stays, to run again); otherwise the step closes. */
export function cancelQuantization(): void {
  if (job) return job.cancel();
  const step = useQuantize.getState().step;
  useQuantize.setState({ step: null });
  if (step) say('info', `${step.fileName} was not quantized. The page keeps its model.`);
}

/** Closes the step without a word, stopping its job (another model file is being opened). */
export function closeQuantization(): void {
  useQuantize.setState({ step: null }); // first: the stopped job sees its step gone and says nothing
  job?.cancel();
}
