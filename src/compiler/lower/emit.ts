/**
 * Kernel emission, one row per op kind: the kernel call(s) of tt_kernels.h an op lowers to, with arguments in
 * C order. A weight a kernel reads is a const, or arena scratch when a split weight was assembled there
 * (passes/split.ts). Forward kernels compute all output rows [0, out_h) (fused chains emit row bands, fused-chain.ts);
 * a mask argument is the op's mask output or NULL (inference variant). Backward input kernels accumulate when
 * the op accumulates into an existing gradient. Updates take the learning rate, the rounding mode and the rng
 * from the run time, and a QAS-selectable gradient scale.
 */
import type { ConvKind, Op, OpKind } from '../ir/graph';
import { elements } from '../ir/graph';
import type { KernelName } from '../kernels';
import type { ConvShape } from '../kernel-abi';
import type { PlanArg } from '../plan';
import { addCall, emitFusedChain } from './fused-chain';
import { F32, I32, LABEL, LR, NULL, RNG, ROUNDING, type Lowering } from './lowering';

export type Emitter<K extends OpKind = OpKind> = (op: Op<K>, L: Lowering) => void;

const maskArg = (op: Op, L: Lowering): PlanArg => (op.outputs.length > 1 ? L.arena(op.outputs[1]) : NULL);
const n = (op: Op, L: Lowering, i = 0) => elements(L.g.tensors[op.inputs[i]].shape);

const convForward: Emitter<'conv' | 'pointwise' | 'depthwise'> = (op, L) => {
  const s = op.attrs.shape;
  const [x, w, b, m] = op.inputs;
  const kernel = `tt_${op.kind}_s8` as KernelName;
  L.step(op, kernel, [
    L.shape(op.name, s),
    L.quant(op.name, op.attrs.quant),
    L.arena(x),
    L.operand(w),
    L.cst(b),
    L.cst(m),
    L.arena(op.outputs[0]),
    maskArg(op, L),
    I32(0),
    I32(s.outH),
  ]);
};

const fcForward: Emitter<'fc'> = (op, L) => {
  const s = op.attrs.shape;
  const [x, w, b, m] = op.inputs;
  L.step(op, 'tt_fc_s8', [
    I32(s.inC),
    I32(s.outC),
    L.quant(op.name, op.attrs.quant),
    L.arena(x),
    L.operand(w),
    L.cst(b),
    L.cst(m),
    L.arena(op.outputs[0]),
    maskArg(op, L),
  ]);
};

/** Shape argument(s) of a conv-like backward kernel: the struct, or (in_c, out_c) for fc. */
const geometry = (op: Op & { attrs: { shape: ConvShape } }, L: Lowering, kind: ConvKind): PlanArg[] =>
  kind === 'fc' ? [I32(op.attrs.shape.inC), I32(op.attrs.shape.outC)] : [L.shape(op.name, op.attrs.shape)];

function bwdInput(kind: ConvKind): Emitter<`${ConvKind}_bwd_input`> {
  return (op, L) => {
    const [g, w, ws] = op.inputs;
    const kernel = `tt_${kind}_f32_bwd_input` as KernelName;
    L.step(op, kernel, [
      ...geometry(op, L, kind),
      L.arena(g),
      L.operand(w),
      L.cst(ws),
      L.arena(op.outputs[0]),
      I32(op.attrs.accumulate ? 1 : 0),
    ]);
  };
}

type SavedInputKind = `${ConvKind}_bwd_weight` | `${ConvKind}_bwd_update`;

/** Saved-input arguments: in, [in_stride,] in_zp, in_scale, k (fc has no in_stride). */
function savedArgs(op: Op<SavedInputKind>, L: Lowering, kind: ConvKind): PlanArg[] {
  const a = op.attrs;
  const stride = kind === 'fc' ? [] : [I32(a.inStride)];
  return [L.arena(op.inputs[1]), ...stride, I32(a.inZp), F32(a.inScale), I32(a.k)];
}

