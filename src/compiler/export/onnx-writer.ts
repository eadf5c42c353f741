/**
 * ONNX writer: a ModelDescription in ONNX flavour (NCHW) -> an .onnx ModelProto that onnxruntime-web 1.30 runs
 * and our reader reads back to the same description.
 *
 * Form: QOperator where the op's output is int8 (QLinearConv, QLinearMatMul or com.microsoft QGemm when there
 * is a bias or the weights were not stored [in, out], com.microsoft QLinearAdd / QLinearGlobalAveragePool /
 * QLinearAveragePool, int8 MaxPool / Relu / Pad / Reshape), QDQ where it is float (DequantizeLinear of int8 /
 * int32 initializers in front of Conv / Gemm); QuantizeLinear / DequantizeLinear ops as they are. Opset 14
 * (int8 Relu), IR 8. ONNX has no fused activations: a fused ReLU / ReLU6 becomes a Relu / Clip node after a
 * float op, and after an int8 op an int8 Clip at TFLite's clamp bounds (none when saturation already is the
 * clamp). Refused with an ExportError: NHWC descriptions, int8 softmax.
 */
import { ONNX_DTYPE, type OnnxNode, type OnnxTensor } from '../import/onnx-proto';
import type { ModelDescription, OpDesc, Padding, TensorDesc } from '../import/types';
import { encodeModel, MS_DOMAIN, node, tensorProto, type AttrValue, type ValueInfo } from './onnx-encode';
import { ExportError } from './export-error';
import { producerOf } from './tflite-writer';

export const ONNX_PRODUCER = 'TinyTrain Playground';

class OnnxPlan {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  /** Nodes that follow the op being written (a float op's activation). */
  readonly after: OnnxNode[] = [];
  private readonly written = new Set<string>();
  private readonly qparamNames = new Map<number, [string, string]>();

  constructor(readonly d: ModelDescription) {}

  t(id: number | null): TensorDesc {
    if (id === null) throw new ExportError('an op lacks a required input');
    return this.d.tensors[id];
  }

  init(t: OnnxTensor): string {
    if (!this.written.has(t.name!)) {
      this.written.add(t.name!);
      this.initializers.push(t);
    }
    return t.name!;
  }

  /** Scale and zero-point initializers of a tensor's quantization (int32 zero points for int32 tensors). */
  qparams(id: number): [string, string] {
    const known = this.qparamNames.get(id);
    if (known) return known;
    const t = this.t(id);
    if (!t.quant) throw new ExportError(`tensor ${t.name} is int8 but has no quantization`);
    const perChannel = t.quant.axis !== null;
    const dims = perChannel ? [t.quant.scale.length] : [];
    const zp = t.dtype === 'int32' ? Int32Array.from(t.quant.zeroPoint) : Int8Array.from(t.quant.zeroPoint);
    const names: [string, string] = [
      this.init(tensorProto(`${t.name}__scale`, dims, Float32Array.from(t.quant.scale))),
      this.init(tensorProto(`${t.name}__zero_point`, dims, zp)),
    ];
    this.qparamNames.set(id, names);
    return names;
  }

  /** A constant as it is stored (int8 ops read int8 / int32 initializers directly). */
  constant(id: number): string {
    const t = this.t(id);
    if (!t.data) return t.name;
    return this.init(tensorProto(t.name, t.shape, t.data));
  }

  /** A constant for a float op: int8 / int32 data goes through a DequantizeLinear (QDQ form). */
  floatConstant(id: number): string {
    const t = this.t(id);
    if (!t.data || t.dtype === 'float32') return this.constant(id);
    if (this.written.has(t.name)) return t.name;
    this.written.add(t.name);
    const source = this.init(tensorProto(`${t.name}__quantized`, t.shape, t.data));
    const axis = t.quant?.axis;
    this.nodes.push(
      node(
        'DequantizeLinear',
        `${t.name}__dequantize`,
        [source, ...this.qparams(id)],
        [t.name],
        axis != null ? { axis } : {},
      ),
    );
    return t.name;
  }

