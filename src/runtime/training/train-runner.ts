/**
 * The training worker's engine, free of any worker or comlink code so Node tests drive it directly: it holds
 * the kernel module, the loaded plan (a PlanExecutor), the data and a TrainingSession, and runs the
 * start / pause / step / reset protocol of training-api.ts. While running it trains in chunks of about
 * CHUNK_MS, yields to the event loop between chunks (so pause and configure messages get through), and emits
 * one TrainingMetrics every REPORT_MS with the window's mean loss, training accuracy and samples/s; it
 * evaluates the held-out set when it starts and then every EVAL_MS of wall-clock time, so the test accuracy
 * curve starts at the pretrained model's accuracy. On the user's own images it trains on about 80% of each
 * class and evaluates the held-out rest (train-data.ts holdOut), with a confusion matrix. Pausing emits the
 * last partial window (evaluated too on the user's images, whose held-out set is small).
 */
import type { TrainingPlan } from '../../compiler/plan';
import { runSettingsOf, type RunSettings } from '../../compiler/settings';
import { PlanExecutor } from '../kernels/executor';
import type { DatasetSplit } from './data';
import { checkImageInput, datasetImages, USER_IMAGES } from './input-fit';
import { firstClasses, holdOut, planInputSpec, splitExamples, userExamples, type HeldOutSplit } from './train-data';
import { TrainingSession, type EvalStats, type ExampleSource, type WindowStats } from './train-session';
import type { HeldOutSamples, TrainingMetrics, UserSample } from './training-api';
import type { KernelModule } from '../kernels/wasm';

/** The built-in data set: a training and a held-out split. */
export interface BuiltinData {
  train: DatasetSplit;
  test: DatasetSplit;
}

export interface RunnerOptions {
  /** Test examples per evaluation (the first ones of the test set). */
  evalSize: number;
  /** Wall-clock milliseconds between evaluations while running (0: never). */
  evalMs: number;
  /** Milliseconds between metric reports while running. */
  reportMs: number;
  /** Canary bytes on each side of the arena (checked by canaries(); they cost nothing else). */
  guardBytes: number;
}

export const DEFAULT_RUNNER_OPTIONS: RunnerOptions = { evalSize: 256, evalMs: 10_000, reportMs: 500, guardBytes: 64 };
const CHUNK_MS = 50;

export interface LoadReport {
  /** Bytes of arena the executor allocated (== the plan's arenaBytes). */
  arenaBytes: number;
  planArenaBytes: number;
  trainSteps: number;
  /** Steps of a training step that run split across kernel threads (0 on one thread). */
  splitSteps: number;
  loadMs: number;
  trainExamples: number;
  testExamples: number;
  /** On the user's images: the labels of classes with a single image (they train, nothing is held out). */
  trainOnly?: number[];
}

/** The data a plan trains and evaluates on; `split` when it is the user's images. */
interface Sources {
  train: ExampleSource;
  test: ExampleSource;
  split?: HeldOutSplit;
}

const yieldToEvents = () =>
  new Promise<void>((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(0);
  });

export class TrainRunner {
  private executor: PlanExecutor | null = null;
  /** The executor's run counts at the last report (TrainingMetrics.threaded is the share since then). */
  private counted = { runs: 0, split: 0 };
  private share: number | undefined;
  private session: TrainingSession | null = null;
  private settings: RunSettings = { lr: 0.01, rounding: 'nearest', qas: true, seed: 1 };
  private user: UserSample[] = [];
  /** The held-out split of the user's images in use, null on the built-in data set. */
  private heldOut: HeldOutSplit | null = null;
  private builtin: BuiltinData | null = null;
  private running: Promise<void> | null = null;
  private stopRequested = false;
  private readonly opts: RunnerOptions;
  /** Last error of the background loop that no `stopped` callback took, reported by the next call. */
  private loopError: Error | null = null;

  constructor(
    private readonly mod: KernelModule,
    private readonly loadBuiltin: () => Promise<BuiltinData>,
    opts: Partial<RunnerOptions> = {},
  ) {
    this.opts = { ...DEFAULT_RUNNER_OPTIONS, ...opts };
  }

  private static runSettings(s: RunSettings): RunSettings {
    if (!(s.lr >= 0 && Number.isFinite(s.lr)))
      throw new Error(`learning rate must be a finite number >= 0, got ${s.lr}`);
    return runSettingsOf(s);
  }

