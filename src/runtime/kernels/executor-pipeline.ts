/**
 * Training steps pipelined over two threads by the frozen prefix (compiler/frozen-prefix.ts). While this thread
 * runs step n from the cut on (the rest of the forward pass, the loss, the backward pass and the updates), a
 * kernel thread runs the frozen prefix of step n + 1's image in an arena of its own. The prefix is a pure
 * function of the image and frozen consts; the calls after the cut read from it only the buffers live across
 * the cut, which step n + 1 copies from that arena into its own before it goes on. The same kernels run on the
 * same bytes in the same order, so weights and losses are bit-identical with the one-thread step, whichever
 * thread ran the prefix.
 *
 * The rest of the step is longer than the prefix, so it is balanced: this thread runs calls [cut, s) whole while
 * the kernel thread runs the prefix, then both threads run calls [s, ...) split, as the executor's program
 * (executor-program.ts) would. `s` moves one call boundary a step: later when this thread waited for the prefix
 * at the hand-over, earlier when the prefix had ended first (then the kernel thread waited for this one).
 *
 * It needs the next image before the step (Learner.trainStep's `next`); a step whose image is not the one
 * prepared (the first one, or after the caller changed its mind) runs its own prefix here first. The prefix's
 * part may be run by this thread as well, when no kernel thread claims it in time (a busy machine); the
 * JavaScript part that runs [cut, s) only by this thread (mainOnly). Two threads share the step; more take part
 * only in the split calls. The executor times this way against the whole step (executor-mode.ts) and keeps the
 * faster.
 */
import { frozenPrefixLength, liveAcross } from '../../compiler/frozen-prefix';
import type { SubPlan, TrainingPlan } from '../../compiler/plan';
import { call } from './kernel-call';
import type { StepProgram } from './executor-program';
import type { KernelModule } from './wasm';
import type { KernelProgram, ProgramCall, SequencesCall } from './wasm-threads';

type KernelFn = (...args: number[]) => number;

export interface PipelineSource {
  plan: TrainingPlan;
  sub: SubPlan;
  fns: KernelFn[];
  /** Every step's resolved arguments over the executor's arena at `arenaPtr`. */
  args: Float64Array[];
  arenaPtr: number;
  lossStep: number;
  /** The executor's programs: the one over the cut, if any, runs its calls after `s` split. */
  programs: StepProgram[];
  /** Where `s` starts among its candidates, 0 (right after the cut) to 1 (the end; default): tests start it
   * early to run split calls after the prefix. */
  start?: number;
}

/** This thread waited longer than this (ms) for the prefix at the hand-over: `s` moves later. When the prefix
 * had ended before this thread's part, `s` moves earlier. */
const LATE_MS = 0.02;

export class PrefixPipeline {
  /** Regions live across the cut (offsets into an arena). */
  private readonly live: { offset: number; bytes: number }[];
  /** The prefix's arena (as large as the sub-plan's) and its calls' arguments over it. */
  private readonly arena: number;
  private readonly args: Float64Array[];
  private readonly prefix: SequencesCall;
  /** Candidate balance points: the cut, then every step after it where a call of the split program starts. */
  private readonly points: number[];
  private at: number;
  private readonly programs = new Map<number, KernelProgram>();
  private readonly split: StepProgram | undefined;
  /** The image whose prefix the pipeline's arena holds, when `holding`. */
  private readonly held: Int8Array;
  private holding = false;
  /** This step's work of this thread in the first call, when it ended, and whether the prefix had ended then. */
  private first: () => void = () => {};
  private firstEnd = 0;
  private prefixFirst = false;
  /** How long this thread waited for the prefix in the last step (ms; 0 when the prefix ended first). */
  waited = 0;

  private constructor(
    private readonly mod: KernelModule,
    private readonly alloc: (bytes: number) => number,
    private readonly src: PipelineSource,
    /** The first call after the frozen prefix. */
    readonly cut: number,
  ) {
    const { sub, fns } = src;
    const split = src.programs.find((p) => p.from <= cut && cut < p.to);
    this.split = split;
    this.live = liveAcross(sub, cut).map((b) => ({ offset: b.offset, bytes: b.bytes }));
    this.arena = (alloc(sub.arenaBytes + 15) + 15) & ~15;
    this.args = sub.steps.slice(0, cut).map((step, i) => {
      const a = Float64Array.from(src.args[i]);
      step.args.forEach((x, j) => x.kind === 'arena' && (a[j] = this.arena + x.offset));
      return a;
    });
    this.held = new Int8Array(sub.input.bytes);
    const here = () => {
      for (let i = 0; i < cut; i++) call(fns[i], this.args[i]);
    };
    this.prefix = {
      sequences: [[], this.args.map((args, i) => ({ kernel: sub.steps[i].kernel, args }))],
      main: (part: number, finished: () => number) => {
        if (part === 0) {
          this.first();
          this.firstEnd = performance.now();
          // the kernel thread's prefix is done when any part is (this thread's part 0 is not counted yet)
          this.prefixFirst = finished() > 0;
        } else here();
      },
      mainOnly: 1,
    };
    // balance points: call boundaries of the split program from the cut on (a cut inside a band chain starts
    // at the chain's end), or with no program over the cut the end of the step
    this.points = [];
    if (split) for (let i = cut; i <= split.to; i++) if (split.callAt[i - split.from] >= 0) this.points.push(i);
    if (this.points.length === 0) this.points.push(sub.steps.length);
    // start with all of the rest here: the prefix is usually the shorter (it moves earlier from there)
    this.at = Math.round((this.points.length - 1) * Math.min(1, Math.max(0, src.start ?? 1)));
  }

