/**
 * Training-step latency estimate of a plan on a board, without running anything.
 *
 * 1. Work of a plan step: every kernel has a row in WORK giving the loop counts its cost grows with, read from
 *    the step's arguments (MACs and output elements of a conv, elements of an elementwise kernel, ...).
 * 2. Instructions of a call: instr = c0 + c1 * work1 + c2 * work2, with the coefficients per kernel fitted by
 *    least squares on Cortex-M7 builds of the generated firmware run under QEMU with -icount shift=0 (one
 *    virtual nanosecond per instruction), SysTick read after every plan step (scripts/latency/measure.ts writes
 *    latency-coefficients.gen.ts and docs/raw/latency-*.txt).
 * 3. Time: ms = instructions * CPI / (clock MHz * 1000), with one effective cycles-per-instruction factor per
 *    core, calibrated so the three published MCUNet-family schemes match the paper's STM32F746 latencies (its
 *    leave-one-out error is in the README). Only Cortex-M7 boards have a calibrated factor; for other cores the
 *    estimate is null (their instruction counts and CPI differ: M0+ has no FPU, M4 no dual issue).
 */
import { CONV_SHAPE_FIELDS, UPDATE_PARAMS_FIELDS, type ConvShape, type UpdateParams } from '../kernel-abi';
import { KERNEL_SIGNATURES, type KernelName } from '../kernels';
import type { PlanArg, PlanStep, TrainingPlan } from '../plan';
import type { Board } from '../boards';
import { LATENCY_FIT } from './latency-coefficients.gen';

/** A step's arguments by C parameter name: ints and floats by value, structs decoded. */
interface Args {
  int(name: string): number;
  shape(): ConvShape;
  update(): UpdateParams;
}

function stepArgs(plan: TrainingPlan, step: PlanStep): Args {
  const params = KERNEL_SIGNATURES[step.kernel].params as readonly (readonly [string, string])[];
  const arg = (name: string): PlanArg => {
    const i = params.findIndex((p) => p[0] === name);
    if (i < 0) throw new Error(`${step.kernel} has no parameter ${name}`);
    return step.args[i];
  };
  const words = (name: string): Int32Array => {
    const a = arg(name);
    if (a.kind !== 'const') throw new Error(`${step.kernel}.${name} is not a const struct`);
    return plan.consts[a.id].data as Int32Array;
  };
  const decode = <T>(fields: readonly string[], w: Int32Array) =>
    Object.fromEntries(fields.map((f, i) => [f, w[i]])) as T;
  return {
    int(name) {
      const a = arg(name);
      if (a.kind !== 'i32') throw new Error(`${step.kernel}.${name} is not an int32 value`);
      return a.value;
    },
    shape: () => decode<ConvShape>(CONV_SHAPE_FIELDS, words('shape')),
    update: () => decode<UpdateParams>(UPDATE_PARAMS_FIELDS, words('p')),
  };
}

const taps = (s: ConvShape) => s.kernel * s.kernelW;
/** Forward over rows [r0, r1): [MACs, output elements, output pixels]. */
const fwd = (depthwise: boolean) => (a: Args) => {
  const s = a.shape();
  const pixels = (a.int('r1') - a.int('r0')) * s.outW;
  const out = pixels * s.outC;
  return [out * taps(s) * (depthwise ? 1 : s.inC), out, pixels];
};
/** A general k x k conv also pays per (output element, tap) (bounds checks, short input-channel loops):
 * [MACs, output elements x taps, output elements, output pixels]. */
