/**
 * A training run, independent of where it runs: the web worker, the Node CLI and the experiment script all
 * drive a learner (the WebAssembly plan executor, the reference interpreter or the fp32 baseline) through
 * this class, so the example order, the metrics and the evaluation are the same code everywhere. Batch 1:
 * one step is one example. The order is a fresh seeded permutation of the training set every epoch
 * (mulberry32 + Fisher-Yates), so a seed fixes the run bit for bit.
 */
import { mulberry32 } from '../../compiler/models/init';

/** Which example an image is: its split ('train' or 'test', the session's two sources) and its index there. */
export interface ExampleRef {
  split: 'train' | 'test';
  index: number;
}

/** What trains: one SGD step per example, and inference. */
export interface Learner {
  /** One training step; returns the loss. `example` says which image it is (caches key on it; optional).
   * `next` is the image of the next training step when known (a learner may start on it early: the plan
   * executor's two-thread pipeline); it never changes this step's result. `during`, work of the caller that
   * does not touch the learner (preparing a later image), may be run by the learner while other threads work;
   * the caller finds out (TrainingSession) and runs it afterwards when the learner did not. */
  trainStep(image: Int8Array, label: number, example?: ExampleRef, next?: Int8Array, during?: () => void): number;
  /** Predicted class of the last training step (the forward pass before its update). */
  trainPredicted(): number;
  evaluate(image: Int8Array, label: number, example?: ExampleRef): { loss: number; predicted: number };
  /** Changes the learning rate between steps (learning-rate schedules). */
  setLearningRate(lr: number): void;
}

/** A labelled image set, already at the plan's input shape and quantization. */
export interface ExampleSource {
  readonly size: number;
  label(i: number): number;
  /** Writes example i (int8 HWC, quantized with the plan's input parameters) into dst. */
  image(i: number, dst: Int8Array): void;
}

/** Means over a window of training steps. */
export interface WindowStats {
  steps: number;
  loss: number;
  accuracy: number;
  /** Wall-clock milliseconds the window's steps took (data preparation included). */
  ms: number;
}

export interface EvalStats {
  examples: number;
  loss: number;
  accuracy: number;
  ms: number;
  /** With `classes` > 0: counts[true label][predicted class]. */
  confusion?: number[][];
}

/** Seeded epoch-wise shuffling of n indices. */
export class Sampler {
  private order: Int32Array;
  /** The next epoch's order, once peek() looked into it. */
  private upcoming: Int32Array | null = null;
  private at = 0;
  private readonly rand: () => number;

  constructor(
    private readonly n: number,
    seed: number,
  ) {
    if (n <= 0) throw new Error('the training set is empty');
    this.rand = mulberry32(seed ^ 0x5bd1e995);
    this.order = this.shuffled();
  }

  /** A fresh permutation (the rng's next draws: the same whether it is made early, for peek(), or when due). */
  private shuffled(): Int32Array {
    const o = new Int32Array(this.n);
    for (let i = 0; i < this.n; i++) o[i] = i;
    for (let i = this.n - 1; i > 0; i--) {
      const j = Math.floor(this.rand() * (i + 1));
      const t = o[i];
      o[i] = o[j];
      o[j] = t;
    }
    return o;
  }

  next(): number {
    if (this.at === this.n) {
      this.order = this.upcoming ?? this.shuffled();
      this.upcoming = null;
      this.at = 0;
    }
    return this.order[this.at++];
  }

  /** The index next() returns after `ahead` more calls (0: the next one), without taking any; -1 past the next
   * epoch. The order is the same with or without peeking. */
  peek(ahead = 0): number {
    const k = this.at + ahead;
    if (k < this.n) return this.order[k];
    if (k - this.n >= this.n) return -1;
    this.upcoming ??= this.shuffled();
    return this.upcoming[k - this.n];
  }
}

export class TrainingSession {
  /** Training steps done since the start (or the last reset). */
  step = 0;
  private sampler: Sampler;
  private readonly buf: Int8Array;
  /** Training images prepared ahead: the next step's (Learner.trainStep's `next`) and the one after it
   * (prepared during a step when the learner runs `during`), with their example indices (-1: none). */
  private readonly ahead: { index: number; image: Int8Array }[];

