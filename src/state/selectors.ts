/**
 * Read-only views of a compiled plan for the panels: where the peak is and what is live there, which steps
 * belong to a layer, which layer a step belongs to. Plain functions over the plan (no planning happens here).
 */
import type { PlanBuffer, TimelinePoint, TrainingPlan } from '../compiler/plan';

export function peakIndex(points: readonly TimelinePoint[]): number {
  let best = 0;
  for (let i = 1; i < points.length; i++) if (points[i].total > points[best].total) best = i;
  return best;
}

/** Buffers live at a step, largest first. */
export function liveBuffersAt(plan: TrainingPlan, step: number): PlanBuffer[] {
  return plan.buffers.filter((b) => b.firstStep <= step && step <= b.lastStep).sort((a, b) => b.bytes - a.bytes);
}

/** Inclusive step ranges [a, b] of the steps of `layer` (steps carry their layer from lowering). */
export function stepRangesOf(plan: TrainingPlan, layer: string | null): [number, number][] {
  if (!layer) return [];
  const out: [number, number][] = [];
  plan.steps.forEach((s, i) => {
    if (s.layer !== layer) return;
    const last = out[out.length - 1];
    if (last && last[1] === i - 1) last[1] = i;
    else out.push([i, i]);
  });
  return out;
}

/** The layer (by name) a step belongs to, or null for calls of no layer (loss, add, pool). */
export function layerOfStep(plan: TrainingPlan, step: number): string | null {
  return plan.steps[step]?.layer ?? null;
}
