/**
 * One imported conv-like op (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED; QLinearConv, QLinearMatMul, Conv and
 * Gemm between Q/DQ) as a layer of the generic model: kind, geometry, padding and int8 weights in the layouts of
 * tt_kernels.h, per-channel weight scales (a per-tensor scale repeated), int32 biases. What the kernels cannot
 * express yet (a rectangular window on a depthwise conv, dilation, grouped convs, asymmetric weights) throws an ImportError naming the op, the node and the reason.
 *
 * Layouts: TFLite conv [O, H, W, I] is ours; depthwise [1, H, W, C*M] is ours ([k][k][c]) for M = 1 and, with
 * one input channel, a general conv [M][kh][kw][1] (rectangular kernels, two strides and separate top / left
 * padding are the general conv's: kernelW, strideW, padLeft). ONNX conv [O, I, H, W] becomes [O][H][W][I]; a depthwise
 * (group = C = O) [C, 1, H, W] becomes [H][W][C]. fc weights are [out][in] in both (the reader transposes
 * MatMul); an fc reading an NCHW tensor flattened in C, H, W order gets its columns permuted to H, W, C.
 */
import type { LayerSpec } from '../models/generic';
import type { QParams } from '../quant';
import { ImportError, type OpDesc, type Padding, type TensorDesc } from './types';

export type ConvDesc = Extract<OpDesc, { kind: 'conv2d' | 'depthwiseConv2d' | 'fullyConnected' }>;

export const refuse = (op: OpDesc, why: string): never => {
  throw new ImportError('unsupported-op', `${op.sourceOp} (node ${op.name}): ${why}`);
};

/** The per-tensor int8 quantization of an activation. */
export function qparamsOf(t: TensorDesc, op: OpDesc): QParams {
  const q = t.quant;
  if (!q || q.scale.length !== 1) return refuse(op, `tensor ${t.name} needs one int8 scale and zero point`);
  if (t.dtype !== 'int8') return refuse(op, `tensor ${t.name} is ${t.dtype}; activations must be int8`);
  return { scale: q.scale[0], zeroPoint: q.zeroPoint[0] };
}

/** RELU6 folds into the clamp when 6.0 is at or above the int8 maximum of the output. */
export function checkRelu6(op: OpDesc, q: QParams): void {
  const top = q.zeroPoint + Math.round(6 / q.scale);
  if (top < 127) refuse(op, `relu6 clamps at q = ${top} below 127; the kernels clamp at the int8 maximum only`);
}

/** Per-output-channel weight scales from a tensor's quantization (per-tensor repeated); zero points must be 0. */
function weightScales(op: OpDesc, w: TensorDesc, outC: number): Float32Array {
  const q = w.quant;
  if (!q) return refuse(op, `weights ${w.name} are not quantized`);
  if (q.zeroPoint.some((z) => z !== 0)) refuse(op, `weights ${w.name} are asymmetric (zero point != 0)`);
  if (q.scale.length !== 1 && q.scale.length !== outC)
    refuse(op, `weights ${w.name} have ${q.scale.length} scales for ${outC} output channels`);
  return Float32Array.from({ length: outC }, (_, c) => q.scale[q.scale.length === 1 ? 0 : c]);
}

function int8Data(op: OpDesc, w: TensorDesc): Int8Array {
  if (!(w.data instanceof Int8Array)) return refuse(op, `weights ${w.name} are not int8 constants`);
  for (let i = 0; i < w.data.length; i++)
    if (w.data[i] === -128) refuse(op, `weights ${w.name} hold -128; int8 weights must be symmetric in [-127, 127]`);
  return w.data;
}

function biasData(op: OpDesc, b: TensorDesc | null, outC: number): Int32Array {
  if (!b) return new Int32Array(outC);
  if (!(b.data instanceof Int32Array) || b.data.length !== outC)
    return refuse(op, `bias ${b.name} must be ${outC} int32 constants`);
  return b.data;
}

/** [top, left, bottom, right] padding of a window, TFLite / ONNX rules (SAME: the odd pixel at the end). */
export function paddingOf(
  p: Padding,
  inHW: [number, number],
  outHW: [number, number],
  k: [number, number],
  s: [number, number],
) {
  if (p.kind === 'explicit') return [p.top, p.left, p.bottom, p.right];
  if (p.kind === 'valid') return [0, 0, 0, 0];
  const total = [0, 1].map((d) => Math.max((outHW[d] - 1) * s[d] + k[d] - inHW[d], 0));
  const before = total.map((t) => (p.kind === 'same' ? Math.floor(t / 2) : Math.ceil(t / 2)));
  return [before[0], before[1], total[0] - before[0], total[1] - before[1]];
}

/** Our [h, w, c] of an NHWC / NCHW activation shape (batch 1), or [n] for a vector. */
export function hwcShape(shape: readonly number[], layout: 'NHWC' | 'NCHW'): number[] {
  const s = shape.length > 1 && shape[0] === 1 ? shape.slice(1) : [...shape];
  if (s.length === 1) return s;
  if (s.length === 3) return layout === 'NHWC' ? s : [s[1], s[2], s[0]];
  return [s.reduce((a, b) => a * b, 1)];
}

export interface LayerContext {
  layout: 'NHWC' | 'NCHW';
  tensors: TensorDesc[];
  /** Our shape of what the op reads and writes. */
  inShape: number[];
  outShape: number[];
  /** The fc reads an NCHW [c, h, w] tensor flattened: its columns are permuted to our h, w, c order. */
  chw: [number, number, number] | null;
  /** Extra zero padding [top, left, bottom, right] folded in from a PAD before the op. */
  prePad: number[];
  output: QParams;
  relu: boolean;
}