  constructor(
    public learner: Learner,
    private train: ExampleSource,
    private test: ExampleSource,
    inputBytes: number,
    private seed: number,
  ) {
    this.buf = new Int8Array(inputBytes);
    this.ahead = [0, 1, 2].map(() => ({ index: -1, image: new Int8Array(inputBytes) }));
    this.sampler = new Sampler(train.size, seed);
  }

  /** Starts over: step 0 and the seed's example order (the learner resets its own weights). */
  reset(seed = this.seed): void {
    this.seed = seed;
    this.step = 0;
    this.sampler = new Sampler(this.train.size, seed);
    this.ahead.forEach((a) => (a.index = -1));
  }

  /** Replaces the data (user samples or the built-in set) and restarts the example order. */
  setData(train: ExampleSource, test: ExampleSource): void {
    this.train = train;
    this.test = test;
    this.sampler = new Sampler(train.size, this.seed);
    this.ahead.forEach((a) => (a.index = -1));
  }

  /** Runs n training steps; `onLoss` sees every step's loss (loss curves, bit-identity tests). */
  trainSteps(n: number, onLoss?: (loss: number, step: number) => void): WindowStats {
    const t0 = performance.now();
    let loss = 0;
    let correct = 0;
    const ahead = this.ahead;
    const prepare = (slot: number, index: number) => {
      if (index >= 0 && ahead[slot].index !== index) this.train.image(index, ahead[slot].image);
      ahead[slot].index = index;
    };
    for (let k = 0; k < n; k++) {
      const i = this.sampler.next();
      const label = this.train.label(i);
      // slot 0 becomes this step's image, 1 the next's, 2 the one after (prepared during the step)
      if (ahead[1].index === i) ahead.push(ahead.shift()!);
      prepare(0, i);
      prepare(1, this.sampler.peek(0));
      const later = this.sampler.peek(1);
      let prepared = false;
      const during = () => {
        prepared = true;
        prepare(2, later);
      };
      const l = this.learner.trainStep(ahead[0].image, label, { split: 'train', index: i }, ahead[1].image, during);
      if (!prepared) during();
      loss += l;
      if (this.learner.trainPredicted() === label) correct++;
      this.step++;
      onLoss?.(l, this.step);
    }
    return { steps: n, loss: n ? loss / n : NaN, accuracy: n ? correct / n : NaN, ms: performance.now() - t0 };
  }

  /** The first n test examples (int8 input), their labels and what the learner predicts for them now. */
  examples(n: number): { label: number; image: Int8Array; predicted: number }[] {
    const out: { label: number; image: Int8Array; predicted: number }[] = [];
    for (let i = 0; i < Math.min(n, this.test.size); i++) {
      const image = new Int8Array(this.buf.length);
      this.test.image(i, image);
      const label = this.test.label(i);
      out.push({ label, image, predicted: this.learner.evaluate(image, label).predicted });
    }
    return out;
  }

  /** Test examples available to evaluate(). */
  get testSize(): number {
    return this.test.size;
  }

  /** Accuracy and mean loss on the first `limit` test examples (all by default), a confusion matrix with `classes`. */
  evaluate(limit = Infinity, classes = 0): EvalStats {
    const t0 = performance.now();
    const n = Math.min(limit, this.test.size);
    const confusion = classes > 0 ? Array.from({ length: classes }, () => new Array<number>(classes).fill(0)) : null;
    let loss = 0;
    let correct = 0;
    for (let i = 0; i < n; i++) {
      const label = this.test.label(i);
      this.test.image(i, this.buf);
      const r = this.learner.evaluate(this.buf, label, { split: 'test', index: i });
      loss += r.loss;
      if (r.predicted === label) correct++;
      if (confusion && confusion[label]) confusion[label][r.predicted]++;
    }
    const stats: EvalStats = {
      examples: n,
      loss: n ? loss / n : NaN,
      accuracy: n ? correct / n : NaN,
      ms: performance.now() - t0,
    };
    if (confusion) stats.confusion = confusion;
    return stats;
  }
}
