/**
 * The latency figure the search and its page use: the estimated training-step time of a plan on a board
 * (codegen/latency.ts: per-kernel instruction model from QEMU, one Cortex-M7 factor calibrated on the paper).
 * An estimate, to be labelled as such wherever it is shown.
 */
import { boardById, type BoardId } from '../boards';
import { estimateLatency } from '../codegen/latency';
import type { TrainingPlan } from '../plan';

/** Estimated ms per training step (batch 1) of the plan on the board; null when the board's core is not calibrated. */
export function estimatedStepMs(plan: TrainingPlan, board: BoardId): number | null {
  return estimateLatency(plan, boardById(board)).ms;
}
