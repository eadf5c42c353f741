/**
 * The ONNX op table: one converter per supported op type (standard domain, plus the com.microsoft QLinear ops
 * that ONNX Runtime's quantizer emits). Each returns a typed OpDesc, or null for nodes folded away (Constant,
 * DequantizeLinear of an initializer).
 */
import type { OnnxNode } from './onnx-proto';
import { FOLDED_OPS } from './onnx-fold';
import type { OnnxContext } from './onnx';
import {
  attr,
  attrInt,
  attrInts,
  attrString,
  convOp,
  inputAt as inp,
  op,
  outputAt as out,
  pair,
  padding,
  quantParams,
  windowOut,
  type OnnxConverter,
} from './onnx-op-helpers';
import { elementCount, type ImportDType, type OpDesc, type TensorQuant } from './types';

const dtypeOf = (ctx: OnnxContext, id: number): ImportDType => ctx.tensors[id].dtype;
const quantOf = (ctx: OnnxContext, id: number): TensorQuant | null => ctx.tensors[id].quant;
const F32 = 'float32' as const;

/** A [K, N] constant (MatMul / Gemm transB = 0) stored as [N, K]: fully connected weights are [out, in]. */
function fcWeights(ctx: OnnxContext, name: string, node: string, transposed: boolean, q: TensorQuant | null): number {
  const known = ctx.id(transposed ? name : `${name}^T`);
  if (known !== undefined) return known;
  if (!ctx.isConstant(name)) ctx.fail('invalid', `node ${node} needs constant weights (${name})`);
  const t = ctx.constantTensor(name, node);
  if (t.data === null || t.shape.length !== 2) ctx.fail('invalid', `node ${node} needs 2-D weights (${name})`);
  const quant = q ?? t.quant;
  if (transposed) return ctx.add({ ...t, quant });
  const [k, n] = t.shape;
  const data = t.data.slice();
  for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) data[j * k + i] = t.data[i * n + j];
  const axis = quant?.axis ?? null;
  return ctx.add({
    name: `${name}^T`,
    shape: [n, k],
    dtype: t.dtype,
    quant: quant && { ...quant, axis: axis === null ? null : 1 - axis },
    data,
  });
}

function fullyConnected(
  ctx: OnnxContext,
  node: OnnxNode,
  name: string,
  ids: { x: number; w: number; b: number | null },
  dtype: ImportDType,
  quant: TensorQuant | null,
): OpDesc {
  const xs = ctx.shape(ids.x);
  const [n, k] = ctx.shape(ids.w);
  if (xs.length !== 2 || xs[1] !== k)
    ctx.fail('invalid', `node ${name} multiplies [${xs}] by weights of ${k} inputs; a 2-D input is needed`);
  if (ids.b !== null && elementCount(ctx.shape(ids.b)) !== n)
    ctx.fail('invalid', `node ${name} has a bias of shape [${ctx.shape(ids.b)}] for ${n} outputs`);
  const y = ctx.output(out(node, 0), name, [xs[0], n], dtype, quant);
  return op(node, name, 'fullyConnected', [ids.x, ids.w, ids.b], [y], { activation: 'none' });
}

/** Int8 ops pass quantization through unchanged (max pool, reshape, flatten, relu on int8). */
function passThrough(ctx: OnnxContext, x: number): { dtype: ImportDType; quant: TensorQuant | null } {
  return { dtype: dtypeOf(ctx, x), quant: quantOf(ctx, x) };
}