const fwdConv = (a: Args) => {
  const [macs, out, pixels] = fwd(false)(a);
  return [macs, out * taps(a.shape()), out, pixels];
};
/** A window op (pool): [output elements x taps, output elements]. */
const windowWork = (s: ConvShape) => [s.outH * s.outW * s.outC * taps(s), s.outH * s.outW * s.outC];
/** Input gradient: [MACs, input elements]. */
const bwdInput = (depthwise: boolean) => (a: Args) => {
  const s = a.shape();
  return [s.outH * s.outW * s.outC * taps(s) * (depthwise ? 1 : s.inC), s.inH * s.inW * s.inC];
};
/** Weight gradient over the first k input channels (depthwise: channels): [MACs, weights]. */
const bwdWeight = (depthwise: boolean) => (a: Args) => {
  const s = a.shape();
  const k = a.int('k');
  const weights = taps(s) * k * (depthwise ? 1 : s.outC);
  return [s.outH * s.outW * weights, weights];
};

/** Loop counts of each kernel's call, the features its instruction count is fitted on. */
export const WORK: { [K in KernelName]: (a: Args) => number[] } = {
  tt_conv_s8: fwdConv,
  tt_pointwise_s8: fwd(false),
  tt_depthwise_s8: fwd(true),
  tt_fc_s8: (a) => [a.int('in_c') * a.int('out_c'), a.int('out_c')],
  tt_add_s8: (a) => [a.int('n')],
  tt_avgpool_s8: (a) => [a.int('h') * a.int('w') * a.int('c'), a.int('c')],
  tt_softmax_xent_s8: (a) => [a.int('n')],
  tt_clamp_f32_bwd: (a) => [a.int('n')],
  tt_add_f32_bwd_input: (a) => [a.int('n')],
  tt_pointwise_f32_bwd_input: bwdInput(false),
  tt_conv_f32_bwd_input: bwdInput(false),
  tt_depthwise_f32_bwd_input: bwdInput(true),
  tt_fc_f32_bwd_input: (a) => [a.int('in_c') * a.int('out_c'), a.int('in_c')],
  tt_avgpool_f32_bwd_input: (a) => [a.int('h') * a.int('w') * a.int('c')],
  tt_pointwise_f32_bwd_weight: bwdWeight(false),
  tt_conv_f32_bwd_weight: bwdWeight(false),
  tt_depthwise_f32_bwd_weight: bwdWeight(true),
  tt_fc_f32_bwd_weight: (a) => [a.int('out_c') * a.int('k')],
  tt_bias_f32_bwd: (a) => [a.int('pixels') * a.int('channels'), a.int('channels')],
  tt_update_s8: (a) => [a.update().rows * a.update().cols],
  tt_update_s32: (a) => [a.int('n')],
  tt_pointwise_bwd_update_s8: bwdWeight(false),
  tt_conv_bwd_update_s8: bwdWeight(false),
  tt_depthwise_bwd_update_s8: bwdWeight(true),
  tt_fc_bwd_update_s8: (a) => [a.int('out_c') * a.int('k'), a.int('out_c')],
  tt_slice_channels_s8: (a) => [a.int('pixels') * a.int('k'), a.int('pixels')],
  tt_concat_channels_s8: (a) => [a.int('pixels') * (a.int('ka') + a.int('kb')), a.int('pixels')],
  // Kernels of imported models and of thread splits (not in the QEMU fit yet: estimates leave them out, `missing`).
  tt_add_s8_fixed: (a) => [a.int('n')],
  tt_mean_s8: (a) => [a.int('h') * a.int('w') * a.int('c'), a.int('c')],
  tt_avgpool2d_s8: (a) => windowWork(a.shape()),
  tt_maxpool2d_s8: (a) => windowWork(a.shape()),
  tt_pad_s8: (a) => [a.shape().outH * a.shape().outW * a.shape().outC],
  tt_avgpool2d_f32_bwd_input: (a) => windowWork(a.shape()),
  tt_maxpool2d_f32_bwd_input: (a) => windowWork(a.shape()),
  tt_pad_f32_bwd_input: (a) => [a.shape().inH * a.shape().inW * a.shape().inC],
  tt_pointwise_bwd_update_s8_range: (a) => {
    const [macs, weights] = bwdWeight(false)(a);
    const part = (a.int('c1') - a.int('c0')) / a.shape().outC;
    return [macs * part, weights * part];
  },
  tt_conv_s8_cols: (a) => fwdConv(a).map((w) => (w * (a.int('x1') - a.int('x0'))) / a.shape().outW),
  tt_depthwise_s8_cols: (a) => fwd(true)(a).map((w) => (w * (a.int('x1') - a.int('x0'))) / a.shape().outW),
  tt_depthwise_f32_bwd_input_rows: (a) => {
    const [macs, elements] = bwdInput(true)(a);
    const part = (a.int('r1') - a.int('r0')) / a.shape().inH;
    return [macs * part, elements * part];
  },
};