function bwdWeight(kind: ConvKind): Emitter<`${ConvKind}_bwd_weight`> {
  return (op, L) => {
    const kernel = `tt_${kind}_f32_bwd_weight` as KernelName;
    L.step(op, kernel, [
      ...geometry(op, L, kind),
      L.arena(op.inputs[0]),
      ...savedArgs(op, L, kind),
      L.arena(op.outputs[0]),
    ]);
  };
}

function bwdUpdate(kind: ConvKind): Emitter<`${ConvKind}_bwd_update`> {
  return (op, L) => {
    const [g, , q, p, w] = op.inputs;
    const kernel = `tt_${kind}_bwd_update_s8` as KernelName;
    L.step(op, kernel, [
      ...geometry(op, L, kind),
      L.arena(g),
      ...savedArgs(op, L, kind),
      L.gscale(q, p),
      LR,
      ROUNDING,
      L.cst(w),
      RNG,
      L.arena(op.outputs[1]),
    ]);
  };
}

/** Input gradient of a windowed pool or pad: shape, g_out, [saved input], g_in, accumulate. */
function windowBwd(
  kernel: KernelName,
  savesInput: boolean,
): Emitter<'avgpool2d_bwd_input' | 'maxpool2d_bwd_input' | 'pad_bwd_input'> {
  return (op, L) => {
    const saved = savesInput ? [L.arena(op.inputs[1])] : [];
    L.step(op, kernel, [
      L.shape(op.name, op.attrs.shape),
      ...saved,
      L.arena(op.inputs[0]),
      L.arena(op.outputs[0]),
      I32(op.attrs.accumulate ? 1 : 0),
    ]);
  };
}

