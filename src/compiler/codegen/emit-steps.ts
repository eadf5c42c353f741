/**
 * Prints the steps of a sub-plan as C statements: one kernel call per plan step, in plan order, with every
 * argument resolved the way the WebAssembly executor resolves it (src/runtime/kernels/executor.ts):
 *   arena {offset}  -> ARENA_F32(offset) etc., a typed pointer into the one static arena
 *   const {id}      -> the const's array (or &struct); gscale -> (TT_QAS ? qas array : plain array)
 *   i32 / f32       -> exact literals;  null -> NULL
 *   lr / label      -> the function's parameters;  rounding -> TT_ROUNDING;  rng -> &tt_rng_state
 * Band-by-band repetitions fold into loops (fold.ts). Each run of calls of one op gets a comment header.
 * The printer checks what C would only catch later or never: a kernel writing through a non-const pointer into a
 * flash const, a const of the wrong dtype, a float/int32 arena pointer that is not 4-byte aligned, an arena region
 * outside the arena.
 */
import { KERNEL_SIGNATURES, type CType } from '../kernels';
import type { PlanArg, PlanConst, PlanStep, SubPlan } from '../plan';
import { cComment, cFloat, cInt } from './c-syntax';
import { foldCalls, type Call, type CallArg, type Folded, type LoopArg } from './fold';

export interface StepContext {
  consts: readonly PlanConst[];
  /** C identifier of every const, by id. */
  names: readonly string[];
  arenaBytes: number;
  /** Which run-time arguments the enclosing function provides. */
  provides: { lr: boolean; label: boolean };
  /** Measurement builds only: after every call, `TT_PROFILE_STEP(<plan step index>);` (latency.ts fits on it). */
  profile?: boolean;
}

const ARENA_MACRO: Partial<Record<CType, string>> = {
  'const int8_t*': 'ARENA_I8',
  'int8_t*': 'ARENA_I8',
  'uint8_t*': 'ARENA_U8',
  'const uint8_t*': 'ARENA_U8',
  'const int32_t*': 'ARENA_I32',
  'int32_t*': 'ARENA_I32',
  'const float*': 'ARENA_F32',
  'float*': 'ARENA_F32',
};

const CONST_DTYPE: Partial<Record<CType, PlanConst['dtype']>> = {
  'const int8_t*': 'int8',
  'int8_t*': 'int8',
  'const int32_t*': 'int32',
  'int32_t*': 'int32',
  'const float*': 'float32',
  'float*': 'float32',
  'const uint8_t*': 'uint8',
  'uint8_t*': 'uint8',
};

const STRUCT_TYPE: Partial<Record<CType, string>> = {
  'const tt_conv_shape*': 'tt_conv_shape',
  'const tt_quant*': 'tt_quant',
  'const tt_update_params*': 'tt_update_params',
};

function where(step: PlanStep, index: number): string {
  return `step ${index} (${step.kernel}, ${step.op})`;
}

function constArg(id: number, type: CType, ctx: StepContext, at: string): string {
  const c = ctx.consts[id];
  if (!c) throw new Error(`${at}: unknown const ${id}`);
  const struct = STRUCT_TYPE[type];
  if (struct) {
    if (c.struct !== struct) throw new Error(`${at}: const ${c.name} is not a ${struct}`);
    return `&${ctx.names[id]}`;
  }
  // const void*: a requantization table, float32 or int32 by the layer's mode (tt_kernels.h)
  const fits = type === 'const void*' ? c.dtype === 'float32' || c.dtype === 'int32' : CONST_DTYPE[type] === c.dtype;
  if (!fits || c.struct) throw new Error(`${at}: const ${c.name} (${c.dtype}) passed as ${type}`);
  if (!type.startsWith('const') && c.storage !== 'sram')
    throw new Error(`${at}: ${type} argument into flash const ${c.name}`);
  return ctx.names[id];
}

function arenaArg(a: Extract<PlanArg, { kind: 'arena' }>, type: CType, ctx: StepContext, at: string): CallArg {
  const macro = ARENA_MACRO[type];
  if (!macro) throw new Error(`${at}: arena region passed as ${type}`);
  if (a.offset < 0 || a.offset + a.bytes > ctx.arenaBytes)
    throw new Error(`${at}: arena region ${a.offset}+${a.bytes} outside the arena`);
  if ((macro === 'ARENA_F32' || macro === 'ARENA_I32') && a.offset % 4 !== 0)
    throw new Error(`${at}: ${type} at unaligned offset ${a.offset}`);
  return { fmt: `${macro}(#)`, n: a.offset };
}

/** The C text (or integer, alone or inside text, for loop folding) of one argument. */
function argText(a: PlanArg, type: CType, ctx: StepContext, at: string): CallArg {
  switch (a.kind) {
    case 'arena':
      return arenaArg(a, type, ctx, at);
    case 'const':
      return constArg(a.id, type, ctx, at);
    case 'gscale':
      return `(TT_QAS ? ${constArg(a.qas, type, ctx, at)} : ${constArg(a.plain, type, ctx, at)})`;
    case 'i32':
      if (type !== 'int32_t') throw new Error(`${at}: int32 value passed as ${type}`);
      return a.value;
    case 'f32':
      if (type !== 'float') throw new Error(`${at}: float value passed as ${type}`);
      return cFloat(a.value);
    case 'null':
      if (!type.endsWith('*')) throw new Error(`${at}: NULL passed as ${type}`);
      return 'NULL';
    case 'lr':
      if (!ctx.provides.lr) throw new Error(`${at}: the learning rate is not available here`);
      return 'lr';
    case 'label':
      if (!ctx.provides.label) throw new Error(`${at}: the label is not available here`);
      return 'label';
    case 'rounding':
      return 'TT_ROUNDING';
    case 'rng':
      return '&tt_rng_state';
  }
}

