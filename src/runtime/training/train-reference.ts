/**
 * The reference interpreter (src/compiler/interpret.ts) as a Learner: the slow oracle of the WebAssembly
 * executor. It runs the same plan on the TypeScript reference kernels with the same rng seeding
 * (compiler/settings.ts rngState), so a run through it must match the executor's losses and weights bit for bit.
 */
import { createState, evaluate, trainStep, type RunState } from '../../compiler/interpret';
import { Rounding } from '../../compiler/kernel-abi';
import type { TrainingPlan } from '../../compiler/plan';
import { rngState, type RunSettings } from '../../compiler/settings';
import type { Learner } from './train-session';

function argmax(z: Int8Array): number {
  let best = 0;
  for (let i = 1; i < z.length; i++) if (z[i] > z[best]) best = i;
  return best;
}

export class ReferenceLearner implements Learner {
  private state: RunState;
  private predicted = 0;

  constructor(
    readonly plan: TrainingPlan,
    private settings: RunSettings,
  ) {
    this.state = createState(plan, rngState(settings.seed));
  }

  trainStep(image: Int8Array, label: number): number {
    const s = this.settings;
    const r = trainStep(this.plan, this.state, image, { lr: s.lr, rounding: Rounding[s.rounding], qas: s.qas, label });
    this.predicted = argmax(r.logits);
    return r.loss;
  }

  setLearningRate(lr: number): void {
    this.settings = { ...this.settings, lr };
  }

  trainPredicted(): number {
    return this.predicted;
  }

  evaluate(image: Int8Array, label: number): { loss: number; predicted: number } {
    const r = evaluate(this.plan, this.state, image, label);
    return { loss: r.loss, predicted: argmax(r.logits) };
  }

  /** The trainable consts as they are now, in plan order (like PlanExecutor.trainable()). */
  trainable(): { name: string; data: Int8Array | Int32Array }[] {
    return this.plan.consts.flatMap((c, i) => {
      const d = this.state.consts[i];
      return c.storage === 'sram' && !(d instanceof Float32Array) ? [{ name: c.name, data: d.slice() }] : [];
    });
  }
}
