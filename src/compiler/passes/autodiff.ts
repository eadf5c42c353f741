/**
 * Pass `autodiff`: compile-time differentiation of the forward graph from the per-op gradient rules
 * (grad-rules.ts). It switches every clamped forward op to its training variant (a mask output) and the loss
 * to its gradient variant, walks the forward ops in reverse and appends, for every tensor, the ops computing
 * its gradient (contributions from several consumers accumulate in place), and for every conv-like layer its
 * weight and bias gradients. Update ops (tt_update_s8 / tt_update_s32 with QAS gradient scales) are emitted
 * for the params the scheme updates, all at the end: the schedule without reordering. Nothing is pruned here:
 * gradients of frozen weights and of layers below the earliest update are dead code that `prune` removes.
 */
import type { ConvKind, Graph, NewOp, Op, OpDraft, Tensor } from '../ir/graph';
import { GraphBuilder } from '../ir/graph';
import { layerKind } from '../layer-kinds';
import { biasBound } from '../model-file';
import { layerConsts } from '../forward';
import { layerAt, type ConvLayer, type Model } from '../models/model';
import { SchemeError, updatedChannels, type Scheme } from '../scheme/scheme';
import { differentiate, GRAD_RULES, type GradContext } from './grad-rules';
import type { Pass } from './pass';

/** The training variants: clamped ops write a mask, the loss writes dL/dlogits. */
function trainingVariant(b: GraphBuilder, op: Op): Op {
  const y = b.tensors[op.outputs[0]];
  if (op.kind === 'softmax_xent') {
    const g = b.tensor({ name: 'g:logits', shape: [op.attrs.n], dtype: 'float32', varType: 'gradient' });
    return { ...op, outputs: [op.outputs[0], g] };
  }
  if (op.kind === 'avgpool' || op.kind === 'pad') return op; // no clamp: linear
  const mask = b.tensor({ name: `mask:${op.name}`, shape: y.shape, dtype: 'mask', varType: 'mask', layer: op.layer });
  return { ...op, outputs: [op.outputs[0], mask] };
}

function layerOf(m: Model, index: number | undefined): ConvLayer {
  if (index === undefined) throw new Error('conv op without a layer index');
  return layerAt(m, index);
}

class Differentiator implements GradContext {
  readonly grads = new Map<number, number>();
  readonly updates: NewOp[] = [];
  private readonly wscales = new Map<number, number>();
  private readonly contributions = new Map<number, number>();

  constructor(
    readonly b: GraphBuilder,
    readonly model: Model,
    readonly scheme: Scheme,
  ) {}

  grad(t: number) {
    return this.grads.get(t);
  }
  mask(op: Op) {
    return op.outputs[1];
  }
  setGrad(t: number, g: number) {
    this.grads.set(t, g);
  }

  private gradTensor(like: Tensor, name: string, shape = like.shape): number {
    return this.b.tensor({ name, shape, dtype: 'float32', varType: 'gradient', layer: like.layer });
  }

  emit(op: OpDraft, out: { name: string; shape?: readonly number[] }): number {
    const ip = op.attrs.inplace;
    const shape = out.shape ?? this.b.tensors[op.inputs[ip ?? 0]].shape;
    const id = this.gradTensor(this.b.tensors[op.inputs[0]], out.name, shape);
    this.b.op({ ...op, outputs: [id] });
    return id;
  }