function pool(
  ctx: OnnxContext,
  node: OnnxNode,
  name: string,
  x: number,
  kind: 'averagePool2d' | 'maxPool2d',
  y: {
    dtype: ImportDType;
    quant: TensorQuant | null;
  },
): OpDesc {
  if (attrInt(node, 'ceil_mode', 0) !== 0) ctx.fail('unsupported-op', `node ${name} uses ceil_mode 1`);
  const pad = padding(ctx, node, name);
  const zeroPad =
    pad.kind === 'valid' || (pad.kind === 'explicit' && pad.top + pad.left + pad.bottom + pad.right === 0);
  if (kind === 'averagePool2d' && attrInt(node, 'count_include_pad', 0) !== 0 && !zeroPad)
    ctx.fail('unsupported-op', `node ${name} averages padding in (count_include_pad 1); only 0 is supported`);
  if (kind === 'maxPool2d' && ((node.output ?? []).length > 1 || attrInt(node, 'storage_order', 0) !== 0))
    ctx.fail('unsupported-op', `node ${name} asks MaxPool for indices / column-major storage`);
  const ks = attrInts(node, 'kernel_shape', []);
  if (ks.length !== 2) ctx.fail('unsupported-op', `node ${name} has kernel_shape [${ks}]; only 2-D is supported`);
  const filter: [number, number] = [ks[0], ks[1]];
  const stride = pair(ctx, node, name, 'strides');
  const dilation = pair(ctx, node, name, 'dilations');
  if (dilation[0] !== 1 || dilation[1] !== 1) ctx.fail('unsupported-op', `node ${name} is a dilated pool`);
  const xs = ctx.shape(x);
  const [oh, ow] = windowOut(xs, filter, stride, dilation, pad);
  const yid = ctx.output(out(node, 0), name, [xs[0], xs[1], oh, ow], y.dtype, y.quant);
  return op(node, name, kind, [x], [yid], { stride, padding: pad, filter, activation: 'none' });
}

function globalMean(
  ctx: OnnxContext,
  node: OnnxNode,
  name: string,
  x: number,
  channelsLast: boolean,
  y: {
    dtype: ImportDType;
    quant: TensorQuant | null;
  },
): OpDesc {
  const xs = ctx.shape(x);
  if (xs.length !== 4) ctx.fail('invalid', `node ${name} pools a rank-${xs.length} tensor`);
  const axes = channelsLast ? [1, 2] : [2, 3];
  const shape = xs.map((d, i) => (axes.includes(i) ? 1 : d));
  const yid = ctx.output(out(node, 0), name, shape, y.dtype, y.quant);
  return op(node, name, 'mean', [x], [yid], { axes, keepDims: true });
}

function broadcast(ctx: OnnxContext, name: string, a: number[], b: number[]): number[] {
  const r = Math.max(a.length, b.length);
  return Array.from({ length: r }, (_, i) => {
    const x = a[i - r + a.length] ?? 1;
    const y = b[i - r + b.length] ?? 1;
    if (x !== y && x !== 1 && y !== 1) ctx.fail('invalid', `node ${name} adds shapes [${a}] and [${b}]`);
    return Math.max(x, y);
  });
}

function reshapeTo(ctx: OnnxContext, node: OnnxNode, name: string, x: number, newShape: number[], shape: number[]) {
  if (elementCount(shape) !== elementCount(ctx.shape(x)))
    ctx.fail('invalid', `node ${name} reshapes [${ctx.shape(x)}] to [${shape}]`);
  const y = ctx.output(out(node, 0), name, shape, dtypeOf(ctx, x), quantOf(ctx, x));
  return op(node, name, 'reshape', [x], [y], { newShape });
}

function clipBound(ctx: OnnxContext, node: OnnxNode, i: number, key: string): number | null {
  const name = inp(node, i);
  if (name) return (ctx.values(name, `Clip bound`) as Float32Array)[0];
  const a = attr(node, key);
  return a?.f ?? null;
}

const floatClipKind = (lo: number | null, hi: number | null) =>
  lo === 0 && hi === 6 ? 'relu6' : lo === 0 && (hi === null || hi >= 3.4e38) ? 'relu' : null;

/** An int8 Clip is a ReLU when it clamps at the zero point (and 127), a ReLU6 when also at the step of 6. */
function int8ClipKind(q: TensorQuant, lo: number | null, hi: number | null): 'relu' | 'relu6' | null {
  const zp = q.zeroPoint[0];
  if (lo !== zp) return null;
  if (hi === null || hi === 127) return 'relu';
  return hi === Math.min(127, zp + Math.round(6 / q.scale[0])) ? 'relu6' : null;
}

const quantizeIO = (ctx: OnnxContext, node: OnnxNode, name: string, x: number) =>
  quantParams(ctx, node, name, inp(node, 1), inp(node, 2), ctx.shape(x).length);

