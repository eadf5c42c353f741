/**
 * ONNX oracle: onnxruntime-web (wasm backend, one thread) in Node. `runOnnx` takes samples in our int8 input
 * convention (the int8 values the model's first QuantizeLinear would produce, in the input's NCHW layout) and
 * returns, per sample, the graph output as floats and as int8 (read back through the output's
 * DequantizeLinear parameters, or the int8 tensor itself). A float model input gets s * (q - zp), which its
 * QuantizeLinear maps back to q exactly (the quotient is within an ulp of an integer).
 */
import * as ort from 'onnxruntime-web';
import { readOnnx } from '../../src/compiler/import/onnx';
import type { ModelDescription, TensorQuant } from '../../src/compiler/import/types';

ort.env.wasm.numThreads = 1;

export interface OnnxSampleOutput {
  float: number[];
  int8: number[] | null;
}
export interface OnnxRun {
  inputName: string;
  outputName: string;
  inputQuant: TensorQuant | null;
  outputQuant: TensorQuant | null;
  results: OnnxSampleOutput[];
}

/** The quantization the model's input is read in: the input itself (int8) or its first QuantizeLinear. */
function inputQuant(d: ModelDescription): TensorQuant | null {
  const x = d.tensors[d.inputs[0]];
  if (x.dtype === 'int8') return x.quant;
  const q = d.ops.find((o) => o.kind === 'quantize' && o.inputs[0] === x.id);
  return q ? d.tensors[q.outputs[0]].quant : null;
}

/** The quantization of the model's output: the output itself (int8) or the input of its DequantizeLinear. */
function outputQuant(d: ModelDescription): TensorQuant | null {
  const y = d.tensors[d.outputs[0]];
  if (y.dtype === 'int8') return y.quant;
  const dq = d.ops.find((o) => o.kind === 'dequantize' && o.outputs[0] === y.id);
  return dq ? d.tensors[dq.inputs[0]!].quant : null;
}

const clampInt8 = (v: number) => Math.max(-128, Math.min(127, v));

export async function runOnnx(
  model: Uint8Array,
  inputs: ArrayLike<number>[],
  fileName = 'model.onnx',
): Promise<OnnxRun> {
  const d = readOnnx(model, fileName);
  const x = d.tensors[d.inputs[0]];
  const y = d.tensors[d.outputs[0]];
  const inQ = inputQuant(d);
  const outQ = outputQuant(d);
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
  const results: OnnxSampleOutput[] = [];
  try {
    for (const sample of inputs) {
      if (sample.length !== x.shape.reduce((a, b) => a * b, 1))
        throw new Error(`${fileName}: a sample has ${sample.length} values; input ${x.name} is [${x.shape}]`);
      const feed =
        x.dtype === 'int8'
          ? new ort.Tensor('int8', Int8Array.from(sample), x.shape)
          : new ort.Tensor(
              'float32',
              inQ ? Float32Array.from(sample, (q) => inQ.scale[0] * (q - inQ.zeroPoint[0])) : Float32Array.from(sample),
              x.shape,
            );
      const out = await session.run({ [x.name]: feed });
      const t = out[session.outputNames[0]];
      const float = Array.from(t.data as Float32Array | Int8Array, Number);
      const int8 =
        t.type === 'int8'
          ? float
          : outQ
            ? float.map((v) => clampInt8(Math.round(v / outQ.scale[0]) + outQ.zeroPoint[0]))
            : null;
      results.push({ float, int8 });
    }
  } finally {
    await session.release();
  }
  return { inputName: x.name, outputName: y.name, inputQuant: inQ, outputQuant: outQ, results };
}

/** Runs a float model (no quantization at the input) on float samples; returns the first output per sample. */
export async function runOnnxFloat(
  model: Uint8Array,
  inputs: Float32Array[],
  shape: number[],
): Promise<Float32Array[]> {
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
