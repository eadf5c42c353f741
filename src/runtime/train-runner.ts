/**
 * The training worker's engine, free of any worker or comlink code so Node tests drive it directly: it holds
 * the kernel module, the loaded plan (a PlanExecutor), the data and a TrainingSession, and runs the
 * start / pause / step / reset protocol of training-api.ts. While running it trains in chunks of about
 * CHUNK_MS, yields to the event loop between chunks (so pause and configure messages get through), and emits
 * one TrainingMetrics every REPORT_MS with the window's mean loss, training accuracy and samples/s; it
 * evaluates the held-out set when it starts and then every EVAL_MS of wall-clock time, so the test accuracy
 * curve starts at the pretrained model's accuracy.
 */
import type { TrainingPlan } from '../compiler/plan';
import { runSettingsOf, type RunSettings } from '../compiler/settings';
import { PlanExecutor } from './executor';
import type { DatasetSplit } from './data';
import { splitExamples, userExamples, type InputSpec } from './train-data';
import { TrainingSession, type ExampleSource, type WindowStats } from './train-session';
import type { TrainingMetrics, UserSample } from './training-api';
import type { KernelModule } from './wasm';

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
  loadMs: number;
  trainExamples: number;
  testExamples: number;
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
  private session: TrainingSession | null = null;
  private settings: RunSettings = { lr: 0.01, rounding: 'nearest', qas: true, seed: 1 };
  private user: UserSample[] = [];
  private builtin: BuiltinData | null = null;
  private running: Promise<void> | null = null;
  private stopRequested = false;
  private readonly opts: RunnerOptions;
  /** Last error of the background loop, reported by the next call. */
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

  private async sources(input: InputSpec, classes: number): Promise<{ train: ExampleSource; test: ExampleSource }> {
    if (this.user.length > 0) {
      const bad = this.user.find((u) => u.label < 0 || u.label >= classes);
      if (bad) throw new Error(`a sample has label ${bad.label}, but the plan has ${classes} classes`);
      const all = userExamples(this.user, input);
      return { train: all, test: all };
    }
    this.builtin ??= await this.loadBuiltin();
    const have = this.builtin.train.manifest.classes.length;
    if (have !== classes)
      throw new Error(`the plan has ${classes} classes; the data set ${this.builtin.train.manifest.name} has ${have}`);
    return { train: splitExamples(this.builtin.train, input), test: splitExamples(this.builtin.test, input) };
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
    const [r, , c] = plan.input.shape;
    const input: InputSpec = { resolution: r, channels: c };
    const data = await this.sources(input, plan.model.classes);
    this.executor?.dispose();
    this.executor = null;
    this.executor = PlanExecutor.load(this.mod, plan, run, { guardBytes: this.opts.guardBytes });
    this.settings = { ...settings };
    this.session = new TrainingSession(this.executor, data.train, data.test, plan.input.bytes, settings.seed);
    return {
      arenaBytes: this.executor.arenaBytes,
      planArenaBytes: plan.arenaBytes,
      trainSteps: plan.steps.length,
      loadMs: performance.now() - t0,
      trainExamples: data.train.size,
      testExamples: data.test.size,
    };
  }

  /** New run-time knobs; a new seed restarts the example order and re-seeds stochastic rounding. */
  configure(settings: RunSettings): void {
    const { executor, session } = this.loaded();
    executor.configure(TrainRunner.runSettings(settings));
    if (settings.seed !== this.settings.seed) session.reset(settings.seed);
    this.settings = { ...settings };
  }

  private metrics(w: WindowStats, session: TrainingSession, testAccuracy?: number): TrainingMetrics {
    const m: TrainingMetrics = {
      step: session.step,
      loss: w.loss,
      accuracy: w.accuracy,
      samplesPerSec: w.ms > 0 ? (1000 * w.steps) / w.ms : 0,
    };
    if (testAccuracy !== undefined) m.testAccuracy = testAccuracy;
    return m;
  }

  /** Runs n steps now (not while running) and returns their metrics, with a test accuracy when `evaluate`. */
  step(n: number, evaluate = false): TrainingMetrics {
    const { session } = this.loaded();
    if (this.running) throw new Error('training is running; pause first');
    const w = session.trainSteps(n);
    return this.metrics(w, session, evaluate ? session.evaluate(this.opts.evalSize).accuracy : undefined);
  }

  /** Starts the background loop (returns at once); `emit` receives every report. */
  start(emit: (m: TrainingMetrics) => void): void {
    const { session } = this.loaded();
    if (this.running) return;
    this.stopRequested = false;
    this.running = this.loop(session, emit)
      .catch((e: unknown) => {
        this.loopError = e instanceof Error ? e : new Error(String(e));
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
    while (!this.stopRequested) {
      let testAccuracy: number | undefined;
      if (performance.now() >= nextEval) {
        testAccuracy = session.evaluate(evalSize).accuracy;
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
      if (testAccuracy !== undefined || performance.now() - lastReport >= reportMs) {
        emit(
          this.metrics(
            { ...acc, loss: acc.loss / acc.steps, accuracy: acc.accuracy / acc.steps },
            session,
            testAccuracy,
          ),
        );
        acc = { steps: 0, loss: 0, accuracy: 0, ms: 0 };
        lastReport = performance.now();
      }
      await yieldToEvents();
    }
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
    if (!this.executor || !this.session) return;
    const { shape } = this.executor.plan.input;
    const input: InputSpec = { resolution: shape[0], channels: shape[2] };
    const data = await this.sources(input, this.executor.plan.model.classes);
    this.session.setData(data.train, data.test);
  }

  /** Test accuracy and loss on the first `limit` test examples. */
  evaluate(limit = this.opts.evalSize): { accuracy: number; loss: number; examples: number } {
    if (this.running) throw new Error('training is running; pause first');
    return this.loaded().session.evaluate(limit);
  }

  /** Bit-identity probe: n steps from the current state, every loss, and the trainable weights after them. */
  trace(n: number): { losses: number[]; trainable: { name: string; data: Int8Array | Int32Array }[] } {
    const { executor, session } = this.loaded();
    if (this.running) throw new Error('training is running; pause first');
    const losses: number[] = [];
    session.trainSteps(n, (l) => losses.push(l));
    return { losses, trainable: executor.trainable() };
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