  /**
   * The user's images split per class with the seed (train-data.ts holdOut), else the built-in data set; both
   * resized to the plan's input shape. An input that is not an image is refused (input-fit.ts).
   */
  private async sources(plan: TrainingPlan, seed: number): Promise<Sources> {
    if (this.user.length > 0) return this.userSources(plan, seed);
    this.builtin ??= await this.loadBuiltin();
    const classes = plan.model.classes;
    const have = this.builtin.train.manifest.classes.length;
    checkImageInput(plan.input.shape, classes, datasetImages(this.builtin.train.manifest));
    // fewer classes than the data set: train and test on the examples of the first `classes` classes
    const input = planInputSpec(plan);
    const train = splitExamples(this.builtin.train, input);
    const test = splitExamples(this.builtin.test, input);
    return classes === have
      ? { train, test }
      : { train: firstClasses(train, classes), test: firstClasses(test, classes) };
  }

  private userSources(plan: TrainingPlan, seed: number): Sources {
    const classes = plan.model.classes;
    checkImageInput(plan.input.shape, classes, USER_IMAGES);
    const input = planInputSpec(plan);
    const bad = this.user.find((u) => u.label < 0 || u.label >= classes);
    if (bad) throw new Error(`a sample has label ${bad.label}, but the plan has ${classes} classes`);
    const split = holdOut(this.user, seed);
    const pick = (idx: number[]) =>
      userExamples(
        idx.map((i) => this.user[i]),
        input,
      );
    return { train: pick(split.train), test: pick(split.test), split };
  }

  private loaded(): { executor: PlanExecutor; session: TrainingSession } {
    if (this.loopError) {
      const e = this.loopError;
      this.loopError = null;
      throw e;
    }
    if (!this.executor || !this.session) throw new Error('no plan loaded');
    return { executor: this.executor, session: this.session };
  }

  /** Loads a plan: allocates its arena in module memory and resets training. */
  async load(plan: TrainingPlan, settings: RunSettings): Promise<LoadReport> {
    const t0 = performance.now();
    await this.pause();
    const run = TrainRunner.runSettings(settings);
    const data = await this.sources(plan, settings.seed);
    this.executor?.dispose();
    this.executor = null;
    this.executor = PlanExecutor.load(this.mod, plan, run, { guardBytes: this.opts.guardBytes });
    this.counted = { runs: 0, split: 0 };
    this.share = undefined;
    this.settings = { ...settings };
    this.session = new TrainingSession(this.executor, data.train, data.test, plan.input.bytes, settings.seed);
    this.heldOut = data.split ?? null;
    return {
      arenaBytes: this.executor.arenaBytes,
      planArenaBytes: plan.arenaBytes,
      trainSteps: plan.steps.length,
      splitSteps: this.executor.splitSteps,
      loadMs: performance.now() - t0,
      trainExamples: data.train.size,
      testExamples: data.test.size,
      ...(data.split && { trainOnly: data.split.trainOnly }),
    };
  }

  /**
   * New run-time knobs; a new seed restarts the example order and re-seeds stochastic rounding. On the user's
   * images it also draws that seed's held-out split and restores the plan's weights: weights trained on images
   * that the new split holds out would make the held-out accuracy a lie.
   */
  configure(settings: RunSettings): void {
    const { executor, session } = this.loaded();
    executor.configure(TrainRunner.runSettings(settings));
    const newSeed = settings.seed !== this.settings.seed;
    this.settings = { ...settings };
    if (!newSeed) return;
    session.reset(settings.seed);
    if (this.heldOut) {
      const data = this.userSources(executor.plan, settings.seed);
      this.heldOut = data.split!;
      session.setData(data.train, data.test);
      executor.resetWeights(settings.seed);
    }
  }

  /** Evaluates the test set: on the user's images all of the held-out ones (up to evalSize), with confusion. */
  private evaluateNow(session: TrainingSession): EvalStats | undefined {
    if (session.testSize === 0) return undefined;
    return session.evaluate(this.opts.evalSize, this.heldOut ? this.executor!.plan.model.classes : 0);
  }

