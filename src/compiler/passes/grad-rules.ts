/**
 * Gradient rules, one row per op kind (null for ops that are not differentiated: backward and update ops,
 * and the structural ops inserted after autodiff). All gradients are float32 in real units.
 *   conv-like y = clamp(requant(conv(x, W) + b)):  g_acc = g_y * mask            (tt_clamp_f32_bwd, in place)
 *                                                  g_x  += conv^T(g_acc, s_W * W_q)  (*_bwd_input)
 *                                                  g_W   = s_x * sum g_acc (x - z_x) (*_bwd_weight, k channels)
 *                                                  g_b   = sum over pixels g_acc   (tt_bias_f32_bwd)
 *   add y = clamp(a + b):   g_a += g_y * mask;  g_b = g_y * mask (in place on g_y, written last)
 *   avgpool y = mean(x):    g_x += g_y / (h * w)
 *   avgpool2d / maxpool2d y = clamp(pool(x)):  g_acc = g_y * mask (in place); g_x += window mean / first-max
 *                           routing of g_acc (the requantization is straight-through, like the conv's)
 *   pad y = pad(x, z):      g_x += g_y[inner rows and columns]
 *   softmax_xent:           g_logits = softmax(z) - onehot(label), produced by the forward call itself
 * Rules ask the context for the op's output gradient and for masks, and hand it contributions; the driver
 * (autodiff.ts) decides whether a contribution writes a fresh gradient or accumulates into the existing one.
 */
import type { ConvKind, Op, OpDraft, OpKind } from '../ir/graph';

/** What a gradient rule may do. */
export interface GradContext {
  /** The complete gradient of forward tensor t (undefined when no gradient reaches it). */
  grad(t: number): number | undefined;
  /** The mask output of forward op `op` (its training variant). */
  mask(op: Op): number;
  /**
   * Adds a contribution to the gradient of forward tensor t. `make(prev, out)` returns the op that writes
   * `out`: when `prev` is defined it must accumulate into prev in place.
   */
  contribute(t: number, make: (prev: number | undefined, out: number) => OpDraft): void;
  /** Declares an existing tensor as the (first and only) gradient of t. */
  setGrad(t: number, g: number): void;
  /** Emits a backward op writing a new gradient tensor (shape of the in-place input unless given); returns it. */
  emit(op: OpDraft, out: { name: string; shape?: readonly number[] }): number;
  /** The weight-scale vector s_W of a conv-like op (float32 per output channel), for *_bwd_input. */
  wscale(op: Op): number;
  /** Parameter gradients and updates of a conv-like layer (the driver knows the scheme). */
  params(op: Op<ConvKind>, gAcc: number): void;
}

export type GradRule<K extends OpKind = OpKind> = (op: Op<K>, ctx: GradContext) => void;

const convRule: GradRule<ConvKind> = (op, ctx) => {
  const [x, w] = op.inputs;
  const y = op.outputs[0];
  const gY = ctx.grad(y);
  if (gY === undefined) return;
  const gAcc = ctx.emit(
    {
      kind: 'clamp_bwd',
      name: op.name,
      phase: 'backward',
      inputs: [gY, ctx.mask(op)],
      attrs: { inplace: 0 },
      layer: op.layer,
    },
    { name: `g:${op.name}:acc` },
  );
  const bwd = `${op.kind}_bwd_input` as const;
  const wscale = ctx.wscale(op);
  ctx.contribute(x, (prev) => ({
    kind: bwd,
    name: op.name,
    phase: 'backward',
    inputs: prev === undefined ? [gAcc, w, wscale] : [gAcc, w, wscale, prev],
    attrs: prev === undefined ? { shape: op.attrs.shape } : { shape: op.attrs.shape, accumulate: true, inplace: 3 },
    layer: op.layer,
  }));
  ctx.params(op, gAcc);
};

const addRule: GradRule<'add'> = (op, ctx) => {
  const [a, b] = op.inputs;
  const gY = ctx.grad(op.outputs[0]);
  if (gY === undefined) return;
  const m = ctx.mask(op);
  ctx.contribute(a, (prev) => ({
    kind: 'add_bwd',
    name: op.name,
    phase: 'backward',
    inputs: prev === undefined ? [gY, m] : [gY, m, prev],
    attrs: prev === undefined ? {} : { accumulate: true, inplace: 2 },
  }));
  ctx.contribute(b, (prev) => {
    if (prev !== undefined) throw new Error(`${op.name}: the residual branch has another consumer`);
    return { kind: 'add_bwd', name: op.name, phase: 'backward', inputs: [gY, m], attrs: { inplace: 0 } };
  });
};

