/**
 * Calibration and quantization of a float32 ONNX model on a data set's images, one code path for `tinytrain
 * quantize` (Node) and the page (its quantize worker): the same model, images, count and input range give the
 * same int8 bytes. onnxruntime-web is passed in (Node: the package's Node build; the page: its wasm-only build,
 * loaded only when a float model is opened); both run the same ort-wasm-simd-threaded.wasm on one thread.
 *
 * 1. Samples: the LAST `count` images of the training split (never its test images), each resized to the
 *    model's input H x W with the training pipeline's exact integer bilinear resize (data.ts) and given as
 *    lo + (hi - lo) * pixel / 255, copied to every channel plane (NCHW).
 * 2. Ranges: the float model, re-written by our ONNX writer with every op output as a graph output, runs on
 *    every sample; each activation's range (graph input and every op output) is the min and max over all.
 * 3. Quantization (src/compiler/import/quantize.ts) and our ONNX writer (QOperator ops) give the int8 bytes.
 */
import type * as Ort from 'onnxruntime-web';
import { writeOnnx } from '../../compiler/export/onnx-writer';
import { importModel } from '../../compiler/import';
import type { ModelDescription } from '../../compiler/import/types';
import { quantizeModel, type Range } from '../../compiler/import/quantize';
import { fetchDataset, resizeBilinearU8, type DatasetSplit } from './data';

/** onnxruntime-web as imported ('onnxruntime-web' in Node, 'onnxruntime-web/wasm' on the page). */
export type OrtModule = typeof Ort;

/** (samples done, samples in all), after every sample. */
export type Progress = (done: number, total: number) => void;

/** Step 2: the range of every activation of float model `d` over `samples`. */
export async function calibrate(
  ort: OrtModule,
  d: ModelDescription,
  samples: Float32Array[],
  progress?: Progress,
): Promise<(id: number) => Range> {
  ort.env.wasm.numThreads = 1;
  const ids = [...d.inputs, ...d.ops.flatMap((o) => o.outputs)];
  const probe = writeOnnx({ ...d, outputs: d.ops.flatMap((o) => o.outputs) });
  const session = await ort.InferenceSession.create(probe, { executionProviders: ['wasm'] });
  const ranges = new Map<number, Range>(ids.map((id) => [id, { min: Infinity, max: -Infinity }]));
  const x = d.tensors[d.inputs[0]];
  try {
    for (const [k, s] of samples.entries()) {
      const out = await session.run({ [x.name]: new ort.Tensor('float32', s, x.shape) });
      for (const id of ids) {
        const values = id === x.id ? s : (out[d.tensors[id].name].data as Float32Array);
        const r = ranges.get(id)!;
        for (const v of values) {
          if (v < r.min) r.min = v;
          if (v > r.max) r.max = v;
        }
      }
      progress?.(k + 1, samples.length);
    }
  } finally {
    await session.release();
  }
  return (id) => {
    const r = ranges.get(id);
    if (!r || !(r.max >= r.min)) throw new Error(`no calibrated range for tensor ${d.tensors[id]?.name ?? id}`);
    return r;
  };
}

/** Runs a model with one float input on float samples (shape: the input's); the first output per sample. */
export async function runFloat(
  ort: OrtModule,
  model: Uint8Array,
  inputs: Float32Array[],
  shape: number[],
): Promise<Float32Array[]> {
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
  try {
    const out: Float32Array[] = [];
    for (const x of inputs) {
      const r = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, shape) });
      out.push(Float32Array.from(r[session.outputNames[0]].data as Float32Array));
    }
    return out;
  } finally {
    await session.release();
  }
}

export { calibrationInput, nchwImageInput, type ImageInput } from './calibration-input';
import { calibrationInput, type ImageInput } from './calibration-input';

/**
 * A gray image (bytes 0..255, already at the model's H x W) as the float NCHW input: pixel p becomes
 * lo + (hi - lo) * p / 255, copied to every channel plane.
 */
export function grayToFloatNchw(gray: Uint8Array, channels: number, range: [lo: number, hi: number]): Float32Array {
  const [lo, hi] = range;
  const x = new Float32Array(gray.length * channels);
  for (let p = 0; p < gray.length; p++) {
    const v = lo + ((hi - lo) * gray[p]) / 255;
    for (let c = 0; c < channels; c++) x[c * gray.length + p] = v;
  }
  return x;
}

/** Step 1: the last `count` training images as float NCHW inputs of `input`. */
export function calibrationSamples(
  train: DatasetSplit,
  input: ImageInput,
  count: number,
  range: [number, number],
): Float32Array[] {
  if (!Number.isInteger(count) || count < 1 || count > train.count)
    throw new RangeError(`calibration on ${count} images: the training split has ${train.count}`);
  const { height, width } = train.manifest.image;
  const first = train.count - count;
  return Array.from({ length: count }, (_, k) => {
    const gray = resizeBilinearU8(train.image(first + k), height, width, input.height, input.width);
    return grayToFloatNchw(gray, input.channels, range);
  });
}

/** Steps 1-3: float model `d` calibrated on the last `count` images of `train`, as int8 ONNX bytes. */
export async function quantizeOnImages(
  ort: OrtModule,
  d: ModelDescription,
  train: DatasetSplit,
  count: number,
  range: [number, number],
  progress?: Progress,
): Promise<Uint8Array> {
  const c = calibrationInput(d);
  if ('problem' in c) throw new Error(c.problem);
  const samples = calibrationSamples(train, c.input, count, range);
  return writeOnnx(quantizeModel(d, await calibrate(ort, d, samples, progress)));
}

/** What the page's quantize step asks for: a float ONNX file, a data set of public/data, N and the input range. */
export interface QuantizeRequest {
  bytes: Uint8Array;
  fileName: string;
  /** Data set name in public/data ('mnist'). */
  data: string;
  count: number;
  range: [number, number];
}

/**
 * The page's quantize step (run by quantize-worker.ts): the file read again, the data set's training split
 * fetched from `dataBase` with `get`, then quantizeOnImages, exactly as `tinytrain quantize` does.
 */
export async function quantizeFile(
  ort: OrtModule,
  req: QuantizeRequest,
  dataBase: string,
  get: (url: string) => Promise<Uint8Array>,
  progress?: Progress,
): Promise<Uint8Array> {
  const d = importModel(req.bytes, req.fileName);
  const { train } = await fetchDataset(dataBase, req.data, ['train'], get);
  return quantizeOnImages(ort, d, train, req.count, req.range, progress);
}
