/**
 * The contract between the page and the training runtime (types only). The runtime module
 * src/runtime/training-client.ts, when it exists, exports `createTrainingRuntime(): TrainingRuntime`;
 * src/state/training.ts finds it with import.meta.glob and shows "training runtime not available yet" until then.
 */
import type { PlanOptions, TrainingPlan } from '../compiler/plan';
import type { RunSettings } from '../compiler/settings';

/** A labelled image the user added ("your data"): RGBA pixels at the model's input resolution. */
export interface UserSample {
  label: number;
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
}

/** One report from the runtime, sent every few steps while training. */
export interface TrainingMetrics {
  /** training steps (examples, batch 1) done since the last reset */
  step: number;
  /** mean training loss over the steps since the previous report */
  loss: number;
  /** training accuracy over the steps since the previous report, 0..1 */
  accuracy: number;
  /** held-out accuracy, 0..1, when the runtime evaluated at this report */
  testAccuracy?: number;
  samplesPerSec: number;
}

/** What to compile in the worker when training should start from a pretrained backbone (public/models/). */
export interface TrainingSpec {
  model: string;
  resolution: number;
  /** scheme text (compiler/scheme/scheme.ts) */
  scheme: string;
  classes: number;
  /** start from public/models/<model> (the call fails when that file is missing) */
  pretrained: boolean;
  seed: number;
  options?: Partial<PlanOptions>;
}

export interface TrainingRuntime {
  /** Loads a plan (and resets training); resolves when the worker is ready to step. */
  load(plan: TrainingPlan, settings: RunSettings): Promise<void>;
  /**
   * Optional: compiles the same experiment in the worker on a pretrained backbone and loads it (the memory
   * plan is the page's; only the weights differ). Rejects when the backbone file is missing.
   */
  loadSpec?(spec: TrainingSpec, settings: RunSettings): Promise<unknown>;
  /** Changes run-time knobs without reloading the plan. */
  configure(settings: RunSettings): Promise<void>;
  start(): Promise<void>;
  pause(): Promise<void>;
  /** Runs `n` steps and resolves with the metrics after them. */
  step(n: number): Promise<TrainingMetrics>;
  /** Restores the initial weights and clears the counters. */
  reset(): Promise<void>;
  /** Replaces the user's own samples; an empty list goes back to the built-in data set. */
  setUserData(samples: UserSample[], classNames: string[]): Promise<void>;
  /** Subscribes to metrics while running; returns the unsubscribe function. */
  onMetrics(cb: (m: TrainingMetrics) => void): () => void;
  /** Stops the worker for good. */
  dispose(): void;
}

export interface TrainingRuntimeModule {
  createTrainingRuntime(): TrainingRuntime;
}
