/**
 * The neutral description of an imported model: what a .tflite or .onnx file says, typed, complete and checked,
 * before anything maps it onto the compiler's IR. Both readers produce it; the mapping to the IR consumes it.
 *
 * Conventions:
 * - Tensors are numbered densely in the order the reader met them. Only tensors that carry data between ops
 *   (or are graph inputs/outputs) are listed: operands that are really attributes (a reshape's target shape, a
 *   pad's paddings, a mean's axes, ONNX's scale / zero-point inputs) are folded into the op's typed options or
 *   into the tensors' quantization.
 * - Quantization is real = scale * (q - zeroPoint). `axis` null means per-tensor (one scale, one zero point);
 *   otherwise there is one pair per index of dimension `axis`.
 * - Layout stays the source's: 'NHWC' for TFLite (conv weights [O,H,W,I], depthwise [1,H,W,C*M]), 'NCHW' for
 *   ONNX (conv weights [O,I/group,H,W]). Fully connected weights are always [out, in] (ONNX MatMul / Gemm
 *   weights stored [in, out] are transposed on import, per-channel axis included).
 */

export type ImportDType = 'int8' | 'int32' | 'float32';
export type Activation = 'none' | 'relu' | 'relu6';
export type SourceFormat = 'tflite' | 'onnx';
/** How the arithmetic is expressed: int8 ops (TFLite, ONNX QOperator), float ops between Q/DQ pairs, or none. */
export type QuantStyle = 'int8-ops' | 'qdq' | 'float';

export interface TensorQuant {
  scale: number[];
  zeroPoint: number[];
  axis: number | null;
}

export type TensorData = Int8Array | Int32Array | Float32Array;

export interface TensorDesc {
  id: number;
  name: string;
  shape: number[];
  dtype: ImportDType;
  quant: TensorQuant | null;
  /** Constant contents (weights, biases), row-major in `shape`; null for activations. */
  data: TensorData | null;
}

/** 'same' and 'valid' follow TFLite (and ONNX SAME_UPPER): SAME puts the odd pixel at the bottom/right. */
export type Padding =
  | { kind: 'same' }
  | { kind: 'same-lower' }
  | { kind: 'valid' }
  | { kind: 'explicit'; top: number; left: number; bottom: number; right: number };

interface Window2d {
  stride: [number, number];
  padding: Padding;
}

export interface OpOptionsByKind {
  conv2d: Window2d & { dilation: [number, number]; activation: Activation; group: number };
  depthwiseConv2d: Window2d & { dilation: [number, number]; activation: Activation; depthMultiplier: number };
  fullyConnected: { activation: Activation };
  add: { activation: Activation };
  averagePool2d: Window2d & { filter: [number, number]; activation: Activation };
  maxPool2d: Window2d & { filter: [number, number]; activation: Activation };
  /** Mean over `axes` (TFLite MEAN; ONNX GlobalAveragePool is axes [2,3] with keepDims). */
  mean: { axes: number[]; keepDims: boolean };
  /** Zero padding (in the input's real zero), one [before, after] pair per dimension. */
  pad: { paddings: [number, number][] };
  /** The output tensor's shape is the resolved target; `newShape` is what the file asked for (may hold -1). */
  reshape: { newShape: number[] };
  softmax: { beta: number; axis: number };
  relu: Record<string, never>;
  relu6: Record<string, never>;
  quantize: Record<string, never>;
  dequantize: Record<string, never>;
}

export type OpKind = keyof OpOptionsByKind;

export type OpDesc = {
  [K in OpKind]: {
    kind: K;
    /** The op as the file names it (CONV_2D, QLinearConv, ...). */
    sourceOp: string;
    /** Node name (ONNX) or `#index` (TFLite). */
    name: string;
    /** Tensor ids; a missing optional input (a bias) is null. */
    inputs: (number | null)[];
    outputs: number[];
    options: OpOptionsByKind[K];
  };
}[OpKind];

export interface ModelDescription {
  format: SourceFormat;
  quantStyle: QuantStyle;
  /** True for float models: weights and activations must be quantized (calibrated) before use. */
  needsQuantization: boolean;
  layout: 'NHWC' | 'NCHW';
  tensors: TensorDesc[];
  ops: OpDesc[];
  inputs: number[];
  outputs: number[];
  /** The file declared a variable (unknown) batch size; shapes here use batch 1. */
  dynamicBatch: boolean;
  /** Producer / description string from the file, for display. */
  producer: string;
}

export type ImportErrorKind =
  'not-a-model' | 'truncated' | 'too-large' | 'unsupported-op' | 'unsupported-dtype' | 'dynamic-shape' | 'invalid';

/**
 * The one error the importer throws: `message` is a single line a person can act on. Names come from the file,
 * so control characters (a corrupt name may hold newlines) are blanked and overlong lines are cut.
 */
export class ImportError extends Error {
  constructor(
    readonly kind: ImportErrorKind,
    message: string,
  ) {
    const line = message.replace(/[\u0000-\u001f\u007f]+/g, ' ');
    super(line.length > 800 ? line.slice(0, 797) + '...' : line);
    this.name = 'ImportError';
  }
}

export const MAX_MODEL_BYTES = 50 * 1024 * 1024;

export function checkSize(bytes: Uint8Array, fileName: string): void {
  if (bytes.length > MAX_MODEL_BYTES) {
    const mb = (bytes.length / (1024 * 1024)).toFixed(1);
    throw new ImportError('too-large', `${fileName}: ${mb} MB is over the 50 MB limit for an imported model`);
  }
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
