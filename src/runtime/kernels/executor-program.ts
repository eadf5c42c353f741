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
 * band chains and the programs by first step. `minSplitWork` replaces both thresholds; programs: false turns
 * multi-step programs off (a chain is then a program of its own).
 */
export function planThreads(
  mod: KernelModule,
  alloc: (bytes: number) => number,
  src: Omit<ProgramSource, 'splits' | 'chains'>,
  opts: ThreadOptions,
): { splits: (StepSplit | null)[]; chains: (ChainCall | undefined)[]; programs: (StepProgram | undefined)[] } {
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
  for (const p of programs) if (p) for (let i = p.from; i < p.to; i++) splits[i] = small[i];
  return { splits, chains, programs };
}

/** The program units of [0, steps): a chain, or one step; split when the chain or the step runs split. */
function units(src: ProgramSource): { from: number; to: number; split: boolean; ok: boolean }[] {
  const out = [];
  for (let i = 0; i < src.steps.length;) {
    const c = src.chains[i];
    if (c) {
      out.push({ from: i, to: c.to, split: true, ok: true });
      i = c.to;
      continue;
    }
    const split = src.splits[i];
    const patched = src.steps[i].args.some((a) => PATCHED.has(a.kind));
    out.push({ from: i, to: i + 1, split: !!split, ok: i !== src.lossStep && !(split && (split.hooked || patched)) });
    i++;
  }
  return out;
}

/** Maximal runs of steps that may join a program (rule 1), as [from, to) with their ends trimmed to splits
 * (rules 2 and 3); with `multi` false, each chain alone. */
export function programRuns(src: ProgramSource, multi = true): [number, number][] {
  const us = units(src);
  const runs: [number, number][] = [];
  for (let i = 0; i < us.length;) {
    if (!us[i].ok || !multi) {
      if (src.chains[us[i].from]) runs.push([us[i].from, us[i].to]);
      i++;
      continue;
    }
    let j = i;
    while (j < us.length && us[j].ok) j++;
    let [a, b] = [i, j];
    while (a < b && !us[a].split) a++;
    while (b > a && !us[b - 1].split) b--;
    let n = 0;
    let chain = false;
    for (let k = a; k < b; k++) {
      if (us[k].split) n++;
      if (src.chains[us[k].from]) chain = true;
    }
    if (n >= MIN_PROGRAM_SPLITS || chain) runs.push([us[a].from, us[b - 1].to]);
    i = j;
  }
  return runs;
}

/** The programs of a compiled sub-plan on `mod`'s kernel threads, indexed by their first step. */
export function buildPrograms(
  mod: KernelModule,
  alloc: (bytes: number) => number,
  src: ProgramSource,
  multi = true,
): (StepProgram | undefined)[] {
  const threads = mod.threads;
  const byStart: (StepProgram | undefined)[] = new Array(src.steps.length);
  if (!threads || threads.count < 2) return byStart;
  const exports = mod.exports as unknown as Record<string, KernelFn>;
  for (const [from, to] of programRuns(src, multi)) {
    const calls: ProgramCall[] = [];
    for (let i = from; i < to; i++) {
      const chain = src.chains[i];
      const split = src.splits[i];
      if (chain) {
        calls.push(chain.call);
        i = chain.to - 1;
      } else if (split) {
        const fn = exports[split.kernel];
        const parts = split.partArgs(src.args[i]).map((p) => Float64Array.from(p));
        calls.push({ kernel: split.kernel, parts, main: (a: Float64Array) => void call(fn, a) });
      } else {
        // one part on this thread, over the step's own arguments: those the executor patches stay current
        const fn = src.fns[i];
        calls.push({ kernel: src.steps[i].kernel, parts: [src.args[i]], main: (a: Float64Array) => void call(fn, a) });
      }
    }
    byStart[from] = { from, to, program: threads.program(() => mod.memory.buffer as ArrayBuffer, alloc, calls) };
  }
  return byStart;
}