  push(
    opType: string,
    name: string,
    inputs: string[],
    outputs: string[],
    attrs: Record<string, AttrValue> = {},
    domain = '',
  ) {
    this.nodes.push(node(opType, name, inputs, outputs, attrs, domain));
  }
}

function paddingAttrs(p: Padding): Record<string, AttrValue> {
  if (p.kind === 'same') return { auto_pad: 'SAME_UPPER' };
  if (p.kind === 'same-lower') return { auto_pad: 'SAME_LOWER' };
  if (p.kind === 'valid') return { auto_pad: 'VALID' };
  return { pads: [p.top, p.left, p.bottom, p.right] };
}

const isInt8 = (plan: OnnxPlan, id: number) => plan.t(id).dtype === 'int8';

/**
 * The output name the op itself writes. A fused activation on a float op becomes a Relu / Clip node after it;
 * on an int8 op it must already be implied by saturation (relu: zero point -128; relu6: also 6 >= 255 steps).
 */
function withActivation(plan: OnnxPlan, op: OpDesc): string {
  const y = plan.t(op.outputs[0]);
  const act = 'activation' in op.options ? op.options.activation : 'none';
  if (act === 'none') return y.name;
  const pre = `${y.name}__preactivation`;
  if (y.dtype === 'int8') {
    const [lo, hi] = int8Clamp(y, act);
    if (lo === -128 && hi === 127) return y.name; // saturation is the activation
    plan.after.push(node('Clip', `${op.name}/${act}`, [pre, int8Bound(plan, lo), int8Bound(plan, hi)], [y.name]));
    return pre;
  }
  if (act === 'relu') plan.after.push(node('Relu', `${op.name}/relu`, [pre], [y.name]));
  else plan.after.push(node('Clip', `${op.name}/relu6`, [pre, clipBound(plan, 0), clipBound(plan, 6)], [y.name]));
  return pre;
}

/** TFLite's int8 activation clamp: [zp, 127] for ReLU, [zp, min(127, zp + round(6 / scale))] for ReLU6. */
function int8Clamp(y: TensorDesc, act: 'relu' | 'relu6'): [number, number] {
  const zp = y.quant!.zeroPoint[0];
  return [Math.max(-128, zp), act === 'relu' ? 127 : Math.min(127, zp + Math.round(6 / y.quant!.scale[0]))];
}

const int8Bound = (plan: OnnxPlan, v: number) => plan.init(tensorProto(`clip_int8_${v}`, [], Int8Array.of(v)));

const clipBound = (plan: OnnxPlan, v: number) => plan.init(tensorProto(`clip_${v}`, [], Float32Array.of(v)));

function conv(plan: OnnxPlan, op: Extract<OpDesc, { kind: 'conv2d' | 'depthwiseConv2d' }>): void {
  const [x, w, b] = op.inputs;
  const ws = plan.t(w).shape;
  const o = op.options;
  // a depthwise conv from the TFLite side has no group; an ONNX-side conv2d carries its own (group = C for depthwise)
  const group = op.kind === 'depthwiseConv2d' ? plan.t(x).shape[1] : op.options.group;
  const attrs = {
    kernel_shape: [ws[2], ws[3]],
    strides: o.stride,
    dilations: o.dilation,
    group,
    ...paddingAttrs(o.padding),
  };
  const xn = plan.t(x).name;
  if (isInt8(plan, op.outputs[0])) {
    const inputs = [xn, ...plan.qparams(x!), plan.constant(w!), ...plan.qparams(w!), ...plan.qparams(op.outputs[0])];
    if (b !== null) inputs.push(plan.constant(b));
    plan.push('QLinearConv', op.name, inputs, [withActivation(plan, op)], attrs);
  } else {
    const inputs = [xn, plan.floatConstant(w!), ...(b !== null ? [plan.floatConstant(b)] : [])];
    plan.push('Conv', op.name, inputs, [withActivation(plan, op)], attrs);
  }
}

