/**
 * Export mapping: the generic Model -> a ModelDescription a writer turns into .tflite or .onnx bytes, such that
 * the import mapping (to-model.ts) gives the model back: the same layers, weights, quantization and names.
 *
 * - 'tflite' (NHWC, int8 ops): int8 input and output tensors; conv / pointwise as CONV_2D [O, k, k, I],
 *   depthwise as DEPTHWISE_CONV_2D [1, k, k, C], fc as FULLY_CONNECTED [O, I], all per-channel (axis 0; the
 *   depthwise axis 3) with int32 biases at s_W[c] * s_x; the clamp as a fused RELU (act_min = z_y, act_max
 *   127); padding SAME or VALID where it says the same thing, else an explicit PAD (in the input's zero point)
 *   before a VALID conv, since TFLite's SAME puts the odd pixel at the bottom / right and ours at the top / left.
 *   TFLite ops have no names, so every tensor carries its node's name (to-model names ops after them).
 * - 'onnx' (NCHW, QOperator): a float input with QuantizeLinear, QLinearConv with explicit pads ([O, I, k, k];
 *   depthwise group = C, [C, 1, k, k]), QLinearAdd, QLinearGlobalAveragePool (kept dims), Flatten before an fc
 *   reading anything but a vector (weight columns permuted from H, W, C to the C, H, W order ONNX flattens in),
 *   fc weights [O, I], DequantizeLinear at the output.
 */
import { layerAt, nodeOutput, type ConvLayer, type Model } from '../models/model';
import { INPUT, windowOut, type ModelNode, type Window2d } from '../models/nodes';
import { paddingOf } from './to-model-layers';
import type { QParams } from '../quant';
import type { ModelDescription, OpDesc, Padding, SourceFormat, TensorDesc, TensorQuant } from './types';

type NewTensor = Omit<TensorDesc, 'id'>;
const perTensor = (q: QParams): TensorQuant => ({ scale: [q.scale], zeroPoint: [q.zeroPoint], axis: null });

const SOURCE_OPS = {
  tflite: {
    conv2d: 'CONV_2D',
    depthwiseConv2d: 'DEPTHWISE_CONV_2D',
    fullyConnected: 'FULLY_CONNECTED',
    add: 'ADD',
    mean: 'MEAN',
    reshape: 'RESHAPE',
    pad: 'PAD',
    averagePool2d: 'AVERAGE_POOL_2D',
    maxPool2d: 'MAX_POOL_2D',
    quantize: 'QUANTIZE',
    dequantize: 'DEQUANTIZE',
  },
  onnx: {
    conv2d: 'QLinearConv',
    depthwiseConv2d: 'QLinearConv',
    fullyConnected: 'QLinearMatMul',
    add: 'QLinearAdd',
    mean: 'QLinearGlobalAveragePool',
    reshape: 'Flatten',
    pad: 'Pad',
    averagePool2d: 'QLinearAveragePool',
    maxPool2d: 'MaxPool',
    quantize: 'QuantizeLinear',
    dequantize: 'DequantizeLinear',
  },
} as const;

class Exporter {
  readonly tensors: TensorDesc[] = [];
  readonly ops: OpDesc[] = [];
  readonly nchw: boolean;
  /** ONNX tensors holding an [h, w, c] tensor flattened in C, H, W order (a reshape node's output). */
  readonly flattened = new Map<number, readonly number[]>();

  constructor(
    readonly m: Model,
    readonly format: SourceFormat,
  ) {
    this.nchw = format === 'onnx';
  }

  tensor(t: NewTensor): number {
    this.tensors.push({ ...t, id: this.tensors.length });
    return this.tensors.length - 1;
  }
  /** The file shape of our [h, w, c] or [n] activation. */
  fileShape(s: readonly number[]): number[] {
    if (s.length !== 3) return [1, ...s];
    return this.nchw ? [1, s[2], s[0], s[1]] : [1, ...s];
  }
  activation(name: string, shape: readonly number[], q: QParams): number {
    return this.tensor({ name, shape: this.fileShape(shape), dtype: 'int8', quant: perTensor(q), data: null });
  }
  op<K extends OpDesc['kind']>(
    kind: K,
    name: string,
    inputs: (number | null)[],
    outputs: number[],
    options: Extract<OpDesc, { kind: K }>['options'],
  ) {
    const sourceOp = SOURCE_OPS[this.format][kind as keyof (typeof SOURCE_OPS)['tflite']];
    const opName = this.format === 'tflite' ? `#${this.ops.length}` : name;
    this.ops.push({ kind, sourceOp, name: opName, inputs, outputs, options } as OpDesc);
  }

