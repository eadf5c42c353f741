/**
 * Pass `split-weights`: a pointwise or fully connected weight [out][in] of which only the first k < in input
 * channels are updated is stored as two params: the trainable head [out][k] (SRAM) and the frozen tail
 * [out][in - k] (flash). Only the updated part then costs SRAM, as in the paper's budgets. Kernels read a
 * weight as one array, so right before every op that reads the whole weight (the forward, the input gradient,
 * a fused frozen chain) a concat_channels op assembles it into arena scratch that lives for that op only. The
 * update writes the head directly: update_s8 with rowStride = k, *_bwd_update with shape.inC = k (the fused
 * kernels use in_c only as the weight row stride, tt_kernels.h). Weights, rng draws and losses are those of
 * the whole-tensor plan bit for bit; only memory changes (SRAM - tail, arena + a short-lived assembled copy).
 * Depthwise and general convs stay whole: their partially updated weights are small (3 KB at most in the
 * published schemes) and their fused updates use in_c for more than the row stride.
 * Runs last (after reorder and fusion). One instance serves the training and the inference graph of a
 * compilation, so both name the same head and tail arrays, which become the plan's consts.
 */
import { GraphBuilder, type Graph, type Op, type Tensor } from '../ir/graph';
import type { ConvLayer, Model } from '../models/model';
import { updatedChannels, type Scheme } from '../scheme/scheme';
import type { Pass } from './pass';
import { layerKind } from '../layer-kinds';

/** The updated input channels k of a layer whose weight is stored split, or 0 when it stays whole. */
export function splitChannels(l: ConvLayer, ratio: number): number {
  if (!layerKind(l).splittable || !(ratio > 0)) return 0;
  const k = updatedChannels(l, ratio);
  return k < l.inC ? k : 0;
}

/** The head and tail data of one split weight. */
export interface SplitParts {
  layer: ConvLayer;
  k: number;
  head: Int8Array;
  tail: Int8Array;
}

function splitData(l: ConvLayer, k: number): SplitParts {
  const { outC: rows, inC: cols } = l;
  const head = new Int8Array(rows * k);
  const tail = new Int8Array(rows * (cols - k));
  for (let o = 0; o < rows; o++) {
    head.set(l.weight.subarray(o * cols, o * cols + k), o * k);
    tail.set(l.weight.subarray(o * cols + k, (o + 1) * cols), o * (cols - k));
  }
  return { layer: l, k, head, tail };
}

/** Rewrites one update of a split weight to update its head (tensor `head`, new value `next`). */
function headUpdate(op: Op, ip: number, head: number, next: number, k: number): Op {
  const inputs = op.inputs.map((t, i) => (i === ip ? head : t));
  const outputs = [next, ...op.outputs.slice(1)];
  if (op.kind === 'update_s8')
    return { ...op, inputs, outputs, attrs: { ...op.attrs, update: { ...op.attrs.update, rowStride: k } } };
  if (op.kind === 'pointwise_bwd_update' || op.kind === 'fc_bwd_update')
    return { ...op, inputs, outputs, attrs: { ...op.attrs, shape: { ...op.attrs.shape, inC: k } } };
  throw new Error(`split-weights: ${op.kind} (${op.name}) cannot update a split weight`);
}

export type SplitPass = Pass & {
  /** The split weights by the model weight they come from, with their head and tail arrays. */
  readonly parts: ReadonlyMap<Int8Array, SplitParts>;
};

interface Halves {
  head: number;
  tail: number;
  p: SplitParts;
  w: Tensor;
}

/** Head and tail param tensors for every split weight of the graph, by the whole weight's tensor id. */
function addHalves(b: GraphBuilder, g: Graph, parts: ReadonlyMap<Int8Array, SplitParts>): Map<number, Halves> {
  const out = new Map<number, Halves>();
  for (const w of g.tensors) {
    const p = w.varType === 'weight' && w.data ? parts.get(w.data as Int8Array) : undefined;
    if (!p) continue;
    const half = (suffix: string, data: Int8Array, cols: number, trainable?: boolean) =>
      b.tensor({
        name: `${w.name}.${suffix}`,
        shape: [p.layer.outC, cols],
        dtype: 'int8',
        varType: 'weight',
        data,
        trainable,
        layer: w.layer,
      });
    out.set(w.id, {
      head: half('head', p.head, p.k, w.trainable),
      tail: half('tail', p.tail, p.layer.inC - p.k),
      p,
      w,
    });
  }
  return out;
}

/** Appends a concat_channels op assembling a split weight for `reader`; returns the assembled tensor. */
function assemble(b: GraphBuilder, { head, tail, p, w }: Halves, reader: Op): number {
  const full = b.tensor({
    name: `assembled:${w.name}`,
    shape: w.shape,
    dtype: 'int8',
    varType: 'scratch',
    layer: w.layer,
  });
  b.op({
    kind: 'concat_channels',
    name: p.layer.name,
    phase: reader.phase,
    inputs: [head, tail],
    outputs: [full],
    attrs: { pixels: p.layer.outC, k: p.k, c: p.layer.inC },
    layer: w.layer,
  });
  return full;
}

function splitGraph(g: Graph, parts: ReadonlyMap<Int8Array, SplitParts>): Graph {
  const b = new GraphBuilder(g);
  const halves = addHalves(b, g, parts);
  if (halves.size === 0) return g;
  for (const op of g.ops) {
    const ip = op.attrs.inplace;
    const target = ip === undefined ? undefined : halves.get(op.inputs[ip]);
    if (op.phase === 'update' && ip !== undefined && target) {
      const head = b.tensors[target.head];
      const next = b.tensor({ ...head, name: `${head.name}'`, data: undefined, trainable: true });
      b.op(headUpdate(op, ip, target.head, next, target.p.k));
      continue;
    }
    const assembled = new Map<number, number>();
    for (const t of new Set(op.inputs)) if (halves.has(t)) assembled.set(t, assemble(b, halves.get(t)!, op));
    if (assembled.size === 0) {
      b.op(op);
      continue;
    }
    const swap = (t: number) => assembled.get(t) ?? t;
    const inputs = op.inputs.map(swap);
    if (op.kind === 'fused_chain')
      b.op({ ...op, inputs, attrs: { ...op.attrs, stages: op.attrs.stages.map((s) => ({ ...s, w: swap(s.w) })) } });
    else b.op({ ...op, inputs });
  }
  return b.build(g.io);
}

/** The split-weights pass for a model and a scheme (the head and tail arrays are made here, once). */
export function splitWeights(m: Model, scheme: Scheme): SplitPass {
  const parts = new Map<Int8Array, SplitParts>();
  for (const l of m.convs) {
    const k = splitChannels(l, scheme.weight[l.index]);
    if (k > 0) parts.set(l.weight, splitData(l, k));
  }
  return { name: 'split-weights', run: (g) => (parts.size ? splitGraph(g, parts) : g), parts };
}
