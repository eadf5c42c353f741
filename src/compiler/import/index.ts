/**
 * Entry points of the importer: `importModel` reads a .tflite or .onnx file into a ModelDescription (or throws
 * an ImportError with a one-line message), `describeModelFile` summarises one for people (page and CLI).
 * The format is told by content (TFLite's "TFL3" identifier), the file name only breaks the tie for errors.
 */
import { isTflite, readTflite } from './tflite';
import { readOnnx } from './onnx';
import { ImportError, checkSize, elementCount, type ModelDescription, type TensorDesc } from './types';

export * from './types';

export function importModel(bytes: Uint8Array, fileName: string): ModelDescription {
  checkSize(bytes, fileName);
  if (bytes.length === 0) throw new ImportError('not-a-model', `${fileName}: the file is empty`);
  if (isTflite(bytes) || /\.tflite$/i.test(fileName)) return readTflite(bytes, fileName);
  try {
    return readOnnx(bytes, fileName);
  } catch (e) {
    if (e instanceof ImportError && e.kind === 'not-a-model' && !/\.onnx$/i.test(fileName))
      throw new ImportError('not-a-model', `${fileName}: not a TFLite or ONNX model`);
    throw e;
  }
}

export interface TensorSummary {
  name: string;
  shape: number[];
  dtype: string;
  quant: string;
}

export interface ModelSummary {
  format: ModelDescription['format'];
  quantStyle: ModelDescription['quantStyle'];
  needsQuantization: boolean;
  /** Source op name -> count, in order of first appearance. */
  ops: Record<string, number>;
  /** Elements of all constant tensors (weights and biases) and their bytes as stored. */
  params: number;
  paramBytes: number;
  inputs: TensorSummary[];
  outputs: TensorSummary[];
  /** Weight tensors quantized per channel / in total. */
  perChannelWeights: number;
  weightTensors: number;
  /** A few lines for people. */
  lines: string[];
}

function quantText(t: TensorDesc): string {
  if (!t.quant) return t.dtype === 'float32' ? 'float' : 'none';
  if (t.quant.axis !== null) return `per-channel (${t.quant.scale.length} scales, axis ${t.quant.axis})`;
  return `scale ${t.quant.scale[0].toPrecision(6)}, zero point ${t.quant.zeroPoint[0]}`;
}

const tensorSummary = (t: TensorDesc): TensorSummary => ({
  name: t.name,
  shape: t.shape,
  dtype: t.dtype,
  quant: quantText(t),
});

export function summarize(d: ModelDescription): Omit<ModelSummary, 'lines'> {
  const ops: Record<string, number> = {};
  for (const o of d.ops) ops[o.sourceOp] = (ops[o.sourceOp] ?? 0) + 1;
  const constants = d.tensors.filter((t) => t.data !== null);
  const weights = new Set(
    d.ops
      .filter((o) => o.kind === 'conv2d' || o.kind === 'depthwiseConv2d' || o.kind === 'fullyConnected')
      .map((o) => o.inputs[1]),
  );
  const weightTensors = d.tensors.filter((t) => weights.has(t.id));
  return {
    format: d.format,
    quantStyle: d.quantStyle,
    needsQuantization: d.needsQuantization,
    ops,
    params: constants.reduce((n, t) => n + elementCount(t.shape), 0),
    paramBytes: constants.reduce((n, t) => n + (t.data?.byteLength ?? 0), 0),
    inputs: d.inputs.map((i) => tensorSummary(d.tensors[i])),
    outputs: d.outputs.map((i) => tensorSummary(d.tensors[i])),
    perChannelWeights: weightTensors.filter((t) => t.quant?.axis !== null && t.quant !== null).length,
    weightTensors: weightTensors.length,
  };
}

const STYLE_TEXT = {
  'int8-ops': 'int8 model',
  qdq: 'int8 model (QDQ: float ops between quantize / dequantize)',
  float: 'float32 model: weights and activations will be quantized (calibrated on your images)',
};

/** Reads a model file and returns its summary; throws ImportError (one line) on anything it cannot import. */
export function describeModelFile(bytes: Uint8Array, fileName: string): ModelSummary {
  const s = summarize(importModel(bytes, fileName));
  const io = (ts: TensorSummary[]) => ts.map((t) => `${t.name} [${t.shape.join(', ')}] ${t.dtype}`).join('; ');
  const histogram = Object.entries(s.ops)
    .map(([k, n]) => `${k} x${n}`)
    .join(', ');
  const lines = [
    `${fileName}: ${s.format === 'tflite' ? 'TFLite' : 'ONNX'} ${STYLE_TEXT[s.quantStyle]}`,
    `ops: ${histogram}`,
    `params: ${s.params.toLocaleString('en-US')} (${s.paramBytes.toLocaleString('en-US')} bytes)`,
    `input: ${io(s.inputs)}`,
    `output: ${io(s.outputs)}`,
  ];
  if (s.weightTensors > 0 && !s.needsQuantization)
    lines.push(`weights: ${s.perChannelWeights} of ${s.weightTensors} tensors quantized per channel`);
  return { ...s, lines };
}
