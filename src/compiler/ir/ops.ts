/**
 * The op table: for every op kind, its phase and the tensors it expects (shape inference): given the op's
 * attrs and its first input, the dtype and shape of every input and output. The verifier compares the graph
 * against these rows, so an op kind without a row does not compile and a pass that wires a wrong tensor fails
 * verification. Shapes: activations [h, w, c] (the pooled vector and logits [c]); weights conv [o, kh, kw, i],
 * pointwise / fc [o, i], depthwise [k, k, c]; biases and per-channel vectors [c].
 */
import { Requant, type ConvShape, type Quant } from '../kernel-abi';
import { LAYER_KIND_TABLE } from '../layer-kinds';
import type { Phase } from '../plan';
import type { ConvKind, DType, Graph, Op, OpKind } from './graph';

export interface Spec {
  dtype: DType;
  shape: readonly number[];
}
export interface OpSignature {
  inputs: (Spec | null)[];
  outputs: (Spec | null)[];
}
export interface OpRow<K extends OpKind = OpKind> {
  /** The phase an op of this kind runs in; data movement that serves several phases lists them. */
  phase: Phase | readonly Phase[];
  /** Expected inputs / outputs (null: any tensor). */
  signature(op: Op<K>, g: Graph): OpSignature;
}

const i8 = (...shape: number[]): Spec => ({ dtype: 'int8', shape });
const i32 = (...shape: number[]): Spec => ({ dtype: 'int32', shape });
const f32 = (...shape: number[]): Spec => ({ dtype: 'float32', shape });
const mask = (...shape: number[]): Spec => ({ dtype: 'mask', shape });

type Kind = ConvKind;
const row = (kind: Kind) => LAYER_KIND_TABLE[kind];
const weightShape = (kind: Kind, s: ConvShape, k?: number) => row(kind).weightShape(s, k);
const actIn = (kind: Kind, s: ConvShape) => row(kind).inShape(s);
const actOut = (kind: Kind, s: ConvShape) => row(kind).outShape(s);

/**
 * An fc reads its input (and its input gradient is written) as the tensor is: a flatten / reshape before an fc
 * is a view, since [h, w, c] memory is already the flattened order. So an fc activation operand matches any
 * tensor of its dtype and element count.
 */
function flat(kind: Kind, spec: Spec, g: Graph, id: number | undefined): Spec {
  const t = id === undefined ? undefined : g.tensors[id];
  if (kind !== 'fc' || !t || t.dtype !== spec.dtype) return spec;
  const n = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  return n(t.shape) === n(spec.shape) ? { dtype: spec.dtype, shape: t.shape } : spec;
}

/** Outputs [y, mask?]: the mask exists in the training variant only. */
function withMask(op: Op, y: Spec): Spec[] {
  return op.outputs.length > 1 ? [y, mask(...y.shape)] : [y];
}
/** Inputs plus the accumulated gradient when accumulating. */
function withPrev(op: { attrs: { accumulate?: boolean } }, inputs: (Spec | null)[], prev: Spec): (Spec | null)[] {
  return op.attrs.accumulate ? [...inputs, prev] : inputs;
}

/** A conv-like layer's requantization table: float32 m per channel, or int32 {M, S} pairs (tflite-fixed). */
const multSpec = (q: Quant, outC: number): Spec => (q.requant === Requant['tflite-fixed'] ? i32(2 * outC) : f32(outC));

function forwardRow(kind: Kind): OpRow<Kind> {
  return {
    phase: 'forward',
    signature: (op, g) => {
      const s = op.attrs.shape;
      return {
        inputs: [
          flat(kind, i8(...actIn(kind, s)), g, op.inputs[0]),
          i8(...weightShape(kind, s)),
          i32(s.outC),
          multSpec(op.attrs.quant, s.outC),
        ],
        outputs: withMask(op, i8(...actOut(kind, s))),
      };
    },
  };
}
function bwdInputRow(kind: Kind): OpRow<`${Kind}_bwd_input`> {
  return {
    phase: 'backward',
    signature: (op, g) => {
      const s = op.attrs.shape;
      const gIn = flat(kind, f32(...actIn(kind, s)), g, op.outputs[0]);
      return {
        inputs: withPrev(op, [f32(...actOut(kind, s)), i8(...weightShape(kind, s)), f32(s.outC)], gIn),
        outputs: [gIn],
      };
    },
  };
}
/** The saved input of a weight gradient: its first `stride` channels. */
const savedInput = (kind: Kind, s: ConvShape, stride: number, g: Graph, id: number): Spec =>
  flat(kind, i8(...row(kind).inShape(s, stride)), g, id);