const poolRule: GradRule<'avgpool'> = (op, ctx) => {
  const gY = ctx.grad(op.outputs[0]);
  if (gY === undefined) return;
  const { h, w, c } = op.attrs;
  ctx.contribute(op.inputs[0], (prev) => ({
    kind: 'avgpool_bwd_input',
    name: op.name,
    phase: 'backward',
    inputs: prev === undefined ? [gY] : [gY, prev],
    attrs: prev === undefined ? { h, w, c } : { h, w, c, accumulate: true, inplace: 1 },
  }));
};

/** Windowed pools: the clamp's mask, then the pool's input gradient (max pool reads its saved input). */
const windowPoolRule: GradRule<'avgpool2d' | 'maxpool2d'> = (op, ctx) => {
  const gY = ctx.grad(op.outputs[0]);
  if (gY === undefined) return;
  const gAcc = ctx.emit(
    { kind: 'clamp_bwd', name: op.name, phase: 'backward', inputs: [gY, ctx.mask(op)], attrs: { inplace: 0 } },
    { name: `g:${op.name}:acc` },
  );
  const kind = op.kind === 'avgpool2d' ? 'avgpool2d_bwd_input' : 'maxpool2d_bwd_input';
  const first = op.kind === 'avgpool2d' ? [gAcc] : [gAcc, op.inputs[0]];
  const { shape } = op.attrs;
  ctx.contribute(op.inputs[0], (prev) => ({
    kind,
    name: op.name,
    phase: 'backward',
    inputs: prev === undefined ? first : [...first, prev],
    attrs: prev === undefined ? { shape } : { shape, accumulate: true, inplace: first.length },
  }));
};

const padRule: GradRule<'pad'> = (op, ctx) => {
  const gY = ctx.grad(op.outputs[0]);
  if (gY === undefined) return;
  const { shape } = op.attrs;
  ctx.contribute(op.inputs[0], (prev) => ({
    kind: 'pad_bwd_input',
    name: op.name,
    phase: 'backward',
    inputs: prev === undefined ? [gY] : [gY, prev],
    attrs: prev === undefined ? { shape } : { shape, accumulate: true, inplace: 1 },
  }));
};

const softmaxRule: GradRule<'softmax_xent'> = (op, ctx) => ctx.setGrad(op.inputs[0], op.outputs[1]);

export const GRAD_RULES: { [K in OpKind]: GradRule<K> | null } = {
  conv: convRule,
  pointwise: convRule,
  depthwise: convRule,
  fc: convRule,
  add: addRule,
  avgpool: poolRule,
  softmax_xent: softmaxRule,
  avgpool2d: windowPoolRule,
  maxpool2d: windowPoolRule,
  pad: padRule,
  slice_channels: null,
  concat_channels: null,
  fused_chain: null,
  clamp_bwd: null,
  add_bwd: null,
  conv_bwd_input: null,
  pointwise_bwd_input: null,
  depthwise_bwd_input: null,
  fc_bwd_input: null,
  avgpool_bwd_input: null,
  avgpool2d_bwd_input: null,
  maxpool2d_bwd_input: null,
  pad_bwd_input: null,
  conv_bwd_weight: null,
  pointwise_bwd_weight: null,
  depthwise_bwd_weight: null,
  fc_bwd_weight: null,
  bias_bwd: null,
  update_s8: null,
  update_s32: null,
  conv_bwd_update: null,
  pointwise_bwd_update: null,
  depthwise_bwd_update: null,
  fc_bwd_update: null,
};

/** Differentiates a forward op by its kind's rule (throws for a kind without one). */
export function differentiate<K extends OpKind>(op: Op<K>, ctx: GradContext): void {
  const rule: GradRule<K> | null = GRAD_RULES[op.kind];
  if (!rule) throw new Error(`autodiff: ${op.kind} (${op.name}) is not a differentiable forward op`);
  rule(op, ctx);
}
