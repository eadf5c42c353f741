/**
 * The contract between the page and the training runtime (types only). The runtime module
 * src/runtime/training/training-client.ts, when it exists, exports `createTrainingRuntime(): TrainingRuntime`;
 * src/state/training.ts finds it with import.meta.glob and shows "training runtime not available yet" until then.
 */
import type { TrainingPlan } from '../../compiler/plan';
import type { RunSettings } from '../../compiler/settings';

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
  /**
   * On the user's own images, with testAccuracy: the held-out images' counts, confusion[true class][predicted]
   * (its sum is the number of held-out images evaluated). Absent on the built-in data set's test split.
   */
  confusion?: number[][];
  samplesPerSec: number;
  /**
   * With kernel threads: the share (0..1) of the steps since the previous report that ran on them; the rest ran
   * whole on one thread because that timed faster (executor-mode.ts: a busy machine). Absent on one thread.
   */
  threaded?: number;
}

export interface TrainingSnapshot {
  step: number;
  trainable: { name: string; data: Int8Array | Int32Array }[];
}

export interface HeldOutSample {
  label: number;
  /** The plan's int8 HWC input. */
  image: Int8Array;
  /** The class the weights predicted when the sample was taken. */
  predicted: number;
}

export interface HeldOutSamples {
  /** Where they come from, in words ('the mnist test split', 'your held-out images'). */
  source: string;
  /** The data set's class names (null for the user's own data: the page knows those). */
  classNames: string[] | null;
  samples: HeldOutSample[];
}

/** How many kernel threads the training worker runs. */
export interface ThreadInfo {
  /** Threads asked for (the setting). */
  requested: number;
  /** Threads running: 1 where shared memory is unavailable (the page is not cross-origin isolated). */
  running: number;
  /** Whether the worker can share memory (SharedArrayBuffer and cross-origin isolation). */
  isolated: boolean;
}

/** Kernel threads when nothing is asked for: the machine's cores, at most 4. */
export function defaultThreadCount(): number {
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return Math.max(1, Math.min(4, cores ?? 1));
}

export interface TrainingRuntime {
  /** Loads a plan (and resets training); resolves when the worker is ready to step. */
  load(plan: TrainingPlan, settings: RunSettings): Promise<void>;
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
  /** The trainable tensors now and the step count (not while running): the page exports them. */
  snapshot(): Promise<TrainingSnapshot>;
  /** The first n held-out examples as int8 input, with labels and the current prediction (not while running). */
  samples(n: number): Promise<HeldOutSamples>;
  /** Optional: class probabilities (softmax of the logits) of one image with the current weights. */
  classify?(image: Omit<UserSample, 'label'>): Promise<number[]>;
  /** Subscribes to metrics while running; returns the unsubscribe function. */
  onMetrics(cb: (m: TrainingMetrics) => void): () => void;
  /**
   * Subscribes to failures of the background training loop: training has stopped, `message` says why. Sent as it
   * happens, while no call is pending. Returns the unsubscribe function.
   */
  onError(cb: (message: string) => void): () => void;
  /** Stops the worker for good. */
  dispose(): void;
  /** Optional: the kernel threads of the worker. */
  threads?(): Promise<ThreadInfo>;
  /**
   * Optional: runs the kernels on `n` threads from now on (a new worker, the loaded plan loaded again: training
   * restarts from the plan's weights). Results are bit-identical for any n.
   */
  setThreads?(n: number): Promise<ThreadInfo>;
}

export interface TrainingRuntimeModule {
  createTrainingRuntime(): TrainingRuntime;
}
