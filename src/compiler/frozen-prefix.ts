/**
 * The frozen prefix of a sub-plan: its leading calls that compute a pure function of the input image and
 * frozen consts. A call ends the prefix when it reads a trainable ('sram') const or a run-time value (label,
 * lr, rng, rounding, QAS scale), or is not a forward call. What the calls after the prefix need from it is what
 * the arena holds at the cut in the buffers live across it (firstStep < cut <= lastStep). Two runtime shortcuts
 * rest on it, neither of which changes the device plan: the per-image prefix cache of contribution runs
 * (runtime/training/prefix-cache.ts) and the two-thread pipeline of training steps
 * (runtime/kernels/executor-pipeline.ts).
 */
import type { PlanArg, PlanBuffer, SubPlan, TrainingPlan } from './plan';

const RUNTIME_ARGS = new Set<PlanArg['kind']>(['lr', 'rng', 'rounding', 'label', 'gscale']);

/** The number of leading calls of `sub` that form its frozen prefix. */
export function frozenPrefixLength(plan: TrainingPlan, sub: SubPlan): number {
  const trainable = (a: PlanArg) => a.kind === 'const' && plan.consts[a.id].storage === 'sram';
  let at = 0;
  while (at < sub.steps.length) {
    const s = sub.steps[at];
    if (s.phase !== 'forward' || s.args.some((a) => RUNTIME_ARGS.has(a.kind) || trainable(a))) break;
    at++;
  }
  return at;
}

/** The buffers of `sub` live across a cut before call `at` (none at 0), in the plan's order. */
export function liveAcross(sub: SubPlan, at: number): PlanBuffer[] {
  return at === 0 ? [] : sub.buffers.filter((b) => b.firstStep < at && b.lastStep >= at);
}