function bwdWeightRow(kind: Kind): OpRow<`${Kind}_bwd_weight`> {
  return {
    phase: 'backward',
    signature: (op, g) => {
      const { shape: s, k, inStride } = op.attrs;
      return {
        inputs: [f32(...actOut(kind, s)), savedInput(kind, s, inStride, g, op.inputs[1])],
        outputs: [f32(...weightShape(kind, s, k))],
      };
    },
  };
}
function bwdUpdateRow(kind: Kind): OpRow<`${Kind}_bwd_update`> {
  return {
    phase: 'update',
    signature: (op, g) => {
      const { shape: s, k, inStride } = op.attrs;
      const scratch = row(kind).updateScratchBytes(s, k) / 4;
      const w = i8(...weightShape(kind, s));
      return {
        inputs: [f32(...actOut(kind, s)), savedInput(kind, s, inStride, g, op.inputs[1]), f32(s.outC), f32(s.outC), w],
        outputs: [w, f32(scratch)],
      };
    },
  };
}
const same = <K extends OpKind>(phase: OpRow['phase'], f: (op: Op<K>, g: Graph) => OpSignature): OpRow<K> => ({
  phase,
  signature: f,
});
/** Activation shapes [h, w, c] of a windowed pool or pad (inC == outC). */
const windowIn = (s: ConvShape) => [s.inH, s.inW, s.inC];
const windowOut = (s: ConvShape) => [s.outH, s.outW, s.outC];
/** Input gradient of a windowed pool or pad: g_out, [saved input (max pool)], [previous gradient]. */
function windowBwdRow<K extends 'avgpool2d_bwd_input' | 'maxpool2d_bwd_input' | 'pad_bwd_input'>(
  savesInput: boolean,
): OpRow<K> {
  return same('backward', (op: Op<K>) => {
    const s = op.attrs.shape;
    const gIn = f32(...windowIn(s));
    const inputs = [f32(...windowOut(s)), ...(savesInput ? [i8(...windowIn(s))] : [])];
    return { inputs: withPrev(op, inputs, gIn), outputs: [gIn] };
  });
}
const shapeOf = (g: Graph, id: number) => g.tensors[id].shape;