  /** A weight tensor: int8 data in the file's layout, per-channel along `axis`. */
  weights(l: ConvLayer, shape: number[], data: Int8Array, axis: number): number {
    const quant: TensorQuant = { scale: Array.from(l.weightScale), zeroPoint: new Array(l.outC).fill(0), axis };
    return this.tensor({ name: `${l.name}.weight`, shape, dtype: 'int8', quant, data });
  }
  bias(l: ConvLayer): number {
    const scale = Array.from(l.weightScale, (s) => s * l.input.scale);
    const quant: TensorQuant = { scale, zeroPoint: new Array(l.outC).fill(0), axis: 0 };
    return this.tensor({ name: `${l.name}.bias`, shape: [l.outC], dtype: 'int32', quant, data: l.bias });
  }

  /** Padding of a conv with top `pad` / left `padLeft`: SAME or VALID where they say the same, else explicit /
   * PAD. */
  padding(l: ConvLayer): { padding: Padding; pre: boolean; bottom: number; right: number } {
    const [kh, kw, sh, sw, top] = [l.kernel, l.kernelW ?? l.kernel, l.stride, l.strideW ?? l.stride, l.pad];
    const padLeft = l.padLeft ?? top;
    const bottom = Math.max(0, (l.outH - 1) * sh + kh - top - l.inH);
    const right = Math.max(0, (l.outW - 1) * sw + kw - padLeft - l.inW);
    if (this.nchw)
      return { padding: { kind: 'explicit', top, left: padLeft, bottom, right }, pre: false, bottom, right };
    const dims: [number, number, number, number, number][] = [
      [l.outH, l.inH, kh, sh, top],
      [l.outW, l.inW, kw, sw, padLeft],
    ];
    const total = (o: number, i: number, k: number, s: number) => Math.max((o - 1) * s + k - i, 0);
    const same = dims.every(([o, i, k, s, p]) => o === Math.ceil(i / s) && Math.floor(total(o, i, k, s) / 2) === p);
    if (same) return { padding: { kind: 'same' }, pre: false, bottom, right };
    const valid = dims.every(([o, i, k, s, p]) => p === 0 && o === Math.floor((i - k) / s) + 1);
    return { padding: { kind: 'valid' }, pre: !valid, bottom, right };
  }

  layer(l: ConvLayer, x: number, xShape: readonly number[]): number {
    const y = this.activation(l.name, l.kind === 'fc' ? [l.outC] : [l.outH, l.outW, l.outC], l.output);
    const activation = l.relu ? ('relu' as const) : ('none' as const);
    if (l.kind === 'fc') {
      const flat = xShape.length === 3 && this.nchw ? this.flatten(l.name, x, xShape) : { x, chw: false };
      const chw = flat.chw ? xShape : this.flattened.get(x);
      const data = chw ? hwcToChwColumns(l.weight, l.outC, chw) : l.weight;
      const w = this.weights(l, [l.outC, l.inC], data, 0);
      this.op('fullyConnected', l.name, [flat.x, w, this.bias(l)], [y], { activation });
      return y;
    }
    const p = this.padding(l);
    if (p.pre) x = this.pad(l, x, xShape, p);
    const k = l.kernel;
    const kw = l.kernelW ?? k;
    const window = {
      stride: [l.stride, l.strideW ?? l.stride] as [number, number],
      padding: p.padding,
      dilation: [1, 1] as [number, number],
    };
    if (l.kind === 'depthwise') {
      const w = this.nchw
        ? this.weights(l, [l.outC, 1, k, k], hwcToChw(l.weight, l.outC, k * k), 0)
        : this.weights(l, [1, k, k, l.outC], l.weight, 3);
      const options = this.nchw
        ? { ...window, activation, group: l.outC }
        : { ...window, activation, depthMultiplier: 1 };
      if (this.nchw) this.op('conv2d', l.name, [x, w, this.bias(l)], [y], options as never);
      else this.op('depthwiseConv2d', l.name, [x, w, this.bias(l)], [y], options as never);
      return y;
    }
    const w = this.nchw
      ? this.weights(l, [l.outC, l.inC, k, kw], ohwiToOihw(l.weight, l.outC, l.inC, k * kw), 0)
      : this.weights(l, [l.outC, k, kw, l.inC], l.weight, 0);
    this.op('conv2d', l.name, [x, w, this.bias(l)], [y], { ...window, activation, group: 1 });
    return y;
  }

