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

/**
 * Whether plan op `op` belongs to layer `layer`. Op names are layer names ('blocks.3.pw1'), slices of them
 * ('blocks.11.add:out[:12]') or fused groups joined by '+' whose parts may be whole blocks
 * ('first_conv+blocks.0' holds first_conv, blocks.0.dw and blocks.0.pw2).
 */
export function opBelongsTo(op: string, layer: string): boolean {
  return op.split('+').some((part) => {
    const base = part.split(':')[0];
    return base === layer || layer.startsWith(`${base}.`);
  });
}

/** Inclusive step ranges [a, b] whose op belongs to `layer`. */
export function stepRangesOf(plan: TrainingPlan, layer: string | null): [number, number][] {
  if (!layer) return [];
  const out: [number, number][] = [];
  plan.steps.forEach((s, i) => {
    if (!opBelongsTo(s.op, layer)) return;
    const last = out[out.length - 1];
    if (last && last[1] === i - 1) last[1] = i;
    else out.push([i, i]);
  });
  return out;
}

/** The layer (by name) a step belongs to, or null for ops that are no layer (loss, add, pool). */
export function layerOfStep(plan: TrainingPlan, step: number): string | null {
  const op = plan.steps[step]?.op;
  if (!op) return null;
  let best: string | null = null;
  for (const l of plan.layers) if (opBelongsTo(op, l.name) && (!best || l.name.length > best.length)) best = l.name;
  return best;
}
