/**
 * The plan executor: the one place that runs a training plan (src/compiler/plan.ts) on the WebAssembly kernel
 * module. The web worker and the Node CLI both drive training through it, so they execute the same calls on
 * the same bytes.
 *
 * Loading a plan:
 *  0. every step is checked against its kernel's bounds (compiler/kernel-bounds.ts): each pointer argument's
 *     region inside the arena and as large as the kernel reads or writes for the step's shapes. A plan that
 *     fails is refused with the step and kernel named, before anything is allocated or called in WebAssembly;
 *  1. every const is copied into module memory once ('sram' consts too, so the model's arrays are never
 *     mutated; reset() copies them again);
 *  2. the arena is malloc'ed: exactly plan.arenaBytes, 16-byte aligned. With `guardBytes` the allocation
 *     carries that many canary bytes on each side, and checkCanaries() tells whether any kernel wrote outside;
 *  3. every step becomes a resolved kernel export plus a Float64Array of its numeric arguments (pointers and
 *     int32s and float32s are all exact in a double), so a training step calls exports in a flat loop with
 *     no per-step allocation. Run-time knobs are patched into those arrays: the learning rate, the rounding
 *     mode (and word UPDATE_PARAMS_ROUNDING_WORD of every tt_update_params const), the QAS gradient-scale
 *     pointer choice (configure) and the label (every step, checked against the class count first).
 */
import { Rounding, type RoundingName } from '../../compiler/kernel-abi';
import { checkPlanBounds } from '../../compiler/kernel-bounds';
import { UPDATE_PARAMS_ROUNDING_WORD } from '../../compiler/plan';
import { rngState, type RunSettings } from '../../compiler/settings';
import type { PlanArg, PlanConst, PlanStep, SubPlan, TrainingPlan } from '../../compiler/plan';
import { call, planThreads, type StepProgram } from './executor-program';
import type { StepSplit } from './executor-split';
import type { ChainCall } from './executor-chain';
import { MODE_WINDOW, ThreadMode, type ModeWindow } from './executor-mode';
import { PrefixPipeline } from './executor-pipeline';
import type { KernelModule } from './wasm';

export interface ExecutorOptions {
  /** Canary bytes on each side of the arena (besides the alignment slack, which always holds canaries). */
  guardBytes?: number;
  /**
   * With kernel threads (module.threads): the least work a part of a split step gets (executor-split.ts), in
   * and out of programs (default: MIN_SPLIT_WORK, and MIN_PROGRAM_SPLIT_WORK in a program).
   */
  minSplitWork?: number;
  /** With kernel threads: run consecutive split steps as one job (executor-program.ts; default true). */
  programs?: boolean;
  /** With kernel threads: the row ranges a band chain is cut into (executor-chain.ts; default the thread
   * count; more exercise uneven ranges and overlapping halos in tests). */
  chainParts?: number;
  /** With kernel threads: how runs on threads (split, or pipelined when the caller gives the next image) are
   * timed against whole runs (executor-mode.ts), or false to always run on threads. */
  mode?: ModeWindow | false;
  /** With kernel threads: pipeline training steps by the frozen prefix when the caller gives the next image
   * (executor-pipeline.ts; default true), its balance point starting at `pipelineStart` (0..1, default 1). */
  pipeline?: boolean;
  pipelineStart?: number;
}

type KernelFn = (...args: number[]) => number;

/** A sub-plan resolved against module memory. */
interface Compiled {
  fns: KernelFn[];
  args: Float64Array[];
  /** Index of the step whose return value is the loss, or -1. */
  lossStep: number;
  /** (step, arg index) pairs that receive the label. */
  labelSlots: Int32Array;
  /** Per step: how it runs across kernel threads, or null (whole, on this thread). */
  splits: (StepSplit | null)[];
  /** The programs (executor-program.ts). */
  programs: StepProgram[];
  /** Per step: the program it belongs to, if any. */
  owner: (StepProgram | undefined)[];
  /** Per step: the band chain run by row ranges that starts there (executor-chain.ts), if any. */
  chains: (ChainCall | undefined)[];
  /** The way to run, chosen by timing (null: no threads, or always threaded): 0 on threads (pipelined when
   * trainStep is given the next image and the plan has a pipeline, else split), 1 whole. */
  mode: ThreadMode | null;
  /** The frozen-prefix pipeline of the training sub-plan (executor-pipeline.ts), if any. */
  pipeline: PrefixPipeline | null;
  /** Labels must lie in [0, classes): the loss kernel's class count (the logits' length without one). */
  classes: number;
  sub: SubPlan;
}

