/**
 * TFLite writer: a ModelDescription in TFLite flavour (NHWC, int8 ops) -> a .tflite FlatBuffer (schema v3)
 * that the TFLite web runtime loads and our reader reads back to the same description.
 *
 * Steps: 1. refuse what TFLite cannot say (NCHW layout, padding neither SAME nor VALID on a pool); 2. file
 * tensor i is description tensor i (so read(write(d)) keeps the ids), then the attribute operands the reader
 * folds (reshape shape, pad paddings, mean axes) as int32 constants after them; 3. a convolution whose explicit
 * padding is neither SAME nor VALID gets a PAD op in front (in the input's zero point) and VALID padding;
 * 4. operator codes carry both the int8 deprecated_builtin_code and the int32 builtin_code, with the op version
 * the int8 kernels need; 5. buffers: 0 is the empty sentinel, constant data is 16-byte aligned.
 */
import { Builder } from 'flatbuffers';
import { ExportError } from './export-error';
import { resolvePadding } from '../import/check';
import { SUPPORTED_BUILTINS, TENSOR_TYPE, type SupportedBuiltin } from '../import/tflite-schema';
import { TFLITE_IDENTIFIER } from '../import/tflite';
import type { Activation, ModelDescription, OpDesc, Padding, TensorDesc } from '../import/types';

export const TFLITE_DESCRIPTION = 'TinyTrain Playground export';

/** The file's description string: a TinyTrain description keeps its details (model, requantization), any other
 * producer becomes ours (the file is ours now). */
export const producerOf = (d: ModelDescription, ours: string) => (d.producer.startsWith(ours) ? d.producer : ours);

export { ExportError };

type Field = [slot: number, kind: 'byte' | 'int32' | 'float32' | 'int32s', value: number | number[]];

/** A tensor as it goes into the file (description tensors first, then folded attribute constants). */
interface FileTensor {
  name: string;
  shape: number[];
  type: number;
  quant: TensorDesc['quant'];
  bytes: Uint8Array | null;
  /** shape_signature: batch -1 on graph inputs / outputs of a variable-batch model. */
  signature?: number[];
}

interface FileOp {
  builtin: SupportedBuiltin;
  inputs: number[];
  outputs: number[];
  optionsType: number;
  options: Field[] | null;
}

const ACTIVATION_CODE: Record<Activation, number> = { none: 0, relu: 1, relu6: 3 };
const PAD_SAME = 0;
const PAD_VALID = 1;

/** Op versions the int8 kernels ask for (TFLite's op versioning: int8 support came at these versions). */
const VERSION: Record<SupportedBuiltin, number> = {
  ADD: 2,
  AVERAGE_POOL_2D: 2,
  CONV_2D: 3,
  DEPTHWISE_CONV_2D: 3,
  DEQUANTIZE: 2,
  FULLY_CONNECTED: 4,
  MAX_POOL_2D: 2,
  RELU: 2,
  RELU6: 2,
  RESHAPE: 1,
  SOFTMAX: 2,
  PAD: 2,
  MEAN: 2,
  QUANTIZE: 2,
};

function tensorType(t: TensorDesc): number {
  if (t.dtype === 'int8') return TENSOR_TYPE.INT8;
  if (t.dtype === 'int32') return TENSOR_TYPE.INT32;
  return TENSOR_TYPE.FLOAT32;
}

function dataBytes(data: TensorDesc['data']): Uint8Array | null {
  return data ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null;
}

/** Collects tensors and ops; the description's tensors keep their ids as file indices. */
class Plan {
  readonly tensors: FileTensor[];
  readonly ops: FileOp[] = [];

  constructor(readonly d: ModelDescription) {
    this.tensors = d.tensors.map((t) => ({
      name: t.name,
      shape: t.shape,
      type: tensorType(t),
      quant: t.quant,
      bytes: dataBytes(t.data),
    }));
    if (d.dynamicBatch)
      for (const id of [...d.inputs, ...d.outputs]) this.tensors[id].signature = [-1, ...d.tensors[id].shape.slice(1)];
  }

  constant(name: string, shape: number[], values: number[]): number {
    const bytes = new Uint8Array(Int32Array.from(values).buffer);
    this.tensors.push({ name, shape, type: TENSOR_TYPE.INT32, quant: null, bytes });
    return this.tensors.length - 1;
  }

  activation(name: string, like: number, shape: number[]): number {
    const t = this.tensors[like];
    this.tensors.push({ name, shape, type: t.type, quant: t.quant, bytes: null });
    return this.tensors.length - 1;
  }

