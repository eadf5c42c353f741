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

export const FORWARD_KINDS = [
  ...['conv', 'pointwise', 'depthwise', 'fc', 'add', 'avgpool', 'softmax_xent'],
  ...['avgpool2d', 'maxpool2d', 'pad'],
] as const;
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
  'avgpool2d_bwd_input',
  'maxpool2d_bwd_input',
  'pad_bwd_input',
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
export type ConvKind = (typeof CONV_KINDS)[number];

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
  /** TFLite's (XNNPACK's) ADD parameters when quant.requant is tflite-fixed (tflite-xnnpack): AddAttrs.fixed. */
  fixed?: Int32Array;
}

/** Index of the input an op overwrites in place with its output 0 (any op kind may). */
export interface Inplace {
  inplace?: number;
}
/** Backward ops that may add into an existing gradient (their input `inplace`) instead of writing a fresh one. */
export interface Accumulate {
  accumulate?: boolean;
}
/** Conv-like forward: geometry (fc: a 1x1 shape with inH = inW = 1) and requantization. */
export interface ConvAttrs {
  shape: ConvShape;
  quant: Quant;
}
/** add: quantization, zero point of input b and the multipliers s_a/s_y, s_b/s_y. */
export interface AddAttrs {
  quant: Quant;
  bZp: number;
  ma: number;
  mb: number;
  /** TFLite's ADD parameters (tt_add_s8_fixed) when quant.requant is tflite-fixed, XNNPACK's when tflite-xnnpack. */
  fixed?: Int32Array;
}
/** Global average pool over an h x w x c input. */
export interface PoolAttrs {
  h: number;
  w: number;
  c: number;
}
export interface AvgpoolAttrs extends PoolAttrs {
  inZp: number;
  outZp: number;
  /** s_in / (s_out * h * w) */
  m: number;
  /** Outside the default requantization mode the pool is a tt_mean_s8 with this quantization and table. */
  mean?: { quant: Quant; table: Float32Array | Int32Array };
}
/**
 * Windowed average pool (tt_avgpool2d_s8): the window geometry is a ConvShape (inC == outC; kernel x kernelW taps,
 * strides, leading pads). rule 'tflite': TFLite's integer average (input and output share scale and zero point);
 * 'requant': inputs[1] is the float32 count-multiplier table [kernel * kernelW], entry n - 1 = s_in / (s_out * n).
 */
export interface Avgpool2dAttrs {
  shape: ConvShape;
  quant: Quant;
  rule: 'tflite' | 'requant';
}
/** Windowed max pool (tt_maxpool2d_s8): input and output share scale and zero point. */
export interface Maxpool2dAttrs {
  shape: ConvShape;
  quant: Quant;
}
/** Zero-point padding (tt_pad_s8): shape.pad / padLeft rows and columns before, the rest after; zp of both sides. */
export interface PadAttrs {
  shape: ConvShape;
  zp: number;
}
/** Input gradient of a windowed pool or a pad: the forward's shape. */
export interface WindowBwdAttrs extends Accumulate {
  shape: ConvShape;
}
/** softmax cross-entropy over n logits with their zero point and scale. */
export interface SoftmaxAttrs {
  n: number;
  zp: number;
  scale: number;
}
/**
 * slice_channels: pixels and channels of the input, of which the first k are kept. concat_channels: pixels and
 * channels of the output, of which the first k come from input 0 and the other c - k from input 1.
 */
export interface ChannelsAttrs {
  pixels: number;
  c: number;
  k: number;
}
/** fused_chain stages, optional residual add. */
export interface ChainAttrs {
  stages: ChainStage[];
  add?: ChainAdd;
}
export interface BwdInputAttrs extends Accumulate {
  shape: ConvShape;
}
/** Weight gradients (and fused updates): the first k input channels (depthwise: channels), the stride and quant
 * of the saved input. */
export interface SavedInputAttrs {
  shape: ConvShape;
  k: number;
  inStride: number;
  inZp: number;
  inScale: number;
}
/** Bias gradient: sum over `pixels` of a [pixels, c] gradient. */
export interface BiasBwdAttrs {
  pixels: number;
  c: number;
}
/** update_s8 geometry (rounding is patched at run time). */
export interface UpdateS8Attrs {
  update: Omit<UpdateParams, 'rounding'>;
}
export interface UpdateS32Attrs {
  n: number;
  /** the layer's biasBound (model-file.ts): trained biases saturate there, so the int32 accumulator never overflows */
  bound: number;
}