const CANARY = 0xa5;
const CHAIN = 'chain';

export class PlanExecutor {
  /** Byte address of the arena in module memory (16-byte aligned). */
  readonly arenaPtr: number;
  /** Bytes of the arena: exactly plan.arenaBytes. */
  readonly arenaBytes: number;
  private readonly guard: number;
  private readonly rawPtr: number;
  private readonly rngPtr: number;
  private readonly constPtrs: number[];
  /** Module memory the thread splits use (part shapes, scratch and rng copies). */
  private readonly splitPtrs: number[] = [];
  private readonly train: Compiled;
  private readonly infer: Compiled;
  private disposed = false;
  /** Training steps run pipelined. */
  private pipelined = 0;
  /** The seed the rng was last seeded with (configure re-seeds only when it changes). */
  private seeded = NaN;

  private constructor(
    private readonly mod: KernelModule,
    readonly plan: TrainingPlan,
    settings: RunSettings,
    opts: ExecutorOptions,
  ) {
    this.constPtrs = plan.consts.map((c) => mod.alloc(c.data.byteLength));
    this.copyConsts(() => true);
    this.rngPtr = mod.alloc(4);
    this.arenaBytes = plan.arenaBytes;
    this.guard = opts.guardBytes ?? 0;
    this.rawPtr = mod.alloc(this.arenaBytes + 2 * this.guard + 15);
    this.arenaPtr = (this.rawPtr + this.guard + 15) & ~15;
    this.fillCanaries();
    this.train = this.compile(plan, opts, true);
    this.infer = this.compile(plan.inference, opts, false);
    this.configure(settings);
  }

  /** Loads a plan into module memory and resolves every step. */
  static load(mod: KernelModule, plan: TrainingPlan, settings: RunSettings, opts: ExecutorOptions = {}): PlanExecutor {
    if (plan.format !== 'tinytrain-plan' || plan.version !== 1) throw new Error('not a tinytrain-plan version 1');
    const bad = checkPlanBounds(plan);
    if (bad.length > 0) {
      const more = bad.length > 1 ? ` (and ${bad.length - 1} more)` : '';
      throw new Error(`plan refused: ${bad[0]}${more}`);
    }
    return new PlanExecutor(mod, plan, settings, opts);
  }

  private bytes(): Uint8Array {
    return new Uint8Array(this.mod.memory.buffer);
  }