  private metrics(w: WindowStats, session: TrainingSession, ev?: EvalStats): TrainingMetrics {
    const m: TrainingMetrics = {
      step: session.step,
      loss: w.loss,
      accuracy: w.accuracy,
      samplesPerSec: w.ms > 0 ? (1000 * w.steps) / w.ms : 0,
    };
    // the share of the steps since the last report that ran on kernel threads (the executor's counts move on)
    const runs = this.executor && (this.mod.threads?.count ?? 1) > 1 ? this.executor.splitRuns : null;
    if (runs) {
      // no step since the last report (a repeated window): its share again
      const n = runs.runs - this.counted.runs;
      if (n > 0) this.share = (runs.split - this.counted.split) / n;
      if (this.share !== undefined) m.threaded = this.share;
      this.counted = runs;
    }
    if (ev) m.testAccuracy = ev.accuracy;
    if (ev?.confusion) m.confusion = ev.confusion;
    return m;
  }

  /** Runs n steps now (not while running) and returns their metrics, with a test accuracy when `evaluate`. */
  step(n: number, evaluate = false): TrainingMetrics {
    const { session } = this.loaded();
    if (this.running) throw new Error('training is running; pause first');
    const w = session.trainSteps(n);
    return this.metrics(w, session, evaluate ? this.evaluateNow(session) : undefined);
  }

  /**
   * Starts the background loop (returns at once); `emit` receives every report. When the loop fails, training
   * stops and `stopped` receives the error's message at once (no call need be pending); without `stopped`, or
   * when it throws, the next call reports the error instead.
   */
  start(emit: (m: TrainingMetrics) => void, stopped?: (message: string) => void): void {
    const { session } = this.loaded();
    if (this.running) return;
    this.stopRequested = false;
    this.running = this.loop(session, emit)
      .catch((e: unknown) => {
        const err = e instanceof Error ? e : new Error(String(e));
        this.loopError = err;
        if (!stopped) return;
        try {
          // across comlink the callback answers with a promise (it rejects when the page is gone: no one to tell)
          void Promise.resolve(stopped(err.message) as unknown).catch(() => undefined);
          this.loopError = null;
        } catch {
          // the callback itself failed: the next call reports the error
        }
      })
      .finally(() => {
        this.running = null;
      });
  }

  private async loop(session: TrainingSession, emit: (m: TrainingMetrics) => void): Promise<void> {
    const { evalMs, evalSize, reportMs } = this.opts;
    let nextEval = evalMs > 0 ? performance.now() : Infinity;
    let chunk = 1;
    let acc: WindowStats = { steps: 0, loss: 0, accuracy: 0, ms: 0 };
    let lastReport = performance.now();
    const mean = (a: WindowStats): WindowStats => ({ ...a, loss: a.loss / a.steps, accuracy: a.accuracy / a.steps });
    let lastWindow: WindowStats | null = null;
    while (!this.stopRequested) {
      let ev: EvalStats | undefined;
      if (performance.now() >= nextEval) {
        ev = this.evaluateNow(session);
        nextEval = performance.now() + evalMs;
      }
      const w = session.trainSteps(chunk);
      chunk = Math.max(1, Math.min(1000, Math.round((chunk * CHUNK_MS) / Math.max(w.ms, 1))));
      acc = {
        steps: acc.steps + w.steps,
        loss: acc.loss + w.loss * w.steps,
        accuracy: acc.accuracy + w.accuracy * w.steps,
        ms: acc.ms + w.ms,
      };
      if (ev || performance.now() - lastReport >= reportMs) {
        lastWindow = mean(acc);
        emit(this.metrics(lastWindow, session, ev));
        acc = { steps: 0, loss: 0, accuracy: 0, ms: 0 };
        lastReport = performance.now();
      }
      await yieldToEvents();
    }
    // Paused: report the steps since the last report, so the curves end at the step count the runner is at; on
    // the user's images the report carries the held-out accuracy of the final weights (when the last report
    // closed the window, it is repeated with that evaluation).
    const final = this.heldOut ? this.evaluateNow(session) : undefined;
    if (acc.steps > 0) emit(this.metrics(mean(acc), session, final));
    else if (final && lastWindow) emit(this.metrics(lastWindow, session, final));
  }

  /** Stops the loop after its current chunk; resolves when it has stopped. */
  async pause(): Promise<void> {
    this.stopRequested = true;
    await this.running;
  }