/** [N, K] weights back to the [K, N] a MatMul stores (the reader transposes on import and names it `w^T`). */
function matmulWeights(plan: OnnxPlan, w: TensorDesc): string {
  const [n, k] = w.shape;
  const data = w.data!.slice();
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) data[j * n + i] = w.data![i * k + j];
  return plan.init(tensorProto(w.name.slice(0, -2), [k, n], data));
}

function fullyConnected(plan: OnnxPlan, op: Extract<OpDesc, { kind: 'fullyConnected' }>): void {
  const [x, w, b] = op.inputs;
  const y = op.outputs[0];
  const xn = plan.t(x).name;
  if (!isInt8(plan, y)) {
    const inputs = [xn, plan.floatConstant(w!), ...(b !== null ? [plan.floatConstant(b)] : [])];
    return plan.push('Gemm', op.name, inputs, [withActivation(plan, op)], { transB: 1 });
  }
  const wt = plan.t(w);
  const out = withActivation(plan, op);
  if (b === null && wt.name.endsWith('^T')) {
    const inputs = [xn, ...plan.qparams(x!), matmulWeights(plan, wt), ...plan.qparams(w!), ...plan.qparams(y)];
    return plan.push('QLinearMatMul', op.name, inputs, [out]);
  }
  const inputs = [xn, ...plan.qparams(x!), plan.constant(w!), ...plan.qparams(w!), b === null ? '' : plan.constant(b)];
  plan.push('QGemm', op.name, [...inputs, ...plan.qparams(y)], [out], { transB: 1 }, MS_DOMAIN);
}

function windowAttrs(o: { filter: [number, number]; stride: [number, number]; padding: Padding }) {
  return { kernel_shape: o.filter, strides: o.stride, ...paddingAttrs(o.padding) };
}

/** Flatten when the op came from one and the output is what Flatten(axis) gives; null otherwise. */
function flattenAxis(xs: number[], ys: number[]): number | null {
  if (ys.length !== 2) return null;
  for (let axis = 1; axis < xs.length; axis++) if (xs.slice(0, axis).reduce((a, b) => a * b, 1) === ys[0]) return axis;
  return null;
}

