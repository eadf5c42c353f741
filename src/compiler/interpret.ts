/**
 * The plan interpreter: runs a training plan (or its inference sub-plan) step by step on the TypeScript
 * reference kernels (src/compiler/reference/), the same way the web worker runs it on WebAssembly: each
 * argument is resolved by the kernel's C signature (kernels.ts) to a typed view of the arena, a constant, a
 * parameter struct (tt_update_params get the run-time rounding mode here, which is how this executor "patches"
 * them) or a number, then the kernel of that name is called. SRAM constants (trainable weights and biases)
 * are copied into the run state so training never mutates the model.
 */
import { CONV_SHAPE_FIELDS, QUANT_FIELDS, UPDATE_PARAMS_FIELDS, type Rng, type RoundingMode } from './kernel-abi';
import { KERNEL_SIGNATURES, type CType, type KernelName } from './kernels';
import type { PlanArg, PlanConst, PlanStep, SubPlan, TrainingPlan } from './plan';
import * as bwd from './reference/backward';
import * as fwd from './reference/forward';
import * as pool from './reference/pool';
import * as upd from './reference/update';

/** Any reference kernel: arguments are resolved from the C signature at run time. */
type AnyKernel = (...args: never[]) => number | void;

/** Every kernel a plan may call, by C name: each reference file's table. A kernel without a row does not compile. */
export const REFERENCE_KERNELS: { [K in KernelName]: AnyKernel } = {
  ...fwd.FORWARD_KERNELS,
  ...bwd.BACKWARD_KERNELS,
  ...upd.UPDATE_KERNELS,
  ...pool.POOL_KERNELS,
};

type Data = PlanConst['data'];

/** Mutable state of a run: the arena, the constants (SRAM ones copied) and the rng. */
export interface RunState {
  arena: ArrayBuffer;
  consts: Data[];
  rng: Rng;
}

export interface RunOptions {
  lr: number;
  rounding: RoundingMode;
  qas: boolean;
  label: number;
  /** Called before each step runs (tests read gradient buffers here). */
  beforeStep?: (index: number, step: PlanStep, state: RunState) => void;
}

export function createState(plan: TrainingPlan, seed = 0x2545f491): RunState {
  const consts = plan.consts.map((c) => (c.storage === 'sram' ? (c.data.slice() as Data) : c.data));
  return { arena: new ArrayBuffer(plan.arenaBytes), consts, rng: { state: seed >>> 0 || 1 } };
}

const VIEW = {
  'const int8_t*': Int8Array,
  'int8_t*': Int8Array,
  'uint8_t*': Uint8Array,
  'const uint8_t*': Uint8Array,
  'const int32_t*': Int32Array,
  'int32_t*': Int32Array,
  'const float*': Float32Array,
  'float*': Float32Array,
} as const;

function structOf(type: CType, words: Data, o: RunOptions): object {
  const fields =
    type === 'const tt_conv_shape*'
      ? CONV_SHAPE_FIELDS
      : type === 'const tt_quant*'
        ? QUANT_FIELDS
        : UPDATE_PARAMS_FIELDS;
  const s: Record<string, number> = {};
  fields.forEach((f, i) => (s[f] = words[i]));
  if (type === 'const tt_update_params*') s.rounding = o.rounding;
  return s;
}

/** Resolves one argument to what the reference kernel takes for that C parameter type. */
export function resolveArg(a: PlanArg, type: CType, st: RunState, o: RunOptions): unknown {
  switch (a.kind) {
    case 'arena': {
      if (type === 'tt_rng*' || type === 'int32_t' || type === 'float' || type.includes('tt_'))
        throw new Error(`arena argument for ${type}`);
      const V = VIEW[type as keyof typeof VIEW];
      return new V(st.arena, a.offset, a.bytes / V.BYTES_PER_ELEMENT);
    }
    case 'const':
      return type.includes('tt_') ? structOf(type, st.consts[a.id], o) : st.consts[a.id];
    case 'gscale':
      return st.consts[o.qas ? a.qas : a.plain];
    case 'i32':
    case 'f32':
      return a.value;
    case 'null':
      return null;
    case 'lr':
      return Math.fround(o.lr);
    case 'rng':
      return st.rng;
    case 'rounding':
      return o.rounding;
    case 'label':
      return o.label;
  }
}

/** Runs the steps of a sub-plan on an int8 HWC image; returns the loss and the logits. */
export function runSubPlan(
  p: SubPlan,
  st: RunState,
  image: Int8Array,
  o: RunOptions,
): { loss: number; logits: Int8Array } {
  if (image.length !== p.input.bytes)
    throw new Error(`image has ${image.length} bytes, the plan expects ${p.input.bytes}`);
  new Int8Array(st.arena, p.input.offset, p.input.bytes).set(image);
  let loss = NaN;
  p.steps.forEach((s, i) => {
    o.beforeStep?.(i, s, st);
    const sig = KERNEL_SIGNATURES[s.kernel];
    const args = s.args.map((a, j) => resolveArg(a, sig.params[j][1], st, o));
    const r = (REFERENCE_KERNELS[s.kernel] as (...a: unknown[]) => number | void)(...args);
    if (s.returns === 'loss') loss = r as number;
  });
  return { loss, logits: new Int8Array(st.arena, p.logits.offset, p.logits.bytes).slice() };
}

/** One training step (forward, backward, updates). */
export function trainStep(plan: TrainingPlan, st: RunState, image: Int8Array, o: RunOptions) {
  return runSubPlan(plan, st, image, o);
}

/**
 * The current value of every trainable weight and bias, by its name in the model: a split weight's head is
 * joined to its frozen tail (plan.splitWeights), so plans compiled with and without split compare directly.
 */
export function trainedParams(plan: TrainingPlan, st: RunState): Map<string, Int8Array | Int32Array> {
  const out = new Map<string, Int8Array | Int32Array>();
  const heads = new Map(plan.splitWeights.map((s) => [s.head, s]));
  plan.consts.forEach((c, i) => {
    const d = st.consts[i];
    if (c.storage !== 'sram' || d instanceof Float32Array) return;
    const s = heads.get(i);
    if (!s) return void out.set(c.name, d.slice());
    const w = new Int8Array(s.rows * s.cols);
    fwd.concatChannelsS8(s.rows, s.k, s.cols - s.k, d as Int8Array, st.consts[s.tail] as Int8Array, w);
    out.set(s.name, w);
  });
  return out;
}

/** Forward only (the inference sub-plan): loss and logits, no update. */
export function evaluate(plan: TrainingPlan, st: RunState, image: Int8Array, label: number) {
  return runSubPlan(plan.inference, st, image, { lr: 0, rounding: 0, qas: true, label });
}
