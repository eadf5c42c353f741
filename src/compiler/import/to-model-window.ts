/**
 * The import mapping of the windowed ops (to-model.ts): a spatial PAD, folded into the padding of the conv that
 * reads it when the kernels can pad that much, else a pad node; AVERAGE_POOL_2D / MAX_POOL_2D (QLinearAveragePool,
 * MaxPool) as avgpool / maxpool nodes with the file's window.
 */
import { windowOut } from '../models/nodes';
import type { Mapper } from './to-model';
import { paddingOf, refuse } from './to-model-layers';
import type { OpDesc } from './types';

/** A spatial zero-point PAD: folded into the padding of the one conv that reads it, else a pad node. */
export function padOp(m: Mapper, op: Extract<OpDesc, { kind: 'pad' }>, x: number, out: number): void {
  const p = op.options.paddings;
  const readers = m.readers.get(out) ?? [];
  const conv = readers[0];
  const spatial = m.d.layout === 'NHWC' ? [1, 2] : [2, 3];
  if (p.some((pp, d) => !spatial.includes(d) && (pp[0] !== 0 || pp[1] !== 0)))
    return refuse(op, 'only spatial padding is supported (not of the batch or channel dimensions)');
  if (p.some((pp) => pp[0] < 0 || pp[1] < 0)) return refuse(op, 'negative padding (a crop) is not supported');
  const [t, b] = p[spatial[0]];
  const [l, r] = p[spatial[1]];
  const foldable = readers.length === 1 && (conv.kind === 'conv2d' || conv.kind === 'depthwiseConv2d');
  if (foldable && foldablePad(m, conv, out, [t, l])) {
    m.prePad.set(out, { from: x, pad: [t, l, b, r] });
    m.rep.set(out, m.repOf(x, op));
    return;
  }
  const xr = m.repOf(x, op);
  if (xr.chw) refuse(op, 'padding a flattened NCHW tensor is not supported');
  const [h, w, c] = m.shapeOf(xr.node);
  const { q, pending } = m.outQuant(out, op);
  const pad = { top: t, left: l, bottom: b, right: r };
  const node = m.push({ op: 'pad', name: m.nameOf(op), inputs: [xr.node], block: -1, pad, output: q }, [
    h + t + b,
    w + l + r,
    c,
  ]);
  m.sources.set(node, op);
  if (pending) m.pending.add(node);
  m.rep.set(out, { node, chw: null });
}

/** Whether a conv reading a PAD's output can take the pad as its own (the kernels pad at most kernel - 1). */
function foldablePad(m: Mapper, conv: OpDesc, padded: number, [t, l]: number[]): boolean {
  if (conv.kind !== 'conv2d' && conv.kind !== 'depthwiseConv2d') return false;
  const w = m.d.tensors[conv.inputs[1]!].shape;
  const [kh, kw] = m.d.layout === 'NHWC' ? w.slice(1, 3) : w.slice(2, 4);
  const [inH, inW] = m.ourShape(padded);
  const [outH, outW] = m.ourShape(conv.outputs[0]);
  const [ct, cl] = paddingOf(conv.options.padding, [inH, inW], [outH, outW], [kh, kw], conv.options.stride);
  const square = conv.kind === 'depthwiseConv2d' || conv.options.group > 1;
  return t + ct < kh && l + cl < kw && (!square || t + ct === l + cl);
}

/** A windowed average or max pool (TFLite / ONNX; SAME puts the odd pixel at the end). */
export function poolOp(
  m: Mapper,
  op: Extract<OpDesc, { kind: 'averagePool2d' | 'maxPool2d' }>,
  x: number,
  out: number,
): void {
  const o = op.options;
  if (o.activation !== 'none') refuse(op, `a pool with a fused ${o.activation} is not supported`);
  const r = m.repOf(x, op);
  if (r.chw) refuse(op, 'pooling a flattened NCHW tensor is not supported');
  const [h, w, c] = m.shapeOf(r.node);
  if (c === undefined) refuse(op, `pools an [${m.shapeOf(r.node).join(', ')}] tensor; expected [h, w, c]`);
  const want = m.ourShape(out);
  const [top, left, bottom, right] = paddingOf(o.padding, [h, w], [want[0], want[1]], o.filter, o.stride);
  if (top >= o.filter[0] || left >= o.filter[1]) refuse(op, `padding ${top},${left} reaches past the window`);
  const window = { kernel: o.filter, stride: o.stride, pad: { top, left, bottom, right } };
  const got = [
    windowOut(h, o.filter[0], o.stride[0], top, bottom),
    windowOut(w, o.filter[1], o.stride[1], left, right),
  ];
  if (got[0] !== want[0] || got[1] !== want[1])
    refuse(op, `its output is ${want[0]}x${want[1]}, but the window gives ${got[0]}x${got[1]}`);
  const { q, pending } = m.outQuant(out, op);
  const kind = op.kind === 'averagePool2d' ? ('avgpool' as const) : ('maxpool' as const);
  const node = m.push({ op: kind, name: m.nameOf(op), inputs: [r.node], block: -1, window, output: q }, [
    got[0],
    got[1],
    c,
  ]);
  m.sources.set(node, op);
  if (pending) m.pending.add(node);
  m.rep.set(out, { node, chw: null });
}