/** The layer spec of a conv-like op. */
export function layerSpec(op: ConvDesc, name: string, ctx: LayerContext): Omit<LayerSpec, 'name'> & { name: string } {
  const [, wId, bId] = op.inputs;
  const w = ctx.tensors[wId!];
  const b = bId === null || bId === undefined ? null : ctx.tensors[bId];
  const common = { name, output: ctx.output, relu: ctx.relu };
  if (op.kind === 'fullyConnected') {
    const [outC, inC] = w.shape;
    let weight = int8Data(op, w);
    if (ctx.chw) weight = permuteChw(weight, outC, ctx.chw);
    return {
      ...common,
      kind: 'fc',
      inC,
      outC,
      kernel: 1,
      stride: 1,
      weight,
      bias: biasData(op, b, outC),
      weightScale: weightScales(op, w, outC),
    };
  }
  const o = op.options;
  if (o.dilation.some((d) => d !== 1)) refuse(op, `dilation ${o.dilation.join('x')} is not supported (only 1)`);
  const nhwc = ctx.layout === 'NHWC';
  const [kh, kw] = nhwc ? w.shape.slice(1, 3) : w.shape.slice(2, 4);
  const [inH, inW, inC] = ctx.inShape;
  const [outH, outW, outC] = ctx.outShape;
  const [sh, sw] = o.stride;
  const [top, left] = paddingOf(o.padding, [inH, inW], [outH, outW], [kh, kw], o.stride).map(
    (p, i) => p + (ctx.prePad[i] ?? 0),
  );
  if (top >= kh || left >= kw) refuse(op, `padding ${top},${left} is not smaller than the kernel ${kh}x${kw}`);
  const data = int8Data(op, w);
  const square = kh === kw && sh === sw && top === left;
  // only the general conv takes a rectangular window; depthwise and pointwise layers are square
  const geo = { kernel: kh, stride: sh, pad: top, outH, outW };
  const width = square ? {} : { kernelW: kw, strideW: sw, padLeft: left };
  const needSquare = () => {
    if (kh !== kw) refuse(op, `kernel ${kh}x${kw} is not square; only a general conv takes a rectangular kernel`);
    if (sh !== sw) refuse(op, `strides ${o.stride.join(',')} differ; only a general conv takes two strides`);
    if (top !== left) refuse(op, `padding top ${top} != left ${left}; only a general conv pads them apart`);
  };
  const group = op.kind === 'conv2d' ? op.options.group : inC;
  if (op.kind === 'depthwiseConv2d' || group > 1) {
    if (group !== inC) refuse(op, `a grouped conv (group ${group} of ${inC} channels) is not supported`);
    const m = outC / inC;
    if (m === 1) {
      needSquare();
      const weight = nhwc ? data : chwToHwc(data, outC, kh, kw);
      return {
        ...common,
        kind: 'depthwise',
        inC,
        outC,
        ...geo,
        weight,
        bias: biasData(op, b, outC),
        weightScale: weightScales(op, w, outC),
      };
    }
    if (inC !== 1) refuse(op, `depth multiplier ${m} on ${inC} channels is a grouped conv, which is not supported`);
    // one input channel: a general conv with M outputs, [1][kh][kw][M] -> [M][kh][kw][1]
    const weight = nhwc ? transposeLast(data, kh * kw, outC) : data;
    return {
      ...common,
      kind: 'conv',
      inC,
      outC,
      ...geo,
      ...width,
      weight,
      bias: biasData(op, b, outC),
      weightScale: weightScales(op, w, outC),
    };
  }
  const weight = nhwc ? data : oihwToOhwi(data, outC, inC, kh, kw);
  const pointwise = kh === 1 && kw === 1 && sh === 1 && sw === 1 && top === 0 && left === 0;
  return {
    ...common,
    kind: pointwise ? 'pointwise' : 'conv',
    inC,
    outC,
    ...geo,
    ...(pointwise ? {} : width),
    weight,
    bias: biasData(op, b, outC),
    weightScale: weightScales(op, w, outC),
  };
}

/** [O][I][H][W] -> [O][H][W][I]. */
function oihwToOhwi(a: Int8Array, o: number, i: number, h: number, w: number): Int8Array {
  const out = new Int8Array(a.length);
  for (let n = 0; n < o; n++)
    for (let c = 0; c < i; c++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) out[((n * h + y) * w + x) * i + c] = a[((n * i + c) * h + y) * w + x];
  return out;
}

/** Depthwise [C][1][H][W] -> [H][W][C]. */
function chwToHwc(a: Int8Array, c: number, h: number, w: number): Int8Array {
  const out = new Int8Array(a.length);
  for (let n = 0; n < c; n++) for (let p = 0; p < h * w; p++) out[p * c + n] = a[n * h * w + p];
  return out;
}

/** [P][M] -> [M][P]. */
function transposeLast(a: Int8Array, p: number, m: number): Int8Array {
  const out = new Int8Array(a.length);
  for (let i = 0; i < p; i++) for (let j = 0; j < m; j++) out[j * p + i] = a[i * m + j];
  return out;
}

/** fc columns in C, H, W order -> H, W, C order. */
function permuteChw(a: Int8Array, outC: number, [c, h, w]: [number, number, number]): Int8Array {
  const out = new Int8Array(a.length);
  const n = c * h * w;
  for (let o = 0; o < outC; o++)
    for (let ch = 0; ch < c; ch++) for (let p = 0; p < h * w; p++) out[o * n + p * c + ch] = a[o * n + ch * h * w + p];
  return out;
}
