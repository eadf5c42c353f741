/**
 * Our kernels against the reference runtimes, input for input. A model runs here on the WebAssembly executor
 * (bit-identical with the reference interpreter, tests prove it) in the requantization mode the runtime's
 * arithmetic is: 'tflite-fixed' against the TFLite web runtime, 'float-half-even' against onnxruntime-web.
 *
 * - a built-in backbone is exported (.tflite / .onnx), the file is imported again with the mode asked for, and
 *   our int8 logits are compared with the runtime's int8 output on the same file;
 * - a third-party file (TFLite Micro's) is imported with its own mode and compared on the original bytes.
 * Samples are seeded int8 inputs in our HWC layout; the runtime gets them in its layout (NCHW floats s * (q - zp)
 * for an ONNX QuantizeLinear input).
 */
import { compile } from '../../src/compiler/compile';
import { importModel } from '../../src/compiler/import';
import { modelToDescription } from '../../src/compiler/import/from-model';
import { descriptionToModel } from '../../src/compiler/import/to-model';
import type { ModelDescription } from '../../src/compiler/import/types';
import { writeOnnx, writeTflite } from '../../src/compiler/export';
import type { Model, RequantMode } from '../../src/compiler/models/model';
import { PlanExecutor } from '../../src/runtime/kernels/executor';
import type { KernelModule } from '../../src/runtime/kernels/wasm';
import { seededInt8Inputs } from './compare';

/** Our int8 logits on each sample (inference on the executor). */
export function ourLogits(mod: KernelModule, m: Model, inputs: Int8Array[]): Int8Array[] {
  const plan = compile(m, 'classifier');
  const ex = PlanExecutor.load(mod, plan, { lr: 0, rounding: 'nearest', qas: false, seed: 1 });
  try {
    return inputs.map((x) => {
      ex.evaluate(x, 0);
      return Int8Array.from(ex.logits(true));
    });
  } finally {
    ex.dispose();
  }
}

/** HWC samples -> the file's layout (NCHW for ONNX). */
export function toFileLayout(d: ModelDescription, m: Model, xs: Int8Array[]): Int8Array[] {
  if (d.layout === 'NHWC') return xs;
  const [h, w, c] = m.inputShape;
  return xs.map((x) => {
    const out = new Int8Array(x.length);
    for (let y = 0; y < h; y++)
      for (let i = 0; i < w; i++) for (let ch = 0; ch < c; ch++) out[(ch * h + y) * w + i] = x[(y * w + i) * c + ch];
    return out;
  });
}

export interface Prepared {
  /** The file the runtime runs. */
  bytes: Uint8Array;
  description: ModelDescription;
  /** The model we run, imported from `bytes`. */
  model: Model;
  inputs: Int8Array[];
}

/** A model exported in a format and imported back in the given mode, with seeded inputs. */
export function exported(m: Model, format: 'tflite' | 'onnx', requant: RequantMode, n: number, seed: number): Prepared {
  const d0 = modelToDescription(m, format);
  const bytes = format === 'tflite' ? writeTflite(d0) : writeOnnx(d0);
  return fromFile(bytes, `${m.name}.${format}`, n, seed, requant, m.name);
}

/** A file as it is, imported in its own mode (or the one given). */
export function fromFile(
  bytes: Uint8Array,
  file: string,
  n: number,
  seed: number,
  requant?: RequantMode,
  name?: string,
) {
  const description = importModel(bytes, file);
  const model = descriptionToModel(description, { name: name ?? file, requant });
  const inputs = seededInt8Inputs(
    seed,
    n,
    model.inputShape.reduce((a, b) => a * b, 1),
  );
  return { bytes, description, model, inputs } satisfies Prepared;
}