  /** An explicit zero-point PAD (TFLite) before a VALID conv whose padding SAME cannot say. */
  pad(l: ConvLayer, x: number, [h, w, c]: readonly number[], p: { bottom: number; right: number }): number {
    const left = l.padLeft ?? l.pad;
    const shape = [h + l.pad + p.bottom, w + left + p.right, c];
    const y = this.activation(`${l.name}:pad`, shape, l.input);
    const paddings: [number, number][] = [
      [0, 0],
      [l.pad, p.bottom],
      [left, p.right],
      [0, 0],
    ];
    this.op('pad', `${l.name}:pad`, [x], [y], { paddings });
    return y;
  }

  /** A pool's padding: SAME or VALID where TFLite's rule gives it, else explicit (ONNX always explicit). */
  windowPadding(win: Window2d, [h, w]: readonly number[], out: readonly number[]): Padding {
    const p = win.pad;
    const explicit = { kind: 'explicit' as const, ...p };
    if (this.nchw) return explicit;
    const tf = paddingOf({ kind: 'same' }, [h, w], [out[0], out[1]], win.kernel, win.stride);
    const sameOut = out[0] === Math.ceil(h / win.stride[0]) && out[1] === Math.ceil(w / win.stride[1]);
    if (sameOut && tf.join() === [p.top, p.left, p.bottom, p.right].join()) return { kind: 'same' };
    if (p.top + p.left + p.bottom + p.right === 0) return { kind: 'valid' };
    throw new Error(`export: a pool padded ${p.top},${p.left},${p.bottom},${p.right} has no TFLite padding`);
  }

  /** ONNX: Flatten an [1, c, h, w] tensor before an fc; the fc's columns follow C, H, W. */
  flatten(name: string, x: number, s: readonly number[]): { x: number; chw: boolean } {
    const n = s[0] * s[1] * s[2];
    const q = this.tensors[x].quant!;
    const y = this.tensor({ name: `${name}:flatten`, shape: [1, n], dtype: 'int8', quant: q, data: null });
    this.op('reshape', `${name}:flatten`, [x], [y], { newShape: [1, n] });
    return { x: y, chw: s[2] > 1 && s[0] * s[1] > 1 };
  }
}

/** [k*k][C] (our depthwise) -> [C][k*k]. */
function hwcToChw(a: Int8Array, c: number, p: number): Int8Array {
  const out = new Int8Array(a.length);
  for (let i = 0; i < p; i++) for (let j = 0; j < c; j++) out[j * p + i] = a[i * c + j];
  return out;
}
/** [O][kh][kw][I] -> [O][I][kh][kw] (`taps` = kh * kw). */
function ohwiToOihw(a: Int8Array, o: number, i: number, taps: number): Int8Array {
  const out = new Int8Array(a.length);
  for (let n = 0; n < o; n++)
    for (let p = 0; p < taps; p++) for (let c = 0; c < i; c++) out[(n * i + c) * taps + p] = a[(n * taps + p) * i + c];
  return out;
}
/** fc columns in H, W, C order -> C, H, W order. */
function hwcToChwColumns(a: Int8Array, outC: number, [h, w, c]: readonly number[]): Int8Array {
  const out = new Int8Array(a.length);
  const n = h * w * c;
  for (let o = 0; o < outC; o++)
    for (let p = 0; p < h * w; p++) for (let ch = 0; ch < c; ch++) out[o * n + ch * h * w + p] = a[o * n + p * c + ch];
  return out;
}

/** The model as a description of the given flavour (TFLite NHWC int8 ops, or ONNX QOperator NCHW). */
export function modelToDescription(m: Model, format: SourceFormat): ModelDescription {
  const e = new Exporter(m, format);
  const [h, w, c] = m.inputShape;
  const shapes: number[][] = [];
  const shapeOf = (r: number) => (r === INPUT ? [h, w, c] : shapes[r]);
  const values: number[] = [];
  let input: number;
  let inputValue: number;
  if (format === 'onnx') {
    input = e.tensor({ name: 'input', shape: [1, c, h, w], dtype: 'float32', quant: null, data: null });
    inputValue = e.activation('input:q', [h, w, c], m.input);
    e.op('quantize', 'input:quantize', [input], [inputValue], {});
  } else {
    input = inputValue = e.activation('input', [h, w, c], m.input);
  }
  const at = (r: number) => (r === INPUT ? inputValue : values[r]);
  m.nodes.forEach((n, i) => {
    const xs = n.inputs.map(at);
    const [y, shape] = exportNode(e, m, n, xs, n.inputs.map(shapeOf));
    values[i] = y;
    shapes[i] = shape;
  });
  let output = values[m.nodes.length - 1];
  if (format === 'onnx') {
    const f = e.tensor({ name: 'output', shape: [1, m.classes], dtype: 'float32', quant: null, data: null });
    e.op('dequantize', 'output:dequantize', [output], [f], {});
    output = f;
  }
  return {
    format,
    quantStyle: 'int8-ops',
    needsQuantization: false,
    layout: format === 'onnx' ? 'NCHW' : 'NHWC',
    tensors: e.tensors,
    ops: e.ops,
    inputs: [input],
    outputs: [output],
    dynamicBatch: false,
    // The arithmetic our kernels run this model with: re-imported here, it keeps it (to-model reads it back).
    producer: `${format === 'onnx' ? 'TinyTrain Playground' : 'TinyTrain Playground export'}; model ${m.name}; requant ${m.requant}`,
  };
}

