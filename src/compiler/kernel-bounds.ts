/**
 * What each kernel reads and writes, as a function of its by-value arguments and parameter structs, is a table with
 * one row per plan kernel (kernel-bounds-rules.ts). checkPlanBounds() holds every step of a plan to it before
 * anything runs, so a corrupted or hand-edited plan is refused with a message
 * naming the step and the kernel instead of reaching WebAssembly (or firmware) and writing outside a buffer:
 *  - each pointer argument's region lies inside the arena (or its const) and holds at least the bytes the
 *    kernel touches (tt_kernels.h gives the layouts: HWC tensors, ring buffers of in_ring / out_ring rows,
 *    1-bit masks, float32 gradients, [out_c][k] weight heads with a row stride);
 *  - shapes are self-consistent where a kernel relies on it (depthwise in_c == out_c, pointwise keeps h and w,
 *    0 <= r0 <= r1 <= out_h, 1 <= k <= in_c, a mask needs a whole output tensor);
 *  - NULL only where the header allows it (forward masks, the softmax gradient).
 */
import {
  CONV_SHAPE_FIELDS,
  QUANT_FIELDS,
  UPDATE_PARAMS_FIELDS,
  type ConvShape,
  type Quant,
  type UpdateParams,
} from './kernel-abi';
import { KERNEL_BOUNDS, need, type Needs, type StepArgs } from './kernel-bounds-rules';
import { KERNEL_SIGNATURES, type CType } from './kernels';
import type { PlanArg, PlanStep, SubPlan, TrainingPlan } from './plan';

/** Parameters the header allows to be NULL. */
const NULLABLE = new Set(['mask', 'grad', 'count_mult']);
const STRUCT_FIELDS = {
  tt_conv_shape: CONV_SHAPE_FIELDS,
  tt_quant: QUANT_FIELDS,
  tt_update_params: UPDATE_PARAMS_FIELDS,
} as const;
const INT32_MAX = 2 ** 31 - 1;

function structOf(plan: TrainingPlan, a: PlanArg, type: CType): Record<string, number> {
  const want = type.slice('const '.length, -1) as keyof typeof STRUCT_FIELDS;
  const c = a.kind === 'const' ? plan.consts[a.id] : undefined;
  need(c?.struct === want, `${a.kind} passed where a ${want} const is expected`);
  const fields = STRUCT_FIELDS[want];
  need(c!.data instanceof Int32Array && c!.data.length === fields.length, `${c!.name} is not a ${want}`);
  return Object.fromEntries(fields.map((f, i) => [f, c!.data[i]]));
}

function stepArgs(plan: TrainingPlan, step: PlanStep): StepArgs {
  const params = KERNEL_SIGNATURES[step.kernel].params;
  const at = (name: string) => {
    const j = params.findIndex((p) => p[0] === name);
    if (j < 0) throw new Error(`${step.kernel} has no parameter ${name}`);
    return { arg: step.args[j], type: params[j][1] };
  };
  return {
    int(name, min = 0) {
      const { arg } = at(name);
      need(arg.kind === 'i32', `${name} must be a constant int32, got ${arg.kind}`);
      const v = (arg as { value: number }).value;
      need(Number.isInteger(v) && v >= min && v <= INT32_MAX, `${name} = ${v} is not an integer >= ${min}`);
      return v;
    },
    shape: (name) => structOf(plan, at(name).arg, at(name).type) as unknown as ConvShape,
    quant: (name) => structOf(plan, at(name).arg, at(name).type) as unknown as Quant,
    constDtype: (name) => {
      const { arg } = at(name);
      const c = arg.kind === 'const' ? plan.consts[arg.id] : undefined;
      if (!c) return undefined;
      // the bytes the kernel reads are the data's; a dtype label that disagrees with them is a corrupt const
      const actual = c.data instanceof Int32Array ? 'int32' : c.data instanceof Float32Array ? 'float32' : 'int8';
      return actual === c.dtype ? actual : `${actual} labelled ${c.dtype}`;
    },
    update: (name) => structOf(plan, at(name).arg, at(name).type) as unknown as UpdateParams,
    isNull: (name) => at(name).arg.kind === 'null',
  };
}