  /** Restores the plan's weights, step 0 and the seed's example order. */
  async reset(): Promise<void> {
    await this.pause();
    const { executor, session } = this.loaded();
    executor.resetWeights(this.settings.seed);
    session.reset(this.settings.seed);
  }

  /** Replaces the user's samples (empty: the built-in data set); applies to the loaded plan at once. */
  async setUserData(samples: UserSample[]): Promise<void> {
    await this.pause();
    this.user = samples.slice();
    await this.reloadData();
  }

  /** Builds the loaded plan's sources again (new user samples, or a new seed's held-out split). */
  private async reloadData(): Promise<void> {
    if (!this.executor || !this.session) return;
    const data = await this.sources(this.executor.plan, this.settings.seed);
    this.heldOut = data.split ?? null;
    this.session.setData(data.train, data.test);
  }

  /** The held-out split of the user's images now in use (null on the built-in data set). */
  split(): HeldOutSplit | null {
    this.loaded();
    return this.heldOut;
  }

  /**
   * Test accuracy and loss on the first `limit` test examples; on the user's images, the held-out ones with
   * their confusion matrix.
   */
  evaluate(limit = this.opts.evalSize): EvalStats {
    const { session } = this.loaded();
    if (this.running) throw new Error('training is running; pause first');
    return session.evaluate(limit, this.heldOut ? this.executor!.plan.model.classes : 0);
  }

  /**
   * Class probabilities of one RGBA image with the current weights: the image becomes the plan's input like a
   * user sample, the inference sub-plan runs, and the int8 logits are dequantized, (q - zeroPoint) * scale, and
   * put through a softmax. Safe while training runs (it happens between chunks).
   */
  classify(image: Omit<UserSample, 'label'>): number[] {
    const { executor } = this.loaded();
    const { plan } = executor;
    const { input: io, logits } = plan.inference;
    if (!(image.width > 0 && image.height > 0) || image.rgba.length !== 4 * image.width * image.height)
      throw new Error(`an image of ${image.width}x${image.height} needs ${4 * image.width * image.height} RGBA bytes`);
    const buf = new Int8Array(io.bytes);
    userExamples([{ ...image, label: 0 }], planInputSpec({ model: plan.model, input: io })).image(0, buf);
    executor.evaluate(buf, 0);
    const z = Array.from(executor.logits(true), (q) => (q - logits.zeroPoint) * logits.scale);
    const top = Math.max(...z);
    const e = z.map((v) => Math.exp(v - top));
    const sum = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / sum);
  }

  /** Bit-identity probe: n steps from the current state, every loss, and the trainable weights after them. */
  trace(n: number): { losses: number[]; trainable: { name: string; data: Int8Array | Int32Array }[] } {
    const { executor, session } = this.loaded();
    if (this.running) throw new Error('training is running; pause first');
    const losses: number[] = [];
    session.trainSteps(n, (l) => losses.push(l));
    return { losses, trainable: executor.trainable() };
  }

  /** The trainable tensors as they are now and the step count: what the page exports (firmware, model file). */
  snapshot(): { step: number; trainable: { name: string; data: Int8Array | Int32Array }[] } {
    const { executor, session } = this.loaded();
    if (this.running) throw new Error('training is running; pause first');
    return { step: session.step, trainable: executor.trainable() };
  }

  /**
   * The first n held-out examples (the test split, or the user's held-out images) as the plan's int8 input, with
   * their labels and the class the current weights predict: a firmware bundle embeds them, and its demo must
   * predict the same.
   */
  samples(n: number): HeldOutSamples {
    // safe while running: the loop yields between whole steps, and inference uses its own sub-plan
    const { session } = this.loaded();
    const builtin = this.user.length === 0 && this.builtin;
    return {
      source: builtin ? `the ${builtin.test.manifest.name} test split` : 'your held-out images',
      classNames: builtin ? builtin.train.manifest.classes.slice() : null,
      samples: session.examples(n),
    };
  }

  /** Canary check of the arena (guardBytes > 0). */
  canaries() {
    return this.loaded().executor.checkCanaries();
  }

  dispose(): void {
    this.stopRequested = true;
    this.executor?.dispose();
    this.executor = null;
    this.session = null;
  }
}