/** One node as file ops; returns its output tensor and our shape of it. */
function exportNode(e: Exporter, m: Model, n: ModelNode, xs: number[], inShapes: number[][]): [number, number[]] {
  const x = xs[0];
  switch (n.op) {
    case 'layer': {
      const l = layerAt(m, n.conv);
      const shape = l.kind === 'fc' ? [l.outC] : [l.outH, l.outW, l.outC];
      return [e.layer(l, x, inShapes[0]), shape];
    }
    case 'add': {
      const y = e.activation(n.name, inShapes[0], n.output);
      e.op('add', n.name, xs, [y], { activation: 'none' });
      return [y, inShapes[0]];
    }
    case 'mean': {
      const c = inShapes[0][2];
      const keep = e.nchw;
      const y = e.tensor({
        name: n.name,
        shape: keep ? [1, c, 1, 1] : [1, c],
        dtype: 'int8',
        quant: { scale: [n.output.scale], zeroPoint: [n.output.zeroPoint], axis: null },
        data: null,
      });
      e.op('mean', n.name, [x], [y], { axes: keep ? [2, 3] : [1, 2], keepDims: keep });
      // ONNX keeps the pooled dims: our [c] is the view [1, 1, c] of it, which an fc flattens
      return [y, keep ? [1, 1, c] : [c]];
    }
    case 'reshape': {
      const q = nodeOutput(m, n.inputs[0]);
      const y = e.activation(n.name, n.shape, q);
      e.op('reshape', n.name, [x], [y], { newShape: e.fileShape(n.shape) });
      const [from] = inShapes;
      if (e.nchw && from.length === 3 && from[2] > 1 && from[0] * from[1] > 1) {
        if (n.shape.length !== 1) throw new Error(`export: ${n.name} reshapes an NCHW tensor other than flattening it`);
        e.flattened.set(y, from);
      }
      return [y, n.shape];
    }
    case 'pad': {
      const [h, w, c] = inShapes[0];
      const { top, left, bottom, right } = n.pad;
      const shape = [h + top + bottom, w + left + right, c];
      const y = e.activation(n.name, shape, n.output);
      const sp: [number, number][] = [
        [top, bottom],
        [left, right],
      ];
      const paddings: [number, number][] = e.nchw ? [[0, 0], [0, 0], ...sp] : [[0, 0], ...sp, [0, 0]];
      e.op('pad', n.name, [x], [y], { paddings });
      return [y, shape];
    }
    case 'avgpool':
    case 'maxpool': {
      const [h, w, c] = inShapes[0];
      const { kernel: k, stride: s, pad: p } = n.window;
      const shape = [windowOut(h, k[0], s[0], p.top, p.bottom), windowOut(w, k[1], s[1], p.left, p.right), c];
      const y = e.activation(n.name, shape, n.output);
      const padding = windowPadding(e, n, [h, w], shape);
      const options = { stride: s, padding, filter: k, activation: 'none' as const };
      e.op(n.op === 'avgpool' ? 'averagePool2d' : 'maxPool2d', n.name, [x], [y], options);
      return [y, shape];
    }
  }
}

/** A pool's padding: explicit in ONNX; in TFLite SAME or VALID, whichever says the same (else refused). */
function windowPadding(
  e: Exporter,
  n: Extract<ModelNode, { window: unknown }>,
  inHW: number[],
  out: number[],
): Padding {
  const { kernel: k, stride: s, pad: p } = n.window;
  if (e.nchw) return { kind: 'explicit', ...p };
  const pads = [p.top, p.left, p.bottom, p.right].join();
  for (const padding of [{ kind: 'valid' }, { kind: 'same' }] as const)
    if (paddingOf(padding, [inHW[0], inHW[1]], [out[0], out[1]], k, s).join() === pads) return padding;
  throw new Error(`export: ${n.name}: TFLite pools pad SAME or VALID only, not ${pads} (top, left, bottom, right)`);
}