/** The attributes of each op kind (every op may also be `Inplace`). A kind without a row does not compile. */
export interface AttrsOf {
  conv: ConvAttrs;
  pointwise: ConvAttrs;
  depthwise: ConvAttrs;
  fc: ConvAttrs;
  add: AddAttrs;
  avgpool: AvgpoolAttrs;
  softmax_xent: SoftmaxAttrs;
  avgpool2d: Avgpool2dAttrs;
  maxpool2d: Maxpool2dAttrs;
  pad: PadAttrs;
  slice_channels: ChannelsAttrs;
  concat_channels: ChannelsAttrs;
  fused_chain: ChainAttrs;
  clamp_bwd: object;
  add_bwd: Accumulate;
  conv_bwd_input: BwdInputAttrs;
  pointwise_bwd_input: BwdInputAttrs;
  depthwise_bwd_input: BwdInputAttrs;
  fc_bwd_input: BwdInputAttrs;
  avgpool_bwd_input: PoolAttrs & Accumulate;
  avgpool2d_bwd_input: WindowBwdAttrs;
  maxpool2d_bwd_input: WindowBwdAttrs;
  pad_bwd_input: WindowBwdAttrs;
  conv_bwd_weight: SavedInputAttrs;
  pointwise_bwd_weight: SavedInputAttrs;
  depthwise_bwd_weight: SavedInputAttrs;
  fc_bwd_weight: SavedInputAttrs;
  bias_bwd: BiasBwdAttrs;
  update_s8: UpdateS8Attrs;
  update_s32: UpdateS32Attrs;
  conv_bwd_update: SavedInputAttrs;
  pointwise_bwd_update: SavedInputAttrs;
  depthwise_bwd_update: SavedInputAttrs;
  fc_bwd_update: SavedInputAttrs;
}

interface OpBase {
  id: number;
  /** Layer or op name for humans and highlighting, e.g. 'blocks.3.pw1' or 'blocks.3.add'. */
  name: string;
  phase: Phase;
  inputs: number[];
  outputs: number[];
  /** Conv index (-1 classifier) for layer ops and their gradients. */
  layer?: number;
}

/** An op of kind K (default: any kind, a union discriminated by `kind`), with the attributes of its kind. */
export type Op<K extends OpKind = OpKind> = { [P in K]: OpBase & { kind: P; attrs: AttrsOf[P] & Inplace } }[K];
/** An op to append: no id yet (or the one it keeps). */
export type NewOp<K extends OpKind = OpKind> = {
  [P in K]: Omit<OpBase, 'id'> & { id?: number; kind: P; attrs: AttrsOf[P] & Inplace };
}[K];

/** An op being built: no id and no outputs yet. */
export type OpDraft<K extends OpKind = OpKind> = {
  [P in K]: Omit<OpBase, 'id' | 'outputs'> & { kind: P; attrs: AttrsOf[P] & Inplace };
}[K];

/** A copy of op with some of its attributes replaced. */
export function withAttrs<K extends OpKind>(op: Op<K>, attrs: Partial<AttrsOf[K] & Inplace>): Op<K> {
  return { ...op, attrs: { ...op.attrs, ...attrs } } as Op<K>;
}

/** Whether op is of one of the given kinds (narrows its attributes). */
export function isKind<K extends OpKind>(op: Op, kinds: readonly K[]): op is Op & Op<K> {
  return (kinds as readonly OpKind[]).includes(op.kind);
}

/** The ops of a graph of the given kinds, typed. */
export function opsOf<K extends OpKind>(g: Pick<Graph, 'ops'>, kinds: readonly K[]): (Op & Op<K>)[] {
  return g.ops.filter((o): o is Op & Op<K> => isKind(o, kinds));
}

export const BWD_INPUT_KINDS = [
  'conv_bwd_input',
  'pointwise_bwd_input',
  'depthwise_bwd_input',
  'fc_bwd_input',
] as const;
export const BWD_WEIGHT_KINDS = [
  'conv_bwd_weight',
  'pointwise_bwd_weight',
  'depthwise_bwd_weight',
  'fc_bwd_weight',
] as const;
export const BWD_UPDATE_KINDS = [
  'conv_bwd_update',
  'pointwise_bwd_update',
  'depthwise_bwd_update',
  'fc_bwd_update',
] as const;
export const CONV_KINDS = ['conv', 'pointwise', 'depthwise', 'fc'] as const;
/** Ops that read a saved forward input: weight gradients and fused weight updates. */
export const SAVED_INPUT_KINDS = [...BWD_WEIGHT_KINDS, ...BWD_UPDATE_KINDS] as const;

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
  op(o: NewOp): Op {
    const op = { ...o, id: o.id ?? this.nextOp++ } as Op;
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
