/**
 * From lowered steps to a placed sub-plan: every buffer lives from the first to the last step that names it
 * (the input image from step 0, the logits to the last step so the executor can read them afterwards), the
 * greedy planner assigns offsets, and arena arguments are rewritten from buffer-relative to absolute offsets.
 */
import { checkOverlaps, GreedyPlanner } from '../memory/planner';
import type { PlanBuffer, PlanIo, SubPlan } from '../plan';
import type { Lowering } from './lowering';

export function placeSubPlan(L: Lowering): SubPlan {
  const first = new Array<number>(L.buffers.length).fill(Infinity);
  const last = new Array<number>(L.buffers.length).fill(-1);
  L.steps.forEach((s, i) => {
    for (const a of s.args) {
      if (a.kind !== 'arena') continue;
      if (i < first[a.buffer]) first[a.buffer] = i;
      last[a.buffer] = i;
    }
  });
  const { io } = L.g;
  const input = L.bufferIndex(io.input);
  const logits = L.bufferIndex(io.logits);
  first[input] = 0;
  last[logits] = L.steps.length - 1;
  const planner = new GreedyPlanner();
  const used = L.buffers.map((b, i) => (last[i] >= 0 ? planner.addBuffer(b.bytes, first[i], last[i], b.name) : -1));
  const { offsets, arenaBytes } = planner.plan();
  const buffers: PlanBuffer[] = L.buffers.map((b, i) => ({
    id: i,
    name: b.name,
    offset: used[i] >= 0 ? offsets[used[i]] : 0,
    bytes: b.bytes,
    dtype: b.dtype,
    category: b.category,
    firstStep: used[i] >= 0 ? first[i] : 0,
    lastStep: used[i] >= 0 ? last[i] : -1,
  }));
  for (const s of L.steps) for (const a of s.args) if (a.kind === 'arena') a.offset += buffers[a.buffer].offset;
  const problems = checkOverlaps(
    buffers.map((b) => ({ ...b, lastStep: Math.max(b.lastStep, b.firstStep) })).filter((b) => b.lastStep >= 0),
    arenaBytes,
  );
  if (problems.length) throw new Error(`memory planner produced overlapping buffers:\n${problems.join('\n')}`);
  const ioOf = (buffer: number, tensor: number): PlanIo => {
    const t = L.g.tensors[tensor];
    return {
      buffer,
      offset: buffers[buffer].offset,
      bytes: buffers[buffer].bytes,
      shape: [...t.shape],
      scale: t.quant!.scale,
      zeroPoint: t.quant!.zeroPoint,
    };
  };
  return { steps: L.steps, buffers, arenaBytes, input: ioOf(input, io.input), logits: ioOf(logits, io.logits) };
}