  private copyConsts(which: (c: PlanConst) => boolean): void {
    const mem = this.bytes();
    this.plan.consts.forEach((c, i) => {
      if (which(c)) mem.set(new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength), this.constPtrs[i]);
    });
  }

  private fillCanaries(): void {
    const mem = this.bytes();
    mem.fill(CANARY, this.rawPtr, this.arenaPtr);
    mem.fill(CANARY, this.arenaPtr + this.arenaBytes, this.rawPtr + this.arenaBytes + 2 * this.guard + 15);
  }

  /** Guard-byte check: the number of canary bytes around the arena that were overwritten (0: intact). */
  checkCanaries(): { guardBytes: number; before: number; after: number } {
    const mem = this.bytes();
    let before = 0;
    let after = 0;
    for (let p = this.rawPtr; p < this.arenaPtr; p++) if (mem[p] !== CANARY) before++;
    const end = this.rawPtr + this.arenaBytes + 2 * this.guard + 15;
    for (let p = this.arenaPtr + this.arenaBytes; p < end; p++) if (mem[p] !== CANARY) after++;
    return { guardBytes: this.guard, before, after };
  }

  private resolveArg(a: PlanArg, step: PlanStep, sub: SubPlan): number {
    switch (a.kind) {
      case 'arena':
        if (a.offset < 0 || a.offset + a.bytes > sub.arenaBytes || sub.arenaBytes > this.arenaBytes) {
          throw new Error(`${step.kernel} (${step.op}): arena region ${a.offset}+${a.bytes} outside the arena`);
        }
        return this.arenaPtr + a.offset;
      case 'const':
        return this.constPtrs[a.id];
      case 'i32':
      case 'f32':
        return a.value;
      case 'null':
        return 0;
      case 'rng':
        return this.rngPtr;
      default:
        return 0; // lr, rounding, label, gscale: patched by configure() and the step functions
    }
  }

  private compile(sub: SubPlan, opts: ExecutorOptions, training: boolean): Compiled {
    const exports = this.mod.exports as unknown as Record<string, unknown>;
    const labelSlots: number[] = [];
    let lossStep = -1;
    const fns: KernelFn[] = [];
    const args = sub.steps.map((step, i) => {
      const fn = exports[step.kernel];
      if (typeof fn !== 'function') throw new Error(`the kernel module has no export ${step.kernel}`);
      fns.push(fn as KernelFn);
      if (step.returns === 'loss') lossStep = i;
      step.args.forEach((a, j) => a.kind === 'label' && labelSlots.push(i, j));
      return Float64Array.from(step.args, (a) => this.resolveArg(a, step, sub));
    });
    const loss = sub.steps[lossStep]?.args[0];
    const classes = loss?.kind === 'i32' ? loss.value : sub.logits.bytes;
    const alloc = (bytes: number) => {
      const p = this.mod.alloc(bytes);
      this.splitPtrs.push(p);
      return p;
    };
    const src = { steps: sub.steps, fns, args, lossStep };
    const { splits, chains, programs } = planThreads(this.mod, alloc, src, opts);
    const threaded = splits.some((x) => x) || chains.some((x) => x);
    const pipeline =
      training && opts.pipeline !== false
        ? PrefixPipeline.create(this.mod, alloc, {
            plan: this.plan,
            sub,
            fns,
            args,
            arenaPtr: this.arenaPtr,
            lossStep,
            programs,
            start: opts.pipelineStart,
          })
        : null;
    // two ways: on threads (pipelined when the caller gives the next image, else split) or whole. The pipeline
    // balances itself against its split tail, so it is not timed against split steps as well
    const mode = opts.mode !== false && (threaded || pipeline) ? new ThreadMode(opts.mode ?? MODE_WINDOW) : null;
    const labels = Int32Array.from(labelSlots);
    const owner: (StepProgram | undefined)[] = new Array(sub.steps.length);
    for (const p of programs) owner.fill(p, p.from, p.to);
    return { fns, args, lossStep, labelSlots: labels, classes, sub, splits, chains, programs, owner, mode, pipeline };
  }

  /** Applies the run-time knobs: lr, rounding (args and update-param structs), QAS choice, and a new seed. */
  configure(s: RunSettings): void {
    const lr = Math.fround(s.lr);
    const rounding = Rounding[s.rounding];
    if (rounding === undefined) throw new Error(`unknown rounding "${s.rounding}"`);
    for (const c of [this.train, this.infer]) {
      c.sub.steps.forEach((step, i) => {
        const a = c.args[i];
        step.args.forEach((arg, j) => {
          if (arg.kind === 'lr') a[j] = lr;
          else if (arg.kind === 'rounding') a[j] = rounding;
          else if (arg.kind === 'gscale') a[j] = this.constPtrs[s.qas ? arg.qas : arg.plain];
        });
      });
    }
    const words = new Int32Array(this.mod.memory.buffer);
    this.plan.consts.forEach((c, i) => {
      if (c.struct === 'tt_update_params') words[(this.constPtrs[i] >> 2) + UPDATE_PARAMS_ROUNDING_WORD] = rounding;
    });
    if (s.seed !== this.seeded) this.seed(s.seed);
  }

  /** Changes only the learning rate (schedules); the rng keeps its state. */
  setLearningRate(lr: number): void {
    const v = Math.fround(lr);
    for (const c of [this.train, this.infer]) {
      c.sub.steps.forEach((step, i) => step.args.forEach((arg, j) => arg.kind === 'lr' && (c.args[i][j] = v)));
    }
  }

  /** Re-seeds the stochastic-rounding rng. */
  seed(seed: number): void {
    this.seeded = seed;
    new Uint32Array(this.mod.memory.buffer, this.rngPtr, 1)[0] = rngState(seed);
  }

  /**
   * Writes the image (unless null) and the label, then runs calls [from, to) of a sub-plan (all by default).
   * Returns the loss when the loss call ran, else NaN.
   */
  private run(
    c: Compiled,
    image: ArrayLike<number> | null,
    label: number,
    to = c.fns.length,
    from = 0,
    way?: number,
  ): number {
    if (this.disposed) throw new Error('executor disposed');
    if (c.labelSlots.length > 0 && !(Number.isInteger(label) && label >= 0 && label < c.classes))
      throw new Error(`label ${label} is not a class of this plan (0..${c.classes - 1})`);
    if (image !== null) {
      const io = c.sub.input;
      if (image.length !== io.bytes)
        throw new Error(`image has ${image.length} bytes; the plan's input takes ${io.bytes}`);
      new Int8Array(this.mod.memory.buffer, this.arenaPtr + io.offset, io.bytes).set(image);
    }
    const slots = c.labelSlots;
    for (let k = 0; k < slots.length; k += 2) c.args[slots[k]][slots[k + 1]] = label;
    const { fns, args, lossStep, splits, owner, mode } = c;
    const timed = way === undefined && mode !== null && to > from;
    // a way given by the caller, else timed; any way but the last (whole) runs split steps and programs
    const threads =
      way !== undefined ? way < (mode?.ways ?? 2) - 1 : timed ? mode.begin(`${from}:${to}`) < mode.ways - 1 : true;
    const t0 = timed ? performance.now() : 0;
    let loss = NaN;
    for (let i = from; i < to; i++) {
      const program = threads ? owner[i] : undefined;
      if (program) {
        // from call `first` to the last call boundary at or before `to` (a cut inside a chain runs it step by step)
        const first = program.callAt[i - program.from];
        let end = Math.min(program.to, to);
        while (end > i && program.callAt[end - program.from] < 0) end--;
        if (first >= 0 && end > i) {
          program.program.run(first, program.callAt[end - program.from]);
          if (i <= lossStep && lossStep < end) loss = program.loss.value;
          i = end - 1;
          continue;
        }
      }
      const split = threads ? splits[i] : null;
      if (split) split.run(args[i]);
      else {
        const r = call(fns[i], args[i]);
        if (i === lossStep) loss = r;
      }
    }
    if (timed) mode.end(performance.now() - t0);
    return loss;
  }

  /**
   * Calls [from, to) of the training ('train') or inference ('infer') sub-plan, after writing `image` unless it
   * is null (a caller resuming after a cut has restored the arena's live bytes itself; runtime/training
   * prefix-cache.ts). Returns the loss when the loss call ran, else NaN.
   */
  runSteps(which: 'train' | 'infer', from: number, to: number, image: ArrayLike<number> | null, label: number): number {
    const c = which === 'train' ? this.train : this.infer;
    if (!(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from <= to && to <= c.fns.length))
      throw new RangeError(`calls ${from}..${to} are not a range of the ${c.fns.length} ${which} calls`);
    return this.run(c, image, label, to, from);
  }

  /** The arena's bytes, a view into module memory (take a new one after anything that may grow the memory). */
  arenaView(): Uint8Array {
    return new Uint8Array(this.mod.memory.buffer, this.arenaPtr, this.arenaBytes);
  }

  /** A training step that adds each call's milliseconds to times[step index] (benchmarks: find hot kernels). */
  trainStepProfiled(image: ArrayLike<number>, label: number, times: Float64Array): number {
    const c = this.train;
    this.run(c, image, label, 0);
    let loss = NaN;
    for (let i = 0; i < c.fns.length; i++) {
      const t0 = performance.now();
      const split = c.splits[i];
      const r = split ? (split.run(c.args[i]), NaN) : call(c.fns[i], c.args[i]);
      times[i] += performance.now() - t0;
      if (i === c.lossStep) loss = r;
    }
    return loss;
  }

  /**
   * One training step (batch 1): forward, backward and the sparse update. Returns the loss. `next`, the image
   * of the next training step when the caller knows it, lets the executor compute that image's frozen prefix
   * on a kernel thread during this step (executor-pipeline.ts); results do not depend on it. A pipelined step
   * runs `during` (the caller's work, such as preparing a later image) on this thread while the kernel thread
   * works; other steps leave it to the caller (Learner.trainStep).
   */
  trainStep(
    image: ArrayLike<number>,
    label: number,
    _example?: unknown,
    next?: ArrayLike<number>,
    during?: () => void,
  ): number {
    const c = this.train;
    const p = c.pipeline;
    if (!p || !next) return this.run(c, image, label);
    const mode = c.mode;
    const way = mode ? mode.begin('pipelined') : 0;
    const t0 = mode ? performance.now() : 0;
    let loss = NaN;
    if (way !== 0) loss = this.run(c, image, label, c.fns.length, 0, way);
    else {
      this.pipelined++;
      const whole = 1;
      if (p.holds(image)) {
        this.run(c, null, label, p.cut, p.cut, whole);
        p.restore();
      } else this.run(c, image, label, p.cut, 0, whole);
      loss = p.run(next, (from, to) => this.run(c, null, label, to, from, whole), during);
    }
    if (mode) mode.end(performance.now() - t0);
    return loss;
  }

  /** Inference on one image: the loss against `label` and the predicted class. */
  evaluate(image: ArrayLike<number>, label: number): { loss: number; predicted: number } {
    const loss = this.run(this.infer, image, label);
    return { loss, predicted: this.argmax(this.infer.sub) };
  }

  /** Training steps run pipelined by the frozen prefix (executor-pipeline.ts), where its prefix ends (0: no
   * pipeline) and its balance point now (the calling thread runs calls cut..balance beside the prefix). */
  get pipelineRuns(): { steps: number; cut: number; balance: number } {
    const p = this.train.pipeline;
    return { steps: this.pipelined, cut: p?.cut ?? 0, balance: p?.balance ?? 0 };
  }

  /** Training runs so far and those that ran split (the rest ran whole: executor-mode.ts). */
  get splitRuns(): { runs: number; split: number; windows: { medians: number[]; way: number }[] } {
    const m = this.train.mode;
    return { runs: m?.runs ?? 0, split: m?.splitRuns ?? 0, windows: m?.history.slice() ?? [] };
  }

  /** Split calls a training step makes across kernel threads (0 without threads): a band chain run by row
   * ranges counts once, a split step outside chains once. */
  get splitSteps(): number {
    const { split, chains } = this.threadPlan();
    return split.filter((k) => k !== null && k !== CHAIN).length + chains.length;
  }

  /** Per training step: the export its parts call when it runs split ('chain' for the steps of a chain run by
   * row ranges, else null), the programs (executor-program.ts) and the chains as [from, to). */
  threadPlan(): { split: (string | null)[]; programs: [number, number][]; chains: [number, number][] } {
    const c = this.train;
    const ranges = (xs: ({ from: number; to: number } | undefined)[]) =>
      xs.flatMap((p) => (p ? [[p.from, p.to] as [number, number]] : []));
    const chains = ranges(c.chains);
    const split = c.splits.map((x) => x?.kernel ?? null);
    for (const [a, b] of chains) split.fill(CHAIN, a, b);
    return { split, programs: ranges(c.programs), chains };
  }

  /** Predicted class of the last training step (the logits of its forward pass, before the update). */
  trainPredicted(): number {
    return this.argmax(this.train.sub);
  }

  /** Predicted class of the last inference run (evaluate, or runSteps('infer', ...) through the logits). */
  inferPredicted(): number {
    return this.argmax(this.infer.sub);
  }

  private argmax(sub: SubPlan): number {
    const { offset, bytes } = sub.logits;
    const z = new Int8Array(this.mod.memory.buffer, this.arenaPtr + offset, bytes);
    let best = 0;
    for (let i = 1; i < bytes; i++) if (z[i] > z[best]) best = i;
    return best;
  }

  /** Logits (int8) of the last training (or, with `inference`, evaluation) run. */
  logits(inference = false): Int8Array {
    const { offset, bytes } = (inference ? this.infer : this.train).sub.logits;
    return this.mod.get(Int8Array, this.arenaPtr + offset, bytes);
  }

  /** Copies of the trainable ('sram') consts as they are now: the int8 weights and int32 biases. */
  trainable(): { name: string; data: Int8Array | Int32Array }[] {
    return this.plan.consts.flatMap((c, i) => {
      if (c.storage !== 'sram' || c.data instanceof Float32Array) return [];
      const p = this.constPtrs[i];
      const data =
        c.data instanceof Int8Array
          ? this.mod.get(Int8Array, p, c.data.length)
          : this.mod.get(Int32Array, p, c.data.length);
      return [{ name: c.name, data }];
    });
  }

  /** Restores the trainable weights of the plan (the model's values) and re-seeds the rng. */
  resetWeights(seed: number): void {
    this.copyConsts((c) => c.storage === 'sram');
    this.seed(seed);
  }

  /** Frees every allocation of this plan. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of this.constPtrs) this.mod.free(p);
    for (const p of this.splitPtrs) this.mod.free(p);
    this.mod.free(this.rngPtr);
    this.mod.free(this.rawPtr);
  }
}
