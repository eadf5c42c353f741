/**
 * The IR: a graph of int8 forward ops, fp32 backward ops and update ops, each of which lowers to kernel calls
 * of tt_kernels.h. Ops are stored in execution order (the op list IS the schedule; passes that reorder move
 * ops in the list). Tensors are values: most are written once, but an op may overwrite one of its inputs in
 * place (`attrs.inplace` = index of that input; its output 0 then names the new value and shares the storage):
 * masking a gradient, accumulating a gradient, updating a weight. After such an op the overwritten input is
 * dead: the verifier rejects any later read of it.
 *
 * Tensor varTypes: input (the image), label, activation (int8, per-tensor quant), mask (1 bit per element),
 * gradient (float32, real units), weight / bias (int8 / int32 params; `trainable` ones live in SRAM and are
 * updated), const (float32 vectors: multipliers, weight scales, QAS gradient scales), scratch, loss.
 */
import type { ConvShape, Quant, UpdateParams } from '../kernel-abi';
import type { QParams } from '../quant';
import type { Phase } from '../plan';

export type DType = 'int8' | 'int32' | 'float32' | 'mask';
export type VarType =
  'input' | 'label' | 'activation' | 'mask' | 'gradient' | 'weight' | 'bias' | 'const' | 'scratch' | 'loss';

export interface Tensor {
  id: number;
  name: string;
  shape: readonly number[];
  dtype: DType;
  varType: VarType;
  quant?: QParams;
  /** Constant data (params, float vectors): aliases the model's arrays. */
  data?: Int8Array | Int32Array | Float32Array;
  /** Params updated by the scheme (they live in SRAM). */
  trainable?: boolean;
  /** Conv index of the layer the tensor belongs to (-1: classifier). */
  layer?: number;
}

export const FORWARD_KINDS = ['conv', 'pointwise', 'depthwise', 'fc', 'add', 'avgpool', 'softmax_xent'] as const;
export const OP_KINDS = [
  ...FORWARD_KINDS,
  'slice_channels',
  'concat_channels',
  'fused_chain',
  'clamp_bwd',
  'add_bwd',
  'conv_bwd_input',
  'pointwise_bwd_input',
  'depthwise_bwd_input',
  'fc_bwd_input',
  'avgpool_bwd_input',
  'conv_bwd_weight',
  'pointwise_bwd_weight',
  'depthwise_bwd_weight',
  'fc_bwd_weight',
  'bias_bwd',
  'update_s8',
  'update_s32',
  'conv_bwd_update',
  'pointwise_bwd_update',
  'depthwise_bwd_update',
  'fc_bwd_update',
] as const;
export type ForwardKind = (typeof FORWARD_KINDS)[number];
export type OpKind = (typeof OP_KINDS)[number];
export type ConvKind = 'conv' | 'pointwise' | 'depthwise' | 'fc';

/** One stage of a fused frozen chain (a conv-like layer run band by band). */
export interface ChainStage {
  kind: 'conv' | 'pointwise' | 'depthwise';
  name: string;
  layer: number;
  shape: ConvShape;
  quant: Quant;
  /** Param tensor ids. */
  w: number;
  b: number;
  mult: number;
}

/** A residual add closing a fused chain: out = add(chain input, last stage output). */
export interface ChainAdd {
  name: string;
  quant: Quant;
  bZp: number;
  ma: number;
  mb: number;
}

/** Attributes; each op kind uses the subset its table row documents (ir/ops.ts). */
export interface OpAttrs {
  /** Conv-like geometry (fc: a 1x1 shape with inH = inW = 1). */
  shape?: ConvShape;
  quant?: Quant;
  /** Element count (elementwise ops, softmax classes). */
  n?: number;
  /** add: zero point of input b and the multipliers s_a/s_y, s_b/s_y. */
  bZp?: number;
  ma?: number;
  mb?: number;
  /** avgpool: input h, w, c, zero points, multiplier. */
  h?: number;
  w?: number;
  c?: number;
  inZp?: number;
  outZp?: number;
  m?: number;
  /** softmax: logits zero point and scale. */
  zp?: number;
  scale?: number;
  /** Weight gradients: first k input channels (depthwise: channels), stride of the saved input, its quant. */
  k?: number;
  inStride?: number;
  inScale?: number;
  /** Backward input ops and add_bwd: add into the existing gradient (input `inplace`). */
  accumulate?: boolean;
  /** Index of the input overwritten in place by output 0. */
  inplace?: number;
  /** slice_channels: pixels and channels of the input (kept: k). concat_channels: pixels and channels of the
   * output, of which the first k come from input 0 and the other c - k from input 1. */
  pixels?: number;
  /** update_s8 geometry (rounding is patched at run time). */
  update?: Omit<UpdateParams, 'rounding'>;
  /** fused_chain stages, optional residual add. */
  stages?: ChainStage[];
  add?: ChainAdd;
}

export interface Op {
  id: number;
  kind: OpKind;
  /** Layer or op name for humans and highlighting, e.g. 'blocks.3.pw1' or 'blocks.3.add'. */
  name: string;
  phase: Phase;
  inputs: number[];
  outputs: number[];
  attrs: OpAttrs;
  /** Conv index (-1 classifier) for layer ops and their gradients. */
  layer?: number;
}

export interface Graph {
  tensors: Tensor[];
  ops: Op[];
  /** Tensor ids of the image, the label, the logits and the loss. */
  io: { input: number; label: number; logits: number; loss: number };
}

/** Appends tensors and ops to a (copied) graph. Passes build their output graph through one of these. */
export class GraphBuilder {
  readonly tensors: Tensor[];
  readonly ops: Op[] = [];
  private nextOp: number;

  constructor(base?: Graph) {
    this.tensors = base ? base.tensors.slice() : [];
    this.nextOp = base ? base.ops.reduce((m, o) => Math.max(m, o.id + 1), 0) : 0;
  }

  tensor(t: Omit<Tensor, 'id'>): number {
    this.tensors.push({ ...t, id: this.tensors.length });
    return this.tensors.length - 1;
  }

  /** Appends an op (a fresh id unless the op keeps its old one). */
  op(o: Omit<Op, 'id'> & { id?: number }): Op {
    const op: Op = { ...o, id: o.id ?? this.nextOp++ };
    this.ops.push(op);
    return op;
  }

  build(io: Graph['io']): Graph {
    return { tensors: this.tensors, ops: this.ops, io };
  }
}

export const elements = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Bytes of a tensor's storage (masks: one bit per element, rounded up to bytes). */
export function tensorBytes(t: Pick<Tensor, 'shape' | 'dtype'>): number {
  const n = elements(t.shape);
  return t.dtype === 'mask' ? Math.ceil(n / 8) : t.dtype === 'int8' ? n : 4 * n;
}

/** Ops that read each tensor, in op order. */
export function consumers(g: Graph): Map<number, Op[]> {
  const m = new Map<number, Op[]>();
  for (const op of g.ops) for (const t of op.inputs) (m.get(t) ?? m.set(t, []).get(t)!).push(op);
  return m;
}

/** The op that writes each tensor. */
export function producers(g: Graph): Map<number, Op> {
  const m = new Map<number, Op>();
  for (const op of g.ops) for (const t of op.outputs) m.set(t, op);
  return m;
}
