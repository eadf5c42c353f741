/**
 * Runs of plan steps handed to the kernel threads as one program (KernelThreads.program): a split step costs a
 * job hand-over of some microseconds when it runs alone, as much as a small split call saves, so consecutive
 * steps run as one job whose calls the threads go through in order, waiting for each call's parts before the
 * next (every output element is still computed by one thread with the single-threaded arithmetic, in plan
 * order). A band chain (executor-chain.ts) is one call of a program, its parts sequences of calls over row
 * ranges. A run of steps becomes a program when
 *   1. every step may join: a whole step runs on the calling thread over the step's own argument array, which
 *      the executor keeps current (learning rate, rounding, QAS scale, label; the loss step's value is kept);
 *      a split step whose arguments the executor patches has its parts' arguments written again each time the
 *      program runs (SplitCall.refresh), and a split's hooks (rng jumps) run on the calling thread as host
 *      calls before and after its parts;
 *   2. it starts and ends with a split step or chain (whole steps around it run outside);
 *   3. it holds at least MIN_PROGRAM_SPLITS split steps, or a chain (a chain is always a program, alone if need
 *      be: its parts are sequences, which only programs carry).
 * A program may be entered and left at any call boundary (StepProgram.callAt), so runs of some of the steps
 * (runSteps, the prefix cache) still use it.
 * In a program a step is split from MIN_PROGRAM_SPLIT_WORK units a part; outside one, where each split step
 * is a job of its own, from MIN_SPLIT_WORK.
 */
import type { PlanStep } from '../../compiler/plan';
import { chainRuns, splitChain, type ChainCall } from './executor-chain';
import { splitStep, type StepSplit } from './executor-split';
import type { KernelModule } from './wasm';
import type { KernelProgram, ProgramCall } from './wasm-threads';
import { call } from './kernel-call';

export { call } from './kernel-call';

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
  /** Per step from..to (inclusive): the index of the program call it starts, or -1 inside a chain. */
  callAt: Int32Array;
  /** The loss, when the loss step ran in this program. */
  loss: { value: number };
  /** The program's calls (callAt indexes them): other programs may run some of them (executor-pipeline.ts). */
  calls: ProgramCall[];
}

export interface ProgramSource {
  steps: readonly PlanStep[];
  fns: KernelFn[];
  args: Float64Array[];
  splits: (StepSplit | null)[];
  /** Band chains run by row ranges (executor-chain.ts), by first step. */
  chains: (ChainCall | undefined)[];
  lossStep: number;
}

export interface ThreadOptions {
  minSplitWork?: number;
  programs?: boolean;
  /** Parts a band chain is cut into (default: the thread count). */
  chainParts?: number;
}

/**
 * How each step of a compiled sub-plan runs on `mod`'s threads: its split (null: whole, on this thread), the
 * band chains by first step and the programs. `minSplitWork` replaces both thresholds; programs: false turns
 * multi-step programs off (a chain is then a program of its own).
 */
export function planThreads(
  mod: KernelModule,
  alloc: (bytes: number) => number,
  src: Omit<ProgramSource, 'splits' | 'chains'>,
  opts: ThreadOptions,
): { splits: (StepSplit | null)[]; chains: (ChainCall | undefined)[]; programs: StepProgram[] } {
  const threads = mod.threads;
  if (!threads || threads.count < 2) return { splits: src.steps.map(() => null), chains: [], programs: [] };
  const at = (minWork: number) => {
    const ctx = { mod, threads, minWork, alloc };
    return src.steps.map((st, i) => splitStep(st.kernel, src.args[i], ctx));
  };
  const chains: (ChainCall | undefined)[] = new Array(src.steps.length);
  const chainOpts = { parts: opts.chainParts ?? threads.count, minWork: opts.minSplitWork ?? MIN_SPLIT_WORK };
  for (const run of chainRuns(src.steps)) {
    const c = splitChain(mod, alloc, src, run, chainOpts);
    if (c) chains[c.from] = c;
  }
  const alone = at(opts.minSplitWork ?? MIN_SPLIT_WORK);
  const small = opts.minSplitWork === undefined && opts.programs !== false ? at(MIN_PROGRAM_SPLIT_WORK) : alone;
  const programs = buildPrograms(mod, alloc, { ...src, splits: small, chains }, opts.programs !== false);
  const splits = alone.slice();
  for (const p of programs) for (let i = p.from; i < p.to; i++) splits[i] = small[i];
  return { splits, chains, programs };
}

