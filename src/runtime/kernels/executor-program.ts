/**
 * Runs of plan steps handed to the kernel threads as one program (KernelThreads.program): a split step costs a
 * job hand-over of some microseconds when it runs alone, as much as a small split call saves, so consecutive
 * steps run as one job whose calls the threads go through in order, waiting for each call's parts before the
 * next (every output element is still computed by one thread with the single-threaded arithmetic, in plan
 * order). A run of steps becomes a program when
 *   1. no step in it has an argument the executor patches after loading (learning rate, rounding, QAS scale,
 *      label: the program's arguments are written once) or returns the loss, and no split has hooks (rng jumps);
 *   2. it starts and ends with a split step (whole steps between them run on the calling thread);
 *   3. it holds at least MIN_PROGRAM_SPLITS split steps.
 * In a program a step is split from MIN_PROGRAM_SPLIT_WORK units a part; outside one, where each split step
 * is a job of its own, from MIN_SPLIT_WORK.
 */
import type { PlanStep } from '../../compiler/plan';
import { splitStep, type StepSplit } from './executor-split';
import type { KernelModule } from './wasm';
import type { KernelProgram, ProgramCall } from './wasm-threads';

type KernelFn = (...args: number[]) => number;

/** Argument kinds the executor writes after loading a plan (configure, setLearningRate, the label). */
const PATCHED = new Set(['lr', 'rounding', 'gscale', 'label']);
const MIN_PROGRAM_SPLITS = 2;

/** Least work per part of a split step run as a job of its own: about 10 microseconds of kernel time. */
export const MIN_SPLIT_WORK = 100_000;
/** Least work per part of a split step in a program, where a hand-over is a claim and a wait: about 1 us. */
export const MIN_PROGRAM_SPLIT_WORK = 4_000;

/** A program over plan steps [from, to). */
export interface StepProgram {
  from: number;
  to: number;
  program: KernelProgram;
}

/** Calls an export with a Float64Array's values as its arguments (fixed arities without a spread). */
export function call(fn: KernelFn, a: Float64Array): number {
  switch (a.length) {
    case 2:
      return fn(a[0], a[1]);
    case 3:
      return fn(a[0], a[1], a[2]);
    case 4:
      return fn(a[0], a[1], a[2], a[3]);
    case 5:
      return fn(a[0], a[1], a[2], a[3], a[4]);
    case 6:
      return fn(a[0], a[1], a[2], a[3], a[4], a[5]);
    case 7:
      return fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
    case 8:
      return fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
    case 9:
      return fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8]);
    case 10:
      return fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]);
    case 12:
      return fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11]);
    case 13:
      return fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12]);
    default:
      return fn(...a);
  }
}

export interface ProgramSource {
  steps: readonly PlanStep[];
  fns: KernelFn[];
  args: Float64Array[];
  splits: (StepSplit | null)[];
  lossStep: number;
}

/**
 * How each step of a compiled sub-plan runs on `mod`'s threads: its split (null: whole, on this thread) and
 * the programs by first step. `minSplitWork` replaces both thresholds; programs: false turns programs off.
 */
export function planThreads(
  mod: KernelModule,
  alloc: (bytes: number) => number,
  src: Omit<ProgramSource, 'splits'>,
  opts: { minSplitWork?: number; programs?: boolean },
): { splits: (StepSplit | null)[]; programs: (StepProgram | undefined)[] } {
  const threads = mod.threads;
  if (!threads || threads.count < 2) return { splits: src.steps.map(() => null), programs: [] };
  const at = (minWork: number) => {
    const ctx = { mod, threads, minWork, alloc };
    return src.steps.map((st, i) => splitStep(st.kernel, src.args[i], ctx));
  };
  const alone = at(opts.minSplitWork ?? MIN_SPLIT_WORK);
  if (opts.programs === false) return { splits: alone, programs: [] };
  const small = opts.minSplitWork === undefined ? at(MIN_PROGRAM_SPLIT_WORK) : alone;
  const programs = buildPrograms(mod, alloc, { ...src, splits: small });
  const splits = alone.slice();
  for (const p of programs) if (p) for (let i = p.from; i < p.to; i++) splits[i] = small[i];
  return { splits, programs };
}

/** Maximal runs of steps that may join a program (rule 1), as [from, to) with their ends trimmed to splits. */
export function programRuns(src: ProgramSource): [number, number][] {
  const ok = (i: number) =>
    i !== src.lossStep && !src.splits[i]?.hooked && !src.steps[i].args.some((a) => PATCHED.has(a.kind));
  const runs: [number, number][] = [];
  for (let i = 0; i < src.steps.length;) {
    if (!ok(i)) {
      i++;
      continue;
    }
    let j = i;
    while (j < src.steps.length && ok(j)) j++;
    let [a, b] = [i, j];
    while (a < b && !src.splits[a]) a++;
    while (b > a && !src.splits[b - 1]) b--;
    let n = 0;
    for (let k = a; k < b; k++) if (src.splits[k]) n++;
    if (n >= MIN_PROGRAM_SPLITS) runs.push([a, b]);
    i = j;
  }
  return runs;
}

/** The programs of a compiled sub-plan on `mod`'s kernel threads, indexed by their first step. */
export function buildPrograms(
  mod: KernelModule,
  alloc: (bytes: number) => number,
  src: ProgramSource,
): (StepProgram | undefined)[] {
  const threads = mod.threads;
  const byStart: (StepProgram | undefined)[] = new Array(src.steps.length);
  if (!threads || threads.count < 2) return byStart;
  const exports = mod.exports as unknown as Record<string, KernelFn>;
  for (const [from, to] of programRuns(src)) {
    const calls: ProgramCall[] = [];
    for (let i = from; i < to; i++) {
      const split = src.splits[i];
      if (split) {
        const fn = exports[split.kernel];
        const parts = split.partArgs(src.args[i]).map((p) => Float64Array.from(p));
        calls.push({ kernel: split.kernel, parts, main: (a) => void call(fn, a) });
      } else {
        const fn = src.fns[i];
        calls.push({ kernel: src.steps[i].kernel, parts: [src.args[i]], main: (a) => void call(fn, a) });
      }
    }
    byStart[from] = { from, to, program: threads.program(() => mod.memory.buffer as ArrayBuffer, alloc, calls) };
  }
  return byStart;
}
