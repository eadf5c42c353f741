/**
 * Calibration with onnxruntime-web: runs a float model on calibration samples and records the range of every
 * activation (graph input and every op output). The model is re-written by our ONNX writer with all those
 * tensors as graph outputs, so one run yields them all.
 */
import * as ort from 'onnxruntime-web';
import { writeOnnx } from '../../src/compiler/export/onnx-writer';
import type { ModelDescription } from '../../src/compiler/import/types';
import type { Range } from '../../src/compiler/import/quantize';

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
