/**
 * Calibration with onnxruntime-web (run by tinytrain quantize in Node; the same package runs on the page): runs
 * a float model on calibration samples and records the range of every activation (graph input and every op
 * output). The model is re-written by our ONNX writer with all those tensors as graph outputs, so one run yields
 * them all. Also: the float input of an image for an ONNX (NCHW) float model, and a plain float run of a model
 * (the quantized one takes float input too).
 */
import * as ort from 'onnxruntime-web';
import { writeOnnx } from '../compiler/export/onnx-writer';
import type { ModelDescription } from '../compiler/import/types';
import type { Range } from '../compiler/import/quantize';

ort.env.wasm.numThreads = 1;

export async function calibrate(d: ModelDescription, samples: Float32Array[]): Promise<(id: number) => Range> {
  const ids = [...d.inputs, ...d.ops.flatMap((o) => o.outputs)];
  const probe = writeOnnx({ ...d, outputs: d.ops.flatMap((o) => o.outputs) });
  const session = await ort.InferenceSession.create(probe, { executionProviders: ['wasm'] });
  const ranges = new Map<number, Range>(ids.map((id) => [id, { min: Infinity, max: -Infinity }]));
  const x = d.tensors[d.inputs[0]];
  try {
    for (const s of samples) {
      const out = await session.run({ [x.name]: new ort.Tensor('float32', s, x.shape) });
      for (const id of ids) {
        const values = id === x.id ? s : (out[d.tensors[id].name].data as Float32Array);
        const r = ranges.get(id)!;
        for (const v of values) {
          if (v < r.min) r.min = v;
          if (v > r.max) r.max = v;
        }
      }
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
export async function runFloat(model: Uint8Array, inputs: Float32Array[], shape: number[]): Promise<Float32Array[]> {
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

/** An image input of an NCHW float model: [1, C, H, W] with C = 1 or 3; null when the input is not one. */
export function nchwImageInput(shape: readonly number[]): { channels: number; height: number; width: number } | null {
  if (shape.length !== 4 || shape[0] !== 1) return null;
  const [, channels, height, width] = shape;
  if (channels !== 1 && channels !== 3) return null;
  if (!(height >= 1 && height <= 1024 && width >= 1 && width <= 1024)) return null;
  return { channels, height, width };
}

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