/** The program units of a sub-plan: a chain, or one step; split when the chain or the step runs split. */
function units(src: ProgramSource): { from: number; to: number; split: boolean; chain: boolean }[] {
  const out = [];
  for (let i = 0; i < src.steps.length;) {
    const c = src.chains[i];
    const to = c ? c.to : i + 1;
    out.push({ from: i, to, split: !!c || !!src.splits[i], chain: !!c });
    i = to;
  }
  return out;
}

/** The programs' step ranges [from, to) (rules 2 and 3); with `multi` false, each chain alone. */
export function programRuns(src: ProgramSource, multi = true): [number, number][] {
  const us = units(src);
  if (!multi) return us.filter((u) => u.chain).map((u) => [u.from, u.to]);
  let [a, b] = [0, us.length];
  while (a < b && !us[a].split) a++;
  while (b > a && !us[b - 1].split) b--;
  const splits = us.slice(a, b).filter((u) => u.split).length;
  return splits >= MIN_PROGRAM_SPLITS || us.slice(a, b).some((u) => u.chain) ? [[us[a].from, us[b - 1].to]] : [];
}

/** The program calls of step i (rule 1). */
function stepCalls(
  src: ProgramSource,
  exports: Record<string, KernelFn>,
  i: number,
  loss: { value: number },
): ProgramCall[] {
  const split = src.splits[i];
  const base = src.args[i];
  if (!split) {
    // one part on this thread, over the step's own arguments: those the executor patches stay current
    const fn = src.fns[i];
    const main =
      i === src.lossStep ? (a: Float64Array) => void (loss.value = call(fn, a)) : (a: Float64Array) => void call(fn, a);
    return [{ kernel: src.steps[i].kernel, parts: [base], main }];
  }
  const fn = exports[split.kernel];
  const main = (a: Float64Array) => void call(fn, a);
  const patched = src.steps[i].args.some((a) => PATCHED.has(a.kind));
  const calls: ProgramCall[] = [];
  if (split.hooked) calls.push({ host: () => split.before(base) });
  if (patched)
    calls.push({ kernel: split.kernel, parts: split.partArgs(base), main, refresh: () => split.partArgs(base) });
  else calls.push({ kernel: split.kernel, parts: split.partArgs(base).map((p) => Float64Array.from(p)), main });
  if (split.hooked) calls.push({ host: () => split.after(base) });
  return calls;
}

/** The programs of a compiled sub-plan on `mod`'s kernel threads. */
export function buildPrograms(
  mod: KernelModule,
  alloc: (bytes: number) => number,
  src: ProgramSource,
  multi = true,
): StepProgram[] {
  const threads = mod.threads;
  if (!threads || threads.count < 2) return [];
  const exports = mod.exports as unknown as Record<string, KernelFn>;
  return programRuns(src, multi).map(([from, to]) => {
    const calls: ProgramCall[] = [];
    const callAt = new Int32Array(to - from + 1).fill(-1);
    const loss = { value: NaN };
    for (let i = from; i < to; i++) {
      callAt[i - from] = calls.length;
      const chain = src.chains[i];
      if (chain) {
        calls.push(chain.call);
        i = chain.to - 1;
      } else calls.push(...stepCalls(src, exports, i, loss));
    }
    callAt[to - from] = calls.length;
    const program = threads.program(() => mod.memory.buffer as ArrayBuffer, alloc, calls);
    return { from, to, program, callAt, loss, calls };
  });
}