  contribute(t: number, make: (prev: number | undefined, out: number) => OpDraft) {
    const prev = this.grads.get(t);
    const like = this.b.tensors[t];
    const count = (this.contributions.get(t) ?? 0) + 1;
    this.contributions.set(t, count);
    const out = this.gradTensor(like, `g:${like.name}${count > 1 ? `#${count}` : ''}`);
    this.b.op({ ...make(prev, out), outputs: [out] });
    this.grads.set(t, out);
  }

  wscale(op: Op): number {
    const l = layerOf(this.model, op.layer);
    let id = this.wscales.get(l.index);
    if (id === undefined) {
      id = this.b.tensor({
        name: `${l.name}.wscale`,
        shape: [l.outC],
        dtype: 'float32',
        varType: 'const',
        data: l.weightScale,
        layer: l.index,
      });
      this.wscales.set(l.index, id);
    }
    return id;
  }

  private constPair(name: string, l: ConvLayer, pair: { qas: Float32Array; plain: Float32Array }): [number, number] {
    const t = (suffix: string, data: Float32Array) =>
      this.b.tensor({
        name: `${name}.gscale.${suffix}`,
        shape: [l.outC],
        dtype: 'float32',
        varType: 'const',
        data,
        layer: l.index,
      });
    return [t('qas', pair.qas), t('plain', pair.plain)];
  }

  /** Marks a param trainable and returns the tensor naming its updated value. */
  private updated(id: number): number {
    const t = this.b.tensors[id];
    this.b.tensors[id] = { ...t, trainable: true };
    return this.b.tensor({
      name: `${t.name}'`,
      shape: t.shape,
      dtype: t.dtype,
      varType: t.varType,
      trainable: true,
      layer: t.layer,
    });
  }

  params(op: Op<ConvKind>, gAcc: number) {
    const l = layerOf(this.model, op.layer);
    const [x, w, bias] = op.inputs;
    const xt = this.b.tensors[x];
    const ratio = l.index < 0 ? 1 : this.scheme.weight[l.index];
    const row = layerKind(l);
    const full = row.ratioChannels(l);
    const k = ratio > 0 ? updatedChannels(l, ratio) : full;
    const shape = op.attrs.shape;
    const attrs = { shape, k, inStride: full, inZp: xt.quant!.zeroPoint, inScale: Math.fround(xt.quant!.scale) };
    const kind = `${l.kind}_bwd_weight` as const;
    const gW = this.emit(
      { kind, name: l.name, phase: 'backward', inputs: [gAcc, x], attrs, layer: l.index },
      { name: `g:${l.name}.weight`, shape: row.weightShape(shape, k) },
    );
    const pixels = shape.outH * shape.outW;
    const gB = this.emit(
      {
        kind: 'bias_bwd',
        name: l.name,
        phase: 'backward',
        inputs: [gAcc],
        attrs: { pixels, c: l.outC },
        layer: l.index,
      },
      { name: `g:${l.name}.bias`, shape: [l.outC] },
    );
    const consts = layerConsts(l);
    if (ratio > 0) {
      const update = row.update(l, k);
      const [q, p] = this.constPair(`${l.name}.weight`, l, consts.gscaleW);
      this.updates.push({
        kind: 'update_s8',
        name: l.name,
        phase: 'update',
        inputs: [gW, q, p, w],
        outputs: [this.updated(w)],
        attrs: { update, inplace: 3 },
        layer: l.index,
      });
    }
    if (l.index < 0 || this.scheme.bias[l.index]) {
      const [q, p] = this.constPair(`${l.name}.bias`, l, consts.gscaleB);
      this.updates.push({
        kind: 'update_s32',
        name: l.name,
        phase: 'update',
        inputs: [gB, q, p, bias],
        outputs: [this.updated(bias)],
        attrs: { n: l.outC, bound: biasBound(l.kind, l.inC, l.kernel, l.kernelW), inplace: 3 },
        layer: l.index,
      });
    }
  }
}

/** Every param the scheme updates must have received an update op: its layer's output gradient exists. */
function checkReached(m: Model, s: Scheme, updates: readonly NewOp[]): void {
  const done = new Set(updates.map((u) => `${u.layer}:${u.kind}`));
  m.convs.forEach((c, i) => {
    const miss = (s.weight[i] > 0 && !done.has(`${i}:update_s8`)) || (s.bias[i] && !done.has(`${i}:update_s32`));
    if (miss)
      throw new SchemeError(
        `conv ${i} (${c.name}): its output gradient is never computed (no path to the loss), so it cannot be updated`,
      );
  });
}

/** The autodiff pass for a model and a scheme. */
export function autodiff(model: Model, scheme: Scheme): Pass {
  return {
    name: 'autodiff',
    run(g: Graph): Graph {
      const b = new GraphBuilder(g);
      const fwd = g.ops.map((op) => {
        if (op.phase !== 'forward' || GRAD_RULES[op.kind] === null)
          throw new Error(`autodiff: ${op.kind} (${op.name}) is not a differentiable forward op`);
        return b.op(trainingVariant(b, op));
      });
      const d = new Differentiator(b, model, scheme);
      for (let i = fwd.length - 1; i >= 0; i--) differentiate(fwd[i], d);
      for (const u of d.updates) b.op(u);
      checkReached(model, scheme, d.updates);
      return b.build(g.io);
    },
  };
}