/** The plan steps as calls with resolved argument texts (checked against the kernel signatures). */
export function stepCalls(sub: SubPlan, ctx: StepContext): Call[] {
  return sub.steps.map((step, i) => {
    const sig = KERNEL_SIGNATURES[step.kernel];
    if (!sig) throw new Error(`${where(step, i)}: unknown kernel`);
    if (sig.params.length !== step.args.length) {
      throw new Error(`${where(step, i)}: ${step.args.length} arguments, the kernel takes ${sig.params.length}`);
    }
    if ((step.returns === 'loss') !== (sig.returns === 'float'))
      throw new Error(`${where(step, i)}: return value mismatch`);
    const args = step.args.map((a, j) => argText(a, sig.params[j][1], ctx, where(step, i)));
    return { kernel: step.kernel, args, step: i, unique: step.returns === 'loss' };
  });
}

function loopArg(a: LoopArg): string {
  if (typeof a === 'string') return a;
  const term = Math.abs(a.delta) === 1 ? 'b' : `${Math.abs(a.delta)} * b`;
  let expr: string;
  if (a.delta === 0) expr = cInt(a.base);
  else if (a.base === 0) expr = a.delta > 0 ? term : `-${term}`;
  else expr = `${cInt(a.base)} ${a.delta > 0 ? '+' : '-'} ${term}`;
  return a.fmt === undefined ? expr : a.fmt.replace('#', expr);
}

const argC = (a: CallArg): string =>
  typeof a === 'string' ? a : typeof a === 'number' ? cInt(a) : a.fmt.replace('#', cInt(a.n));

/** `kernel(args);` wrapped at 120 columns with continuation lines aligned under the first argument. */
function callLine(indent: string, head: string, args: string[]): string[] {
  const one = `${indent}${head}(${args.join(', ')});`;
  if (one.length <= 120) return [one];
  const lines: string[] = [];
  const pad = ' '.repeat(indent.length + head.length + 1);
  let cur = `${indent}${head}(`;
  args.forEach((a, i) => {
    const piece = a + (i === args.length - 1 ? ');' : ',');
    if (cur.length + piece.length + 1 > 120 && !cur.endsWith('(')) {
      lines.push(cur.trimEnd());
      cur = pad;
    }
    cur += piece + (i === args.length - 1 ? '' : ' ');
  });
  lines.push(cur);
  return lines;
}

function header(sub: SubPlan, step: number): string {
  const s = sub.steps[step];
  return `/* ${cComment(s.op)} (${s.phase}) */`;
}

/** Lines of C and, for each line, the layer of the plan step it calls (null: no step, or a step of no layer). */
export interface MappedLines {
  lines: string[];
  layers: (string | null)[];
}

/**
 * C statements of a sub-plan (indented two spaces); the loss step assigns `loss`. Each line comes with the
 * layer of its step (plan step `layer`): a call's lines, the comment that opens a group of calls, and each call
 * of a loop body (the body's k-th call is the k-th step of every band, all of one layer).
 */
export function emitSteps(sub: SubPlan, ctx: StepContext): MappedLines {
  const folded: Folded[] = foldCalls(stepCalls(sub, ctx));
  const out: MappedLines = { lines: [], layers: [] };
  const push = (layer: string | null, ...lines: string[]) => {
    out.lines.push(...lines);
    for (const _ of lines) out.layers.push(layer);
  };
  const layerOf = (step: number) => sub.steps[step].layer;
  let last = '';
  for (const f of folded) {
    const first = f.kind === 'call' ? f.call.step : f.calls[0].step;
    const h = header(sub, first);
    if (h !== last) {
      if (out.lines.length) push(null, '');
      push(layerOf(first), `  ${h}`);
      last = h;
    }
    if (f.kind === 'call') {
      const s = sub.steps[f.call.step];
      const head = s.returns === 'loss' ? `loss = ${f.call.kernel}` : f.call.kernel;
      push(s.layer, ...callLine('  ', head, f.call.args.map(argC)));
      if (ctx.profile) push(s.layer, `  TT_PROFILE_STEP(${f.call.step});`);
      continue;
    }
    const steps = f.calls.map((c) => c.step);
    const notes = [sub.steps[steps[0]].note, sub.steps[steps[steps.length - 1]].note].filter(Boolean);
    const span = notes.length === 2 ? `: ${cComment(notes[0]!)} ... ${cComment(notes[1]!)}` : '';
    push(null, `  /* plan steps ${steps[0]}-${steps[steps.length - 1]}, ${f.reps} bands${span} */`);
    push(null, `  for (int32_t b = 0; b < ${f.reps}; b++) {`);
    f.body.forEach((c, k) => {
      push(layerOf(steps[k]), ...callLine('    ', c.kernel, c.args.map(loopArg)));
      // band b's k-th call is plan step steps[k] + b * (calls per band): the folded steps are consecutive
      if (ctx.profile) push(layerOf(steps[k]), `    TT_PROFILE_STEP(${steps[k]} + ${f.body.length} * b);`);
    });
    push(null, '  }');
  }
  return out;
}