export const OPS: { [K in OpKind]: OpRow<K> } = {
  conv: forwardRow('conv'),
  pointwise: forwardRow('pointwise'),
  depthwise: forwardRow('depthwise'),
  fc: forwardRow('fc'),
  add: same('forward', (op, g) => {
    const s = shapeOf(g, op.inputs[0]);
    return { inputs: [i8(...s), i8(...s)], outputs: withMask(op, i8(...s)) };
  }),
  avgpool: same('forward', ({ attrs: a }) => ({
    inputs: [i8(a.h, a.w, a.c)],
    outputs: [i8(a.c)],
  })),
  softmax_xent: same('forward', (op) => ({
    inputs: [i8(op.attrs.n), i32(1)],
    outputs: op.outputs.length > 1 ? [f32(1), f32(op.attrs.n)] : [f32(1)],
  })),
  avgpool2d: same('forward', (op) => {
    const s = op.attrs.shape;
    const table = op.attrs.rule === 'requant' ? [f32(s.kernel * s.kernelW)] : [];
    return { inputs: [i8(...windowIn(s)), ...table], outputs: withMask(op, i8(...windowOut(s))) };
  }),
  maxpool2d: same('forward', (op) => ({
    inputs: [i8(...windowIn(op.attrs.shape))],
    outputs: withMask(op, i8(...windowOut(op.attrs.shape))),
  })),
  pad: same('forward', (op) => ({
    inputs: [i8(...windowIn(op.attrs.shape))],
    outputs: [i8(...windowOut(op.attrs.shape))],
  })),
  slice_channels: same('forward', (op, g) => {
    const [h, w] = shapeOf(g, op.inputs[0]);
    return { inputs: [i8(h, w, op.attrs.c)], outputs: [i8(h, w, op.attrs.k)] };
  }),
  /** Assembles a split weight (passes/split.ts) before the forward or the input gradient reads it. */
  concat_channels: same(['forward', 'backward'], (op) => {
    const { pixels: p, k, c } = op.attrs;
    return { inputs: [i8(p, k), i8(p, c - k)], outputs: [i8(p, c)] };
  }),
  fused_chain: same('forward', (op) => {
    const st = op.attrs.stages;
    const params = st.flatMap(() => [null, null, null]);
    const [first, last] = [st[0], st[st.length - 1]];
    return {
      inputs: [i8(...row(first.kind).inShape(first.shape)), ...params],
      outputs: [i8(...row(last.kind).outShape(last.shape))],
    };
  }),
  clamp_bwd: same('backward', (op, g) => {
    const s = shapeOf(g, op.inputs[0]);
    return { inputs: [f32(...s), mask(...s)], outputs: [f32(...s)] };
  }),
  add_bwd: same('backward', (op, g) => {
    const s = shapeOf(g, op.inputs[0]);
    return { inputs: withPrev(op, [f32(...s), mask(...s)], f32(...s)), outputs: [f32(...s)] };
  }),
  conv_bwd_input: bwdInputRow('conv'),
  pointwise_bwd_input: bwdInputRow('pointwise'),
  depthwise_bwd_input: bwdInputRow('depthwise'),
  fc_bwd_input: bwdInputRow('fc'),
  avgpool_bwd_input: same('backward', (op) => {
    const gIn = f32(op.attrs.h, op.attrs.w, op.attrs.c);
    return { inputs: withPrev(op, [f32(op.attrs.c)], gIn), outputs: [gIn] };
  }),
  avgpool2d_bwd_input: windowBwdRow(false),
  maxpool2d_bwd_input: windowBwdRow(true),
  pad_bwd_input: windowBwdRow(false),
  conv_bwd_weight: bwdWeightRow('conv'),
  pointwise_bwd_weight: bwdWeightRow('pointwise'),
  depthwise_bwd_weight: bwdWeightRow('depthwise'),
  fc_bwd_weight: bwdWeightRow('fc'),
  bias_bwd: same('backward', (op, g) => {
    const s = shapeOf(g, op.inputs[0]);
    return { inputs: [f32(...s)], outputs: [f32(s[s.length - 1])] };
  }),
  update_s8: same('update', (op, g) => {
    const w = g.tensors[op.inputs[3]];
    const c = op.inputs[1] === undefined ? 0 : shapeOf(g, op.inputs[1])[0];
    return {
      inputs: [null, f32(c), f32(c), { dtype: 'int8', shape: w.shape }],
      outputs: [{ dtype: 'int8', shape: w.shape }],
    };
  }),
  update_s32: same('update', (op, g) => {
    const n = shapeOf(g, op.inputs[3])[0];
    return { inputs: [f32(n), f32(n), f32(n), i32(n)], outputs: [i32(n)] };
  }),
  conv_bwd_update: bwdUpdateRow('conv'),
  pointwise_bwd_update: bwdUpdateRow('pointwise'),
  depthwise_bwd_update: bwdUpdateRow('depthwise'),
  fc_bwd_update: bwdUpdateRow('fc'),
};

/** The expected inputs and outputs of an op (its kind's row). */
export function signatureOf<K extends OpKind>(op: Op<K>, g: Graph): OpSignature {
  const row: OpRow<K> = OPS[op.kind];
  return row.signature(op, g);
}

/** The phase(s) of an op kind. */
export const phaseOf = (kind: OpKind): OpRow['phase'] => OPS[kind].phase;

/** The conv-like kind behind an op kind ('pointwise_bwd_input' -> 'pointwise'), or null. */
export function convKindOf(kind: Kind | `${Kind}_${string}`): Kind;
export function convKindOf(kind: OpKind): Kind | null;
export function convKindOf(kind: string): Kind | null {
  const base = kind.split('_')[0];
  return base === 'conv' || base === 'pointwise' || base === 'depthwise' || base === 'fc' ? base : null;
}