  push(builtin: SupportedBuiltin, inputs: (number | null)[], outputs: number[], type = 0, options: Field[] = []) {
    const ins = inputs.map((i) => (i === null ? -1 : i));
    this.ops.push({ builtin, inputs: ins, outputs, optionsType: type, options: type === 0 ? null : options });
  }
}

const win = (stride: [number, number], padding: number): Field[] => [
  [0, 'byte', padding],
  [1, 'int32', stride[1]],
  [2, 'int32', stride[0]],
];

/**
 * SAME or VALID when the padding is one of them in TFLite's sense; otherwise null (an explicit PAD is needed).
 * 'same-lower' and explicit amounts count as SAME when they give the same pixels on this input.
 */
function tflitePadding(
  d: ModelDescription,
  op: OpDesc & { options: { padding: Padding; stride: [number, number] } },
  kernel: [number, number],
  dilation: [number, number],
): number | null {
  const p = op.options.padding;
  if (p.kind === 'same') return PAD_SAME;
  if (p.kind === 'valid') return PAD_VALID;
  const x = d.tensors[op.inputs[0]!].shape;
  const amounts = (kind: Padding) =>
    ([0, 1] as const).map((a) => resolvePadding(kind, a, x[1 + a], kernel[a], op.options.stride[a], dilation[a]));
  const mine = JSON.stringify(amounts(p));
  if (mine === JSON.stringify(amounts({ kind: 'same' }))) return PAD_SAME;
  if (mine === JSON.stringify(amounts({ kind: 'valid' }))) return PAD_VALID;
  return null;
}

/** A PAD op in front of a convolution with explicit padding: returns the padded tensor's index. */
function padInFront(plan: Plan, op: OpDesc & { options: { padding: Padding } }): number {
  const p = op.options.padding;
  if (p.kind !== 'explicit' && p.kind !== 'same-lower')
    throw new ExportError(`op ${op.name}: padding ${p.kind} needs no PAD`);
  const x = op.inputs[0]!;
  const xs = plan.d.tensors[x].shape;
  const o = op.options as { stride: [number, number]; dilation: [number, number] };
  const w = plan.d.tensors[op.inputs[1]!].shape;
  const amounts = ([0, 1] as const).map((a) => resolvePadding(p, a, xs[1 + a], w[1 + a], o.stride[a], o.dilation[a]));
  const paddings = [0, 0, amounts[0].before, amounts[0].after, amounts[1].before, amounts[1].after, 0, 0];
  const shape = [xs[0], xs[1] + paddings[2] + paddings[3], xs[2] + paddings[4] + paddings[5], xs[3]];
  const padded = plan.activation(`${plan.d.tensors[x].name}/padded`, x, shape);
  plan.push('PAD', [x, plan.constant(`${op.name}/paddings`, [4, 2], paddings)], [padded]);
  return padded;
}

function convLike(plan: Plan, op: Extract<OpDesc, { kind: 'conv2d' | 'depthwiseConv2d' }>): void {
  const w = plan.d.tensors[op.inputs[1]!].shape;
  const o = op.options;
  let padding = tflitePadding(plan.d, op, [w[1], w[2]], o.dilation);
  let inputs = op.inputs;
  if (padding === null) {
    inputs = [padInFront(plan, op), ...op.inputs.slice(1)];
    padding = PAD_VALID;
  }
  const act = ACTIVATION_CODE[o.activation];
  if (op.kind === 'conv2d') {
    const group = op.options.group;
    if (group !== 1) throw new ExportError(`op ${op.name}: grouped convolution (group ${group}) is not TFLite`);
    const fields: Field[] = [...win(o.stride, padding), [3, 'byte', act], [4, 'int32', o.dilation[1]]];
    plan.push('CONV_2D', inputs, op.outputs, 1, [...fields, [5, 'int32', o.dilation[0]]]);
  } else {
    const fields: Field[] = [...win(o.stride, padding), [3, 'int32', op.options.depthMultiplier], [4, 'byte', act]];
    plan.push('DEPTHWISE_CONV_2D', inputs, op.outputs, 2, [
      ...fields,
      [5, 'int32', o.dilation[1]],
      [6, 'int32', o.dilation[0]],
    ]);
  }
}

