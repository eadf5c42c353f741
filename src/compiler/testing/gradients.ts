/**
 * Test helpers around the interpreter: deterministic images, and the weight and bias gradients of a plan
 * compiled without reordering (read from each gradient buffer right before the update step that consumes it).
 */
import { createState, trainStep, type RunOptions } from '../interpret';
import type { TrainingPlan } from '../plan';
import { mulberry32 } from '../models/init';

export function randomImage(bytes: number, seed = 5): Int8Array {
  const r = mulberry32(seed);
  return Int8Array.from({ length: bytes }, () => Math.floor(r() * 256) - 128);
}

/** Gradients by param name ('blocks.1.pw2.weight', 'classifier.bias', ...), with the run's loss and logits. */
export function captureGradients(plan: TrainingPlan, image: Int8Array, label: number, o: Partial<RunOptions> = {}) {
  if (plan.options.reorder) throw new Error('captureGradients needs a plan compiled with reorder: false');
  const grads = new Map<string, Float32Array>();
  const st = createState(plan);
  const run = trainStep(plan, st, image, {
    lr: 0,
    rounding: 1,
    qas: true,
    label,
    ...o,
    beforeStep: (_i, s, state) => {
      const at = s.kernel === 'tt_update_s8' ? 1 : s.kernel === 'tt_update_s32' ? 3 : -1;
      const a = s.args[at];
      if (!a || a.kind !== 'arena') return;
      grads.set(
        `${s.op}.${at === 1 ? 'weight' : 'bias'}`,
        new Float32Array(state.arena, a.offset, a.bytes / 4).slice(),
      );
    },
  });
  return { grads, ...run, state: st };
}