export const ONNX_CONVERTERS: Record<string, OnnxConverter> = {
  ...FOLDED_OPS,
  Constant: (ctx, node, name) => {
    const t = attr(node, 'value')?.t;
    if (!t) return ctx.fail('unsupported-op', `Constant node ${name} is not a tensor value`);
    ctx.addConstant(out(node, 0), t);
    return null;
  },
  QuantizeLinear: (ctx, node, name) => {
    const x = ctx.input(inp(node, 0), name);
    const y = ctx.output(out(node, 0), name, ctx.shape(x), 'int8', quantizeIO(ctx, node, name, x));
    return op(node, name, 'quantize', [x], [y], {});
  },
  DequantizeLinear: (ctx, node, name) => {
    const q = inp(node, 0);
    if (ctx.isConstant(q)) {
      const rank = ctx.dimsOf(q).length;
      ctx.foldDequantize(out(node, 0), q, quantParams(ctx, node, name, inp(node, 1), inp(node, 2), rank));
      return null;
    }
    const x = ctx.input(q, name);
    ctx.setQuant(x, quantizeIO(ctx, node, name, x), name);
    const y = ctx.output(out(node, 0), name, ctx.shape(x), F32, null);
    return op(node, name, 'dequantize', [x], [y], {});
  },
  Conv: (ctx, node, name) => {
    const b = inp(node, 2);
    const ids = {
      x: ctx.input(inp(node, 0), name),
      w: ctx.input(inp(node, 1), name),
      b: b ? ctx.input(b, name) : null,
    };
    return convOp(ctx, node, name, ids, { name: out(node, 0), dtype: F32, quant: null });
  },
  QLinearConv: (ctx, node, name) => {
    const x = ctx.input(inp(node, 0), name);
    const xq = quantParams(ctx, node, name, inp(node, 1), inp(node, 2), 4);
    ctx.setQuant(x, xq, name);
    const w = ctx.input(inp(node, 3), name);
    const wq = { ...quantParams(ctx, node, name, inp(node, 4), inp(node, 5), 4) };
    wq.axis = wq.scale.length > 1 ? 0 : null;
    ctx.setQuant(w, wq, name);
    let b: number | null = null;
    if (inp(node, 8)) {
      b = ctx.input(inp(node, 8), name);
      const scale = wq.scale.map((s) => xq.scale[0] * s);
      ctx.setQuant(b, { scale, zeroPoint: scale.map(() => 0), axis: scale.length > 1 ? 0 : null }, name);
    }
    const yq = quantParams(ctx, node, name, inp(node, 6), inp(node, 7), 4);
    return convOp(ctx, node, name, { x, w, b }, { name: out(node, 0), dtype: 'int8', quant: yq });
  },
  Gemm: (ctx, node, name) => {
    const alpha = attr(node, 'alpha')?.f ?? 1;
    const beta = attr(node, 'beta')?.f ?? 1;
    if (alpha !== 1 || beta !== 1 || attrInt(node, 'transA', 0) !== 0)
      ctx.fail('unsupported-op', `node ${name} is a Gemm with alpha/beta other than 1 or a transposed input`);
    const x = ctx.input(inp(node, 0), name);
    const w = fcWeights(ctx, inp(node, 1), name, attrInt(node, 'transB', 0) === 1, null);
    const b = inp(node, 2) ? ctx.input(inp(node, 2), name) : null;
    return fullyConnected(ctx, node, name, { x, w, b }, dtypeOf(ctx, x), null);
  },
  MatMul: (ctx, node, name) => {
    const x = ctx.input(inp(node, 0), name);
    const w = fcWeights(ctx, inp(node, 1), name, false, null);
    return fullyConnected(ctx, node, name, { x, w, b: null }, dtypeOf(ctx, x), null);
  },
  QLinearMatMul: (ctx, node, name) => {
    const x = ctx.input(inp(node, 0), name);
    ctx.setQuant(x, quantParams(ctx, node, name, inp(node, 1), inp(node, 2), 2), name);
    const wq = quantParams(ctx, node, name, inp(node, 4), inp(node, 5), 2);
    const w = fcWeights(ctx, inp(node, 3), name, false, { ...wq, axis: wq.scale.length > 1 ? 1 : null });
    const yq = quantParams(ctx, node, name, inp(node, 6), inp(node, 7), 2);
    return fullyConnected(ctx, node, name, { x, w, b: null }, 'int8', yq);
  },
  /** com.microsoft QGemm: int8 A x B (+ int32 bias C), requantized to y; B per-column quantized. */
  QGemm: (ctx, node, name) => {
    if (attrInt(node, 'transA', 0) !== 0 || (attr(node, 'alpha')?.f ?? 1) !== 1 || !inp(node, 7))
      ctx.fail('unsupported-op', `node ${name} is a QGemm with a transposed input, alpha other than 1 or float output`);
    const x = ctx.input(inp(node, 0), name);
    const xq = quantParams(ctx, node, name, inp(node, 1), inp(node, 2), 2);
    ctx.setQuant(x, xq, name);
    const transB = attrInt(node, 'transB', 0) === 1;
    const wq = quantParams(ctx, node, name, inp(node, 4), inp(node, 5), 2);
    const perColumn = wq.scale.length > 1;
    const w = fcWeights(ctx, inp(node, 3), name, transB, { ...wq, axis: perColumn ? (transB ? 0 : 1) : null });
    let b: number | null = null;
    if (inp(node, 6)) {
      b = ctx.input(inp(node, 6), name);
      const scale = wq.scale.map((s) => xq.scale[0] * s);
      ctx.setQuant(b, { scale, zeroPoint: scale.map(() => 0), axis: perColumn ? 0 : null }, name);
    }
    const yq = quantParams(ctx, node, name, inp(node, 7), inp(node, 8), 2);
    return fullyConnected(ctx, node, name, { x, w, b }, 'int8', yq);
  },
  Add: (ctx, node, name) => {
    const a = ctx.input(inp(node, 0), name);
    const b = ctx.input(inp(node, 1), name);
    const y = ctx.output(out(node, 0), name, broadcast(ctx, name, ctx.shape(a), ctx.shape(b)), dtypeOf(ctx, a), null);
    return op(node, name, 'add', [a, b], [y], { activation: 'none' });
  },
  QLinearAdd: (ctx, node, name) => {
    const a = ctx.input(inp(node, 0), name);
    ctx.setQuant(a, quantParams(ctx, node, name, inp(node, 1), inp(node, 2), 4), name);
    const b = ctx.input(inp(node, 3), name);
    ctx.setQuant(b, quantParams(ctx, node, name, inp(node, 4), inp(node, 5), 4), name);
    const yq = quantParams(ctx, node, name, inp(node, 6), inp(node, 7), 4);
    const y = ctx.output(out(node, 0), name, broadcast(ctx, name, ctx.shape(a), ctx.shape(b)), 'int8', yq);
    return op(node, name, 'add', [a, b], [y], { activation: 'none' });
  },
  Relu: (ctx, node, name) => {
    const x = ctx.input(inp(node, 0), name);
    const t = passThrough(ctx, x);
    return op(node, name, 'relu', [x], [ctx.output(out(node, 0), name, ctx.shape(x), t.dtype, t.quant)], {});
  },
  Clip: (ctx, node, name) => {
    const x = ctx.input(inp(node, 0), name);
    const lo = clipBound(ctx, node, 1, 'min');
    const hi = clipBound(ctx, node, 2, 'max');
    const q = quantOf(ctx, x);
    const kind = dtypeOf(ctx, x) === 'int8' && q ? int8ClipKind(q, lo, hi) : floatClipKind(lo, hi);
    if (!kind)
      return ctx.fail('unsupported-op', `node ${name} is Clip(${lo}, ${hi}); supported: Clip(0, 6) and Clip(0)`);
    const t = passThrough(ctx, x);
    return op(node, name, kind, [x], [ctx.output(out(node, 0), name, ctx.shape(x), t.dtype, t.quant)], {});
  },
  GlobalAveragePool: (ctx, node, name) => {
    const x = ctx.input(inp(node, 0), name);
    return globalMean(ctx, node, name, x, false, passThrough(ctx, x));
  },
  QLinearGlobalAveragePool: (ctx, node, name) => {
    const x = ctx.input(inp(node, 0), name);
    ctx.setQuant(x, quantParams(ctx, node, name, inp(node, 1), inp(node, 2), 4), name);
    const yq = quantParams(ctx, node, name, inp(node, 3), inp(node, 4), 4);
    return globalMean(ctx, node, name, x, attrInt(node, 'channels_last', 0) === 1, { dtype: 'int8', quant: yq });
  },
  AveragePool: (ctx, node, name) => {
    const x = ctx.input(inp(node, 0), name);
    return pool(ctx, node, name, x, 'averagePool2d', passThrough(ctx, x));
  },
  QLinearAveragePool: (ctx, node, name) => {
    const x = ctx.input(inp(node, 0), name);
    ctx.setQuant(x, quantParams(ctx, node, name, inp(node, 1), inp(node, 2), 4), name);
    if (attrInt(node, 'channels_last', 0) !== 0) ctx.fail('unsupported-op', `node ${name} is channels_last`);
    const yq = quantParams(ctx, node, name, inp(node, 3), inp(node, 4), 4);
    return pool(ctx, node, name, x, 'averagePool2d', { dtype: 'int8', quant: yq });
  },
  MaxPool: (ctx, node, name) => {
    const x = ctx.input(inp(node, 0), name);
    return pool(ctx, node, name, x, 'maxPool2d', passThrough(ctx, x));
  },
  Flatten: (ctx, node, name) => {
    const x = ctx.input(inp(node, 0), name);
    const xs = ctx.shape(x);
    const axis = ((a) => (a < 0 ? a + xs.length : a))(attrInt(node, 'axis', 1));
    const shape = [elementCount(xs.slice(0, axis)), elementCount(xs.slice(axis))];
    return reshapeTo(ctx, node, name, x, shape, shape);
  },
  Reshape: (ctx, node, name) => {
    const x = ctx.input(inp(node, 0), name);
    const xs = ctx.shape(x);
    const requested = Array.from(ctx.values(inp(node, 1), `shape of node ${name}`) as number[]);
    const allowZero = attrInt(node, 'allowzero', 0) === 1;
    const shape = requested.map((d, i) => (d === 0 && !allowZero ? xs[i] : d));
    const known = elementCount(shape.filter((d) => d !== -1));
    const resolved = shape.map((d) => (d === -1 ? elementCount(xs) / known : d));
    return reshapeTo(ctx, node, name, x, requested, resolved);
  },
  Pad: (ctx, node, name) => {
    const x = ctx.input(inp(node, 0), name);
    const xs = ctx.shape(x);
    if (attrString(node, 'mode', 'constant') !== 'constant')
      ctx.fail('unsupported-op', `node ${name} is a non-constant Pad`);
    const flat = inp(node, 1)
      ? Array.from(ctx.values(inp(node, 1), `pads of node ${name}`) as number[])
      : attrInts(node, 'pads', []);
    if (flat.length !== 2 * xs.length || flat.some((p) => p < 0))
      ctx.fail('unsupported-op', `node ${name} has pads [${flat}] (negative or wrong length)`);
    const value = inp(node, 2) ? Number((ctx.values(inp(node, 2), 'pad value') as Float32Array)[0]) : 0;
    const zero = quantOf(ctx, x)?.zeroPoint[0] ?? 0;
    if (value !== (dtypeOf(ctx, x) === 'int8' ? zero : 0))
      ctx.fail('unsupported-op', `node ${name} pads with ${value}; only zero padding is supported`);
    const paddings = xs.map((_, i): [number, number] => [flat[i], flat[i + xs.length]]);
    const shape = xs.map((d, i) => d + paddings[i][0] + paddings[i][1]);
    const t = passThrough(ctx, x);
    return op(node, name, 'pad', [x], [ctx.output(out(node, 0), name, shape, t.dtype, t.quant)], { paddings });
  },
  Softmax: (ctx, node, name) => {
    const x = ctx.input(inp(node, 0), name);
    const rank = ctx.shape(x).length;
    const a = attrInt(node, 'axis', ctx.opset >= 13 ? -1 : 1);
    const axis = a < 0 ? a + rank : a;
    if (ctx.opset < 13 && axis !== rank - 1)
      ctx.fail('unsupported-op', `node ${name} is a Softmax over flattened axes`);
    const y = ctx.output(out(node, 0), name, ctx.shape(x), dtypeOf(ctx, x), null);
    return op(node, name, 'softmax', [x], [y], { beta: 1, axis });
  },
};

export const SUPPORTED_ONNX_OPS = Object.keys(ONNX_CONVERTERS).sort();