function writeOp(plan: OnnxPlan, op: OpDesc): void {
  const x = op.inputs[0];
  const xn = plan.t(x).name;
  const y = op.outputs[0];
  const int8 = isInt8(plan, y);
  switch (op.kind) {
    case 'conv2d':
    case 'depthwiseConv2d':
      return conv(plan, op);
    case 'fullyConnected':
      return fullyConnected(plan, op);
    case 'add': {
      const b = op.inputs[1]!;
      const bn = plan.t(b).name;
      const out = withActivation(plan, op);
      if (!int8) return plan.push('Add', op.name, [xn, plan.constant(b)], [out]);
      const inputs = [xn, ...plan.qparams(x!), bn, ...plan.qparams(b), ...plan.qparams(y)];
      return plan.push('QLinearAdd', op.name, inputs, [out], {}, MS_DOMAIN);
    }
    case 'averagePool2d': {
      const attrs = { ...windowAttrs(op.options), count_include_pad: 0 };
      const out = withActivation(plan, op);
      if (!int8) return plan.push('AveragePool', op.name, [xn], [out], attrs);
      const inputs = [xn, ...plan.qparams(x!), ...plan.qparams(y)];
      return plan.push('QLinearAveragePool', op.name, inputs, [out], attrs, MS_DOMAIN);
    }
    case 'maxPool2d':
      return plan.push('MaxPool', op.name, [xn], [withActivation(plan, op)], windowAttrs(op.options));
    case 'mean': {
      const axes = op.options.axes.join(',');
      const channelsLast = axes === '1,2';
      if (!op.options.keepDims || (axes !== '2,3' && !channelsLast) || (channelsLast && !int8))
        throw new ExportError(`op ${op.name}: only a global average over H, W with keepDims has an ONNX form`);
      if (!int8) return plan.push('GlobalAveragePool', op.name, [xn], [plan.t(y).name]);
      const inputs = [xn, ...plan.qparams(x!), ...plan.qparams(y)];
      const attrs = { channels_last: channelsLast ? 1 : 0 };
      return plan.push('QLinearGlobalAveragePool', op.name, inputs, [plan.t(y).name], attrs, MS_DOMAIN);
    }
    case 'pad': {
      const p = op.options.paddings;
      const pads = plan.init(
        tensorProto(
          `${op.name}__pads`,
          [2 * p.length],
          BigInt64Array.from([...p.map((q) => q[0]), ...p.map((q) => q[1])], BigInt),
        ),
      );
      const value = int8
        ? [plan.init(tensorProto(`${op.name}__value`, [], Int8Array.of(plan.t(x).quant!.zeroPoint[0])))]
        : [];
      return plan.push('Pad', op.name, [xn, pads, ...value], [plan.t(y).name], { mode: 'constant' });
    }
    case 'reshape': {
      const axis = op.sourceOp === 'Flatten' ? flattenAxis(plan.t(x).shape, plan.t(y).shape) : null;
      if (axis !== null) return plan.push('Flatten', op.name, [xn], [plan.t(y).name], { axis });
      const shape = plan.init(
        tensorProto(`${op.name}__shape`, [op.options.newShape.length], BigInt64Array.from(op.options.newShape, BigInt)),
      );
      return plan.push('Reshape', op.name, [xn, shape], [plan.t(y).name]);
    }
    case 'softmax':
      if (int8) throw new ExportError(`op ${op.name}: an int8 softmax has no standard ONNX form; dequantize first`);
      return plan.push('Softmax', op.name, [xn], [plan.t(y).name], { axis: op.options.axis });
    case 'relu':
    case 'relu6': {
      // int8: ONNX's int8 Relu clamps at integer 0, not at the zero point; a Clip at TFLite's bounds is exact.
      const bounds = int8
        ? int8Clamp(plan.t(y), op.kind).map((v) => int8Bound(plan, v))
        : op.kind === 'relu6'
          ? [clipBound(plan, 0), clipBound(plan, 6)]
          : null;
      if (!bounds) return plan.push('Relu', op.name, [xn], [plan.t(y).name]);
      return plan.push('Clip', op.name, [xn, ...bounds], [plan.t(y).name]);
    }
    case 'quantize': {
      const q = plan.t(y).quant;
      const attrs: Record<string, AttrValue> = q?.axis != null ? { axis: q.axis } : {};
      return plan.push('QuantizeLinear', op.name, [xn, ...plan.qparams(y)], [plan.t(y).name], attrs);
    }
    case 'dequantize': {
      const q = plan.t(x).quant;
      const attrs: Record<string, AttrValue> = q?.axis != null ? { axis: q.axis } : {};
      return plan.push('DequantizeLinear', op.name, [xn, ...plan.qparams(x!)], [plan.t(y).name], attrs);
    }
  }
}

function io(d: ModelDescription, id: number): ValueInfo {
  const t = d.tensors[id];
  const elemType = t.dtype === 'int8' ? ONNX_DTYPE.INT8 : t.dtype === 'int32' ? ONNX_DTYPE.INT32 : ONNX_DTYPE.FLOAT;
  return { name: t.name, elemType, dims: t.shape.map((s, i) => (i === 0 && d.dynamicBatch ? 'batch' : s)) };
}

/** Writes an ONNX-flavoured description as an .onnx file; throws ExportError (one line) on what it cannot say. */
export function writeOnnx(d: ModelDescription): Uint8Array {
  if (d.layout !== 'NCHW')
    throw new ExportError(`a ${d.layout} description cannot be written as ONNX; convert it to NCHW first`);
  const plan = new OnnxPlan(d);
  for (const op of d.ops) {
    writeOp(plan, op);
    plan.nodes.push(...plan.after.splice(0));
  }
  return encodeModel({
    name: 'tinytrain',
    nodes: plan.nodes,
    initializers: plan.initializers,
    inputs: d.inputs.map((i) => io(d, i)),
    outputs: d.outputs.map((i) => io(d, i)),
    producer: producerOf(d, ONNX_PRODUCER).replace(/ 1$/, ''), // the reader appends producer_version '1'
  });
}