export const EMIT: { [K in OpKind]: Emitter<K> } = {
  conv: convForward,
  pointwise: convForward,
  depthwise: convForward,
  fc: fcForward,
  add: (op, L) => {
    const { kernel, args } = addCall(op.name, op.attrs, L);
    L.step(op, kernel, [
      I32(n(op, L)),
      ...args,
      L.arena(op.inputs[0]),
      L.arena(op.inputs[1]),
      L.arena(op.outputs[0]),
      maskArg(op, L),
    ]);
  },
  avgpool: (op, L) => {
    const a = op.attrs;
    if (a.mean) {
      const { quant, table } = a.mean;
      const args = [I32(a.h), I32(a.w), I32(a.c), L.quant(op.name, quant), L.table(`${op.name}.mult`, table)];
      L.step(op, 'tt_mean_s8', [...args, L.arena(op.inputs[0]), L.arena(op.outputs[0])]);
      return;
    }
    L.step(op, 'tt_avgpool_s8', [
      I32(a.h),
      I32(a.w),
      I32(a.c),
      I32(a.inZp),
      I32(a.outZp),
      F32(a.m),
      L.arena(op.inputs[0]),
      L.arena(op.outputs[0]),
    ]);
  },
  softmax_xent: (op, L) => {
    const a = op.attrs;
    const grad = op.outputs.length > 1 ? L.arena(op.outputs[1]) : NULL;
    L.step(op, 'tt_softmax_xent_s8', [I32(a.n), L.arena(op.inputs[0]), I32(a.zp), F32(a.scale), LABEL, grad]).returns =
      'loss';
  },
  avgpool2d: (op, L) => {
    const table = op.attrs.rule === 'requant' ? L.cst(op.inputs[1]) : NULL;
    const [x, y] = [L.arena(op.inputs[0]), L.arena(op.outputs[0])];
    L.step(op, 'tt_avgpool2d_s8', [
      L.shape(op.name, op.attrs.shape),
      L.quant(op.name, op.attrs.quant),
      table,
      x,
      y,
      maskArg(op, L),
    ]);
  },
  maxpool2d: (op, L) => {
    const [x, y] = [L.arena(op.inputs[0]), L.arena(op.outputs[0])];
    L.step(op, 'tt_maxpool2d_s8', [
      L.shape(op.name, op.attrs.shape),
      L.quant(op.name, op.attrs.quant),
      x,
      y,
      maskArg(op, L),
    ]);
  },
  pad: (op, L) => {
    const [x, y] = [L.arena(op.inputs[0]), L.arena(op.outputs[0])];
    L.step(op, 'tt_pad_s8', [L.shape(op.name, op.attrs.shape), I32(op.attrs.zp), x, y]);
  },
  slice_channels: (op, L) => {
    const a = op.attrs;
    L.step(op, 'tt_slice_channels_s8', [
      I32(a.pixels),
      I32(a.c),
      I32(a.k),
      L.arena(op.inputs[0]),
      L.arena(op.outputs[0]),
    ]);
  },
  concat_channels: (op, L) => {
    const a = op.attrs;
    L.step(op, 'tt_concat_channels_s8', [
      I32(a.pixels),
      I32(a.k),
      I32(a.c - a.k),
      L.operand(op.inputs[0]),
      L.operand(op.inputs[1]),
      L.arena(op.outputs[0]),
    ]);
  },
  fused_chain: emitFusedChain,
  clamp_bwd: (op, L) => {
    L.step(op, 'tt_clamp_f32_bwd', [I32(n(op, L)), L.arena(op.inputs[0]), L.arena(op.inputs[1])]);
  },
  add_bwd: (op, L) => {
    L.step(op, 'tt_add_f32_bwd_input', [
      I32(n(op, L)),
      L.arena(op.inputs[0]),
      L.arena(op.inputs[1]),
      L.arena(op.outputs[0]),
      I32(op.attrs.accumulate ? 1 : 0),
    ]);
  },
  conv_bwd_input: bwdInput('conv'),
  pointwise_bwd_input: bwdInput('pointwise'),
  depthwise_bwd_input: bwdInput('depthwise'),
  fc_bwd_input: bwdInput('fc'),
  avgpool_bwd_input: (op, L) => {
    const a = op.attrs;
    L.step(op, 'tt_avgpool_f32_bwd_input', [
      I32(a.h),
      I32(a.w),
      I32(a.c),
      L.arena(op.inputs[0]),
      L.arena(op.outputs[0]),
      I32(a.accumulate ? 1 : 0),
    ]);
  },
  avgpool2d_bwd_input: windowBwd('tt_avgpool2d_f32_bwd_input', false),
  maxpool2d_bwd_input: windowBwd('tt_maxpool2d_f32_bwd_input', true),
  pad_bwd_input: windowBwd('tt_pad_f32_bwd_input', false),
  conv_bwd_weight: bwdWeight('conv'),
  pointwise_bwd_weight: bwdWeight('pointwise'),
  depthwise_bwd_weight: bwdWeight('depthwise'),
  fc_bwd_weight: bwdWeight('fc'),
  bias_bwd: (op, L) => {
    L.step(op, 'tt_bias_f32_bwd', [
      I32(op.attrs.pixels),
      I32(op.attrs.c),
      L.arena(op.inputs[0]),
      L.arena(op.outputs[0]),
    ]);
  },
  update_s8: (op, L) => {
    const [g, q, p, w] = op.inputs;
    L.step(op, 'tt_update_s8', [
      L.updateParams(op.name, op.attrs.update),
      L.arena(g),
      L.gscale(q, p),
      LR,
      L.cst(w),
      RNG,
    ]);
  },
  update_s32: (op, L) => {
    const [g, q, p, b] = op.inputs;
    L.step(op, 'tt_update_s32', [
      I32(op.attrs.n),
      I32(op.attrs.bound),
      ROUNDING,
      L.arena(g),
      L.gscale(q, p),
      LR,
      L.cst(b),
      RNG,
    ]);
  },
  conv_bwd_update: bwdUpdate('conv'),
  pointwise_bwd_update: bwdUpdate('pointwise'),
  depthwise_bwd_update: bwdUpdate('depthwise'),
  fc_bwd_update: bwdUpdate('fc'),
};

/** Emits one op by its kind's row. */
export function emitOp<K extends OpKind>(op: Op<K>, L: Lowering): void {
  const emit: Emitter<K> = EMIT[op.kind];
  emit(op, L);
}

/** Emits every op of the graph in schedule order. */
export function emitAll(L: Lowering): void {
  for (const op of L.g.ops) emitOp(op, L);
}
