/**
 * What the page trains on, in words, for the plan that is open: the built-in data set (or the user's images)
 * fitted to the plan's input by the runtime's rule (runtime/training/input-fit.ts: resized to its H x W, its
 * channels, a model file's input quantization), or why this plan's input cannot train on images at all. The
 * worker applies the same rule, so the line and what trains agree.
 */
import type { TrainingPlan } from '../compiler/plan';
import { BUILTIN_IMAGES, imageInputFit, USER_IMAGES, type InputFit } from '../runtime/training/input-fit';
import { planInputSpec } from '../runtime/training/train-data';

/** The fit of `plan` to the images it would train on (`userImages`: the user's own); null without a plan. */
export function trainingDataFit(plan: TrainingPlan | null, userImages: boolean): InputFit | null {
  if (!plan) return null;
  const coded = planInputSpec(plan).codes !== undefined;
  const set = userImages ? USER_IMAGES : BUILTIN_IMAGES;
  return imageInputFit(plan.input.shape, plan.model.classes, set, coded ? plan.input : undefined);
}