  /** The pipeline of a training sub-plan, or null: no kernel threads, or no frozen prefix with calls after it. */
  static create(mod: KernelModule, alloc: (bytes: number) => number, src: PipelineSource): PrefixPipeline | null {
    if (!mod.threads || mod.threads.count < 2) return null;
    const cut = frozenPrefixLength(src.plan, src.sub);
    if (cut === 0 || cut >= src.sub.steps.length) return null;
    return new PrefixPipeline(mod, alloc, src, cut);
  }

  /** Where this thread's first part ends now: calls [cut, balance) run whole here beside the prefix. */
  get balance(): number {
    return this.points[this.at];
  }

  /** Whether the pipeline's arena holds the prefix of `image`. */
  holds(image: ArrayLike<number>): boolean {
    if (!this.holding || image.length !== this.held.length) return false;
    const h = this.held;
    if (image instanceof Int8Array && image.byteOffset % 4 === 0 && h.length % 4 === 0) {
      const a = new Int32Array(image.buffer, image.byteOffset, h.length / 4);
      const b = new Int32Array(h.buffer, 0, h.length / 4);
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
      return true;
    }
    for (let i = 0; i < h.length; i++) if (image[i] !== h[i]) return false;
    return true;
  }

  /** Copies the bytes live across the cut from the pipeline's arena into the executor's. */
  restore(): void {
    const mem = new Uint8Array(this.mod.memory.buffer);
    for (const r of this.live)
      mem.copyWithin(this.src.arenaPtr + r.offset, this.arena + r.offset, this.arena + r.offset + r.bytes);
  }

  /** The program for balance point s: the prefix beside [cut, s), a host call that times the hand-over, then the
   * split program's calls from s to its end. */
  private program(s: number): KernelProgram {
    let p = this.programs.get(s);
    if (p) return p;
    const split = this.split;
    // the wait is timed only when the prefix was still running when this thread's part ended: otherwise the
    // hand-over (waking a kernel thread that went to sleep waiting for this part) would count as a wait
    const host = () => (this.waited = this.prefixFirst ? 0 : performance.now() - this.firstEnd);
    const calls: ProgramCall[] = [this.prefix, { host }];
    if (split && s < split.to)
      calls.push(...split.calls.slice(split.callAt[s - split.from], split.callAt[split.to - split.from]));
    p = this.mod.threads!.program(() => this.mod.memory.buffer as ArrayBuffer, this.alloc, calls);
    this.programs.set(s, p);
    return p;
  }

  /**
   * Runs the rest of the step (calls cut..end) while the prefix of `next` runs in the pipeline's arena: `whole`
   * runs calls [from, to) on this thread and returns the loss when the loss call was among them (else NaN);
   * `during` runs on this thread too, after its share of the calls, beside the prefix. Returns the loss.
   */
  run(next: ArrayLike<number>, whole: (from: number, to: number) => number, during?: () => void): number {
    const { sub, lossStep } = this.src;
    const split = this.split;
    const input = sub.input;
    if (next.length !== input.bytes)
      throw new Error(`next image has ${next.length} bytes; the plan takes ${input.bytes}`);
    const s = this.balance;
    const end = split && s < split.to ? split.to : s;
    let loss = NaN;
    this.holding = false;
    new Int8Array(this.mod.memory.buffer, this.arena + input.offset, input.bytes).set(next);
    this.held.set(next);
    this.first = () => {
      const l = whole(this.cut, s);
      if (!Number.isNaN(l)) loss = l;
      during?.();
    };
    try {
      this.program(s).run();
    } finally {
      this.first = () => {};
    }
    this.holding = true;
    if (split && s <= lossStep && lossStep < end) loss = split.loss.value;
    const l = whole(end, sub.steps.length);
    if (!Number.isNaN(l)) loss = l;
    // balance: later when this thread waited for the prefix, earlier when the kernel thread waited for it
    if (this.waited > LATE_MS && this.at + 1 < this.points.length) this.at++;
    else if (this.prefixFirst && this.at > 0) this.at--;
    return loss;
  }
}
