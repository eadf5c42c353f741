/**
 * Training steps pipelined over two threads by the frozen prefix (compiler/frozen-prefix.ts). While this thread
 * runs step n from the cut on (the rest of the forward pass, the loss, the backward pass and the updates), a
 * kernel thread runs the frozen prefix of step n + 1's image in an arena of its own. The prefix is a pure
 * function of the image and frozen consts; the calls after the cut read from it only the buffers live across
 * the cut, which step n + 1 copies from that arena into its own before it goes on. The same kernels run on the
 * same bytes in the same order, so weights and losses are bit-identical with the one-thread step, whichever
 * thread ran the prefix.
 *
 * It needs the next image before the step (Learner.trainStep's `next`); a step whose image is not the one
 * prepared (the first one, or after the caller changed its mind) runs its own prefix here first. The prefix's
 * part of the program may be run by this thread as well, when no kernel thread claims it in time (a busy
 * machine), and the other part, the JavaScript that runs the rest of the step, only by this thread (mainOnly).
 * Two threads work; more wait. The executor times this way against split steps and the whole step
 * (executor-mode.ts) and keeps the fastest.
 */
import { frozenPrefixLength, liveAcross } from '../../compiler/frozen-prefix';
import type { SubPlan, TrainingPlan } from '../../compiler/plan';
import { call } from './kernel-call';
import type { KernelModule } from './wasm';
import type { KernelProgram } from './wasm-threads';

type KernelFn = (...args: number[]) => number;

export interface PipelineSource {
  plan: TrainingPlan;
  sub: SubPlan;
  fns: KernelFn[];
  /** Every step's resolved arguments over the executor's arena at `arenaPtr`. */
  args: Float64Array[];
  arenaPtr: number;
}

export class PrefixPipeline {
  /** Regions live across the cut (offsets into an arena). */
  private readonly live: { offset: number; bytes: number }[];
  /** The prefix's arena (as large as the sub-plan's) and its calls' arguments over it. */
  private readonly arena: number;
  private readonly args: Float64Array[];
  private readonly program: KernelProgram;
  /** The image whose prefix the pipeline's arena holds, when `holding`. */
  private readonly held: Int8Array;
  private holding = false;
  private tail: () => void = () => {};

  private constructor(
    private readonly mod: KernelModule,
    alloc: (bytes: number) => number,
    private readonly src: PipelineSource,
    /** The first call after the frozen prefix. */
    readonly cut: number,
  ) {
    const { sub, fns } = src;
    this.live = liveAcross(sub, cut).map((b) => ({ offset: b.offset, bytes: b.bytes }));
    this.arena = (alloc(sub.arenaBytes + 15) + 15) & ~15;
    this.args = sub.steps.slice(0, cut).map((step, i) => {
      const a = Float64Array.from(src.args[i]);
      step.args.forEach((x, j) => x.kind === 'arena' && (a[j] = this.arena + x.offset));
      return a;
    });
    this.held = new Int8Array(sub.input.bytes);
    const prefix = this.args.map((args, i) => ({ kernel: sub.steps[i].kernel, args }));
    const here = () => {
      for (let i = 0; i < cut; i++) call(fns[i], this.args[i]);
    };
    this.program = mod.threads!.program(() => mod.memory.buffer as ArrayBuffer, alloc, [
      { sequences: [[], prefix], main: (part: number) => (part === 0 ? this.tail() : here()), mainOnly: 1 },
    ]);
  }

  /** The pipeline of a training sub-plan, or null: no kernel threads, or no frozen prefix with calls after it. */
  static create(mod: KernelModule, alloc: (bytes: number) => number, src: PipelineSource): PrefixPipeline | null {
    if (!mod.threads || mod.threads.count < 2) return null;
    const cut = frozenPrefixLength(src.plan, src.sub);
    if (cut === 0 || cut >= src.sub.steps.length) return null;
    return new PrefixPipeline(mod, alloc, src, cut);
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

  /** Runs `tail` on this thread while the prefix of `next` runs in the pipeline's arena (on a kernel thread). */
  run(next: ArrayLike<number>, tail: () => void): void {
    const input = this.src.sub.input;
    if (next.length !== input.bytes)
      throw new Error(`next image has ${next.length} bytes; the plan takes ${input.bytes}`);
    this.holding = false;
    new Int8Array(this.mod.memory.buffer, this.arena + input.offset, input.bytes).set(next);
    this.held.set(next);
    this.tail = tail;
    try {
      this.program.run();
    } finally {
      this.tail = () => {};
    }
    this.holding = true;
  }
}