/** The work features of plan step `i` of the training sub-plan. */
export function stepWork(plan: TrainingPlan, i: number): number[] {
  const step = plan.steps[i];
  return WORK[step.kernel](stepArgs(plan, step));
}

/** Fitted model: per kernel [c0, c1, c2...] (instr = c0 + sum c_j * work_j), plus per-step overhead. */
export interface LatencyFit {
  /** What the coefficients were fitted on (for the docs). */
  source: string;
  kernels: Partial<Record<KernelName, number[]>>;
  /** Instructions of tt_train_step outside the plan steps: [c0, c per input byte] (the image copy). */
  stepOverhead: number[];
  /** Effective cycles per (QEMU-counted) instruction, per core name prefix, calibrated on the paper. */
  cpi: Record<string, number>;
}

/** Predicted instructions of one call with `coef` (missing trailing coefficients count as 0). */
export const callInstructions = (coef: readonly number[], work: readonly number[]): number =>
  coef[0] + work.reduce((s, w, j) => s + (coef[j + 1] ?? 0) * w, 0);

/**
 * Estimated instructions of one training step (one image, batch 1) of the plan, per kernel and in total;
 * `missing` lists kernels the fit has no coefficients for (left out of the total).
 */
export function estimateInstructions(
  plan: TrainingPlan,
  fit: LatencyFit = LATENCY_FIT,
): { total: number; byKernel: Map<KernelName, number>; missing: KernelName[] } {
  const byKernel = new Map<KernelName, number>();
  const missing = new Set<KernelName>();
  plan.steps.forEach((step, i) => {
    const coef = fit.kernels[step.kernel];
    if (!coef) return void missing.add(step.kernel);
    byKernel.set(step.kernel, (byKernel.get(step.kernel) ?? 0) + callInstructions(coef, stepWork(plan, i)));
  });
  let total = callInstructions(fit.stepOverhead, [plan.input.bytes]);
  for (const v of byKernel.values()) total += v;
  return { total, byKernel, missing: [...missing] };
}

/** The calibrated CPI of a board's core (its core line starts with the calibrated core's name), or null. */
export function boardCpi(board: Pick<Board, 'core'>, fit: LatencyFit = LATENCY_FIT): number | null {
  const key = Object.keys(fit.cpi).find((c) => board.core.startsWith(c));
  return key === undefined ? null : fit.cpi[key];
}

export interface LatencyEstimate {
  /** Estimated instructions; null when a kernel of the plan was never measured (see `missing`). */
  instructions: number | null;
  missing: KernelName[];
  /** Estimated milliseconds per training step on the board; null when its core has no calibrated CPI or a
   * kernel was never measured. */
  ms: number | null;
  clockMhz: number;
  cpi: number | null;
}

/** Estimated training-step latency of a plan on a board (see the module comment): an estimate, not a measurement. */
export function estimateLatency(
  plan: TrainingPlan,
  board: Pick<Board, 'core' | 'clockMhz'>,
  fit: LatencyFit = LATENCY_FIT,
): LatencyEstimate {
  const est = estimateInstructions(plan, fit);
  const instructions = est.missing.length ? null : est.total;
  const cpi = boardCpi(board, fit);
  const ms = cpi === null || instructions === null ? null : (instructions * cpi) / (board.clockMhz * 1000);
  return { instructions, missing: est.missing, ms, clockMhz: board.clockMhz, cpi };
}