function pool(plan: Plan, op: Extract<OpDesc, { kind: 'averagePool2d' | 'maxPool2d' }>): void {
  const o = op.options;
  const padding = tflitePadding(plan.d, op, o.filter, [1, 1]);
  if (padding === null)
    throw new ExportError(
      `op ${op.name}: a pool with explicit padding ${JSON.stringify(o.padding)} has no TFLite form (SAME or VALID)`,
    );
  const builtin = op.kind === 'averagePool2d' ? 'AVERAGE_POOL_2D' : 'MAX_POOL_2D';
  plan.push(builtin, op.inputs, op.outputs, 5, [
    ...win(o.stride, padding),
    [3, 'int32', o.filter[1]],
    [4, 'int32', o.filter[0]],
    [5, 'byte', ACTIVATION_CODE[o.activation]],
  ]);
}

function addOp(plan: Plan, op: OpDesc): void {
  switch (op.kind) {
    case 'conv2d':
    case 'depthwiseConv2d':
      return convLike(plan, op);
    case 'averagePool2d':
    case 'maxPool2d':
      return pool(plan, op);
    case 'fullyConnected':
      return plan.push('FULLY_CONNECTED', op.inputs, op.outputs, 8, [
        [0, 'byte', ACTIVATION_CODE[op.options.activation]],
      ]);
    case 'add':
      return plan.push('ADD', op.inputs, op.outputs, 11, [[0, 'byte', ACTIVATION_CODE[op.options.activation]]]);
    case 'mean': {
      // the axes as a constant; a tensor of the graph when the op names one (the oracles' builtin-kernel variant)
      const axes = op.inputs[1] ?? plan.constant(`${op.name}/axes`, [op.options.axes.length], op.options.axes);
      return plan.push('MEAN', [op.inputs[0], axes], op.outputs, 27, [[0, 'byte', op.options.keepDims ? 1 : 0]]);
    }
    case 'pad': {
      const p = op.options.paddings;
      const paddings = plan.constant(`${op.name}/paddings`, [p.length, 2], p.flat());
      return plan.push('PAD', [op.inputs[0], paddings], op.outputs);
    }
    case 'reshape': {
      const s = op.options.newShape;
      const shape = plan.constant(`${op.name}/shape`, [s.length], s);
      return plan.push('RESHAPE', [op.inputs[0], shape], op.outputs, 17, [[0, 'int32s', s]]);
    }
    case 'softmax': {
      const rank = plan.d.tensors[op.inputs[0]!].shape.length;
      if (op.options.axis !== -1 && op.options.axis !== rank - 1)
        throw new ExportError(`op ${op.name}: TFLite's SOFTMAX runs over the last axis only`);
      return plan.push('SOFTMAX', op.inputs, op.outputs, 9, [[0, 'float32', op.options.beta]]);
    }
    case 'relu':
      return plan.push('RELU', op.inputs, op.outputs);
    case 'relu6':
      return plan.push('RELU6', op.inputs, op.outputs);
    case 'quantize':
      return plan.push('QUANTIZE', op.inputs, op.outputs);
    case 'dequantize':
      return plan.push('DEQUANTIZE', op.inputs, op.outputs);
  }
}

// ---- FlatBuffer encoding -------------------------------------------------------------------------------------

function intVector(b: Builder, values: number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i]);
  return b.endVector();
}

function offsetVector(b: Builder, offsets: number[]): number {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]);
  return b.endVector();
}

/** A [ubyte] vector whose first byte sits on a 16-byte boundary (int32 / float32 data read in place). */
function alignedBytes(b: Builder, bytes: Uint8Array): number {
  b.startVector(1, bytes.length, 16);
  for (let i = bytes.length - 1; i >= 0; i--) b.addInt8(bytes[i]);
  return b.endVector();
}

function writeQuant(b: Builder, q: NonNullable<TensorDesc['quant']>): number {
  b.startVector(4, q.scale.length, 4);
  for (let i = q.scale.length - 1; i >= 0; i--) b.addFloat32(q.scale[i]);
  const scale = b.endVector();
  b.startVector(8, q.zeroPoint.length, 8);
  for (let i = q.zeroPoint.length - 1; i >= 0; i--) b.addInt64(BigInt(q.zeroPoint[i]));
  const zp = b.endVector();
  b.startObject(7);
  b.addFieldOffset(2, scale, 0);
  b.addFieldOffset(3, zp, 0);
  b.addFieldInt32(6, q.axis ?? 0, 0);
  return b.endObject();
}

function writeOptions(b: Builder, fields: Field[]): number {
  const vectors = fields.map(([, kind, v]) => (kind === 'int32s' ? intVector(b, v as number[]) : 0));
  b.startObject(Math.max(...fields.map(([slot]) => slot)) + 1);
  fields.forEach(([slot, kind, v], i) => {
    // Every field is written, defaults included (force_defaults), so the options say what they mean.
    if (kind === 'byte') b.addFieldInt8(slot, v as number, null);
    if (kind === 'int32') b.addFieldInt32(slot, v as number, null);
    if (kind === 'float32') b.addFieldFloat32(slot, v as number, null);
    if (kind === 'int32s') b.addFieldOffset(slot, vectors[i], 0);
  });
  return b.endObject();
}