const VALUE_KINDS: Record<string, readonly PlanArg['kind'][]> = {
  int32_t: ['i32', 'rounding', 'label'],
  float: ['f32', 'lr'],
};

/** Checks one argument's kind against its C type, and a pointer's region against the bytes the kernel needs. */
function checkArg(plan: TrainingPlan, sub: SubPlan, name: string, type: CType, a: PlanArg, needs: Needs): void {
  if (!type.endsWith('*')) {
    need(VALUE_KINDS[type].includes(a.kind), `${name}: ${a.kind} passed as ${type}`);
    if (a.kind === 'i32') need(Number.isInteger(a.value) && Math.abs(a.value) <= 2 ** 31, `${name}: not an int32`);
    return;
  }
  if (type.startsWith('const tt_')) return void structOf(plan, a, type);
  const bytes = needs[name];
  need(bytes !== undefined, `no bound for pointer ${name}`);
  const what = `${name} needs ${bytes} bytes`;
  const constBytes = (id: number) => {
    need(Number.isInteger(id) && id >= 0 && id < plan.consts.length, `${name}: no const ${id}`);
    const c = plan.consts[id];
    need(!c.struct && c.data.byteLength >= bytes, `${what}, const ${c.name} holds ${c.data.byteLength}`);
  };
  switch (a.kind) {
    case 'null':
      return need(NULLABLE.has(name), `${name} is NULL`);
    case 'rng':
      return need(type === 'tt_rng*', `${name}: rng state passed as ${type}`);
    case 'const':
      return constBytes(a.id);
    case 'gscale':
      constBytes(a.qas);
      return constBytes(a.plain);
    case 'arena': {
      const { offset, bytes: has } = a;
      const region = `arena region ${offset}+${has}`;
      need(Number.isInteger(offset) && Number.isInteger(has) && offset >= 0 && has >= 0, `${name}: bad ${region}`);
      need(offset + has <= sub.arenaBytes, `${name}: ${region} is outside the ${sub.arenaBytes}-byte arena`);
      need(has >= bytes, `${what}, its ${region} holds ${has}`);
      if (/float|int32_t|void/.test(type)) need(offset % 4 === 0, `${name}: ${type} at unaligned offset ${offset}`);
      return;
    }
    default:
      throw new Error(`${name}: ${a.kind} passed as ${type}`);
  }
}

/** The problem with one step, or null when its kernel stays inside its buffers. */
export function checkStep(plan: TrainingPlan, sub: SubPlan, step: PlanStep): string | null {
  const sig = KERNEL_SIGNATURES[step.kernel];
  if (!sig) return 'unknown kernel';
  if (step.args.length !== sig.params.length)
    return `${step.args.length} arguments, the kernel takes ${sig.params.length}`;
  try {
    const needs = KERNEL_BOUNDS[step.kernel](stepArgs(plan, step));
    sig.params.forEach(([name, type], j) => checkArg(plan, sub, name, type, step.args[j], needs));
    if (step.returns === 'loss') need(sig.returns === 'float', 'returns a loss but the kernel returns void');
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Every step of both sub-plans that would touch memory outside its buffers, as one message each. */
export function checkPlanBounds(plan: TrainingPlan): string[] {
  const out: string[] = [];
  for (const [what, sub] of [
    ['training', plan],
    ['inference', plan.inference],
  ] as const) {
    if (!(sub.arenaBytes <= plan.arenaBytes))
      out.push(`${what}: arena ${sub.arenaBytes} > plan arena ${plan.arenaBytes}`);
    for (const io of ['input', 'logits'] as const) {
      const { offset, bytes } = sub[io];
      if (!(offset >= 0 && bytes >= 1 && offset + bytes <= sub.arenaBytes))
        out.push(`${what} ${io}: region ${offset}+${bytes} is outside the ${sub.arenaBytes}-byte arena`);
    }
    sub.steps.forEach((step, i) => {
      const bad = checkStep(plan, sub, step);
      if (bad) out.push(`${what} step ${i} ${step.kernel} (${step.op}): ${bad}`);
    });
  }
  return out;
}