function writeTensor(b: Builder, t: FileTensor, buffer: number): number {
  const shape = intVector(b, t.shape);
  const name = b.createString(t.name);
  const quant = t.quant ? writeQuant(b, t.quant) : 0;
  const signature = t.signature ? intVector(b, t.signature) : 0;
  b.startObject(8);
  b.addFieldOffset(0, shape, 0);
  b.addFieldInt8(1, t.type, null);
  b.addFieldInt32(2, buffer, 0);
  b.addFieldOffset(3, name, 0);
  if (quant) b.addFieldOffset(4, quant, 0);
  if (signature) b.addFieldOffset(7, signature, 0);
  return b.endObject();
}

function writeOperatorCodes(b: Builder, builtins: SupportedBuiltin[]): number {
  const codes = builtins.map((k) => {
    const code = SUPPORTED_BUILTINS[k];
    b.startObject(4);
    // Schema 3a: codes below 127 also go in the int8 field old runtimes read; 127 marks "see builtin_code".
    b.addFieldInt8(0, Math.min(code, 127), null);
    b.addFieldInt32(2, VERSION[k], null);
    b.addFieldInt32(3, code, null);
    return b.endObject();
  });
  return offsetVector(b, codes);
}

function encode(plan: Plan, producer: string): Uint8Array {
  const b = new Builder(4096);
  const buffers = [(b.startObject(3), b.endObject())];
  const bufferOf = plan.tensors.map((t) => {
    if (!t.bytes || t.bytes.length === 0) return 0;
    const data = alignedBytes(b, t.bytes);
    b.startObject(3);
    b.addFieldOffset(0, data, 0);
    buffers.push(b.endObject());
    return buffers.length - 1;
  });
  const tensors = plan.tensors.map((t, i) => writeTensor(b, t, bufferOf[i]));
  const builtins = [...new Set(plan.ops.map((o) => o.builtin))];
  const ops = plan.ops.map((o) => {
    const inputs = intVector(b, o.inputs);
    const outputs = intVector(b, o.outputs);
    const options = o.options ? writeOptions(b, o.options) : 0;
    b.startObject(5);
    b.addFieldInt32(0, builtins.indexOf(o.builtin), null);
    b.addFieldOffset(1, inputs, 0);
    b.addFieldOffset(2, outputs, 0);
    if (options) {
      b.addFieldInt8(3, o.optionsType, 0);
      b.addFieldOffset(4, options, 0);
    }
    return b.endObject();
  });
  const sgTensors = offsetVector(b, tensors);
  const sgInputs = intVector(b, plan.d.inputs);
  const sgOutputs = intVector(b, plan.d.outputs);
  const sgOps = offsetVector(b, ops);
  const sgName = b.createString('main');
  b.startObject(5);
  b.addFieldOffset(0, sgTensors, 0);
  b.addFieldOffset(1, sgInputs, 0);
  b.addFieldOffset(2, sgOutputs, 0);
  b.addFieldOffset(3, sgOps, 0);
  b.addFieldOffset(4, sgName, 0);
  const subgraph = b.endObject();
  const opcodeVec = writeOperatorCodes(b, builtins);
  const subgraphVec = offsetVector(b, [subgraph]);
  const description = b.createString(producer);
  const bufferVec = offsetVector(b, buffers);
  b.startObject(5);
  b.addFieldInt32(0, 3, null);
  b.addFieldOffset(1, opcodeVec, 0);
  b.addFieldOffset(2, subgraphVec, 0);
  b.addFieldOffset(3, description, 0);
  b.addFieldOffset(4, bufferVec, 0);
  b.finish(b.endObject(), TFLITE_IDENTIFIER);
  return b.asUint8Array().slice();
}

/** Writes a TFLite-flavoured description as a .tflite file; throws ExportError (one line) on what TFLite lacks. */
export function writeTflite(d: ModelDescription): Uint8Array {
  if (d.layout !== 'NHWC')
    throw new ExportError(`a ${d.layout} description cannot be written as TFLite; convert it to NHWC first`);
  const plan = new Plan(d);
  for (const op of d.ops) addOp(plan, op);
  return encode(plan, producerOf(d, TFLITE_DESCRIPTION));
}
