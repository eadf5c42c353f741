/**
 * checkPlan(plan): invariants every test asserts on every plan it compiles.
 *  - no two buffers alive at a common step overlap (training and inference sub-plans), offsets 16-aligned,
 *    every buffer inside the arena;
 *  - every step matches its kernel's C signature: argument count, and each argument's kind fits the C type;
 *  - arena arguments lie inside their buffer and are used within the buffer's lifetime, float arguments are
 *    4-byte aligned;
 *  - a writable pointer to a constant (an update's destination) points to SRAM storage;
 *  - every call stays inside its buffers for its shapes (kernel-bounds.ts, what PlanExecutor.load enforces).
 */
import { checkPlanBounds } from '../kernel-bounds';
import { KERNEL_SIGNATURES, type CType } from '../kernels';
import { checkOverlaps } from '../memory/planner';
import type { PlanArg, SubPlan, TrainingPlan } from '../plan';

function argFits(a: PlanArg, type: CType, plan: TrainingPlan): string | null {
  const isStruct = type.startsWith('const tt_');
  if (type === 'int32_t')
    return a.kind === 'i32' || a.kind === 'rounding' || a.kind === 'label' ? null : `${a.kind} for int32_t`;
  if (type === 'float') return a.kind === 'f32' || a.kind === 'lr' ? null : `${a.kind} for float`;
  if (type === 'tt_rng*') return a.kind === 'rng' ? null : `${a.kind} for tt_rng*`;
  if (isStruct) {
    const want = type.slice(6, -1);
    return a.kind === 'const' && plan.consts[a.id].struct === want ? null : `${a.kind} for ${type}`;
  }
  if (a.kind === 'const') {
    const c = plan.consts[a.id];
    if (c.struct) return `struct const for ${type}`;
    if (!type.startsWith('const ') && c.storage !== 'sram') return `writable ${type} to flash const ${c.name}`;
    return null;
  }
  return a.kind === 'arena' || a.kind === 'null' || a.kind === 'gscale' ? null : `${a.kind} for ${type}`;
}

function checkSub(plan: TrainingPlan, p: SubPlan, what: string, out: string[]): void {
  out.push(
    ...checkOverlaps(
      p.buffers.filter((b) => b.lastStep >= b.firstStep),
      p.arenaBytes,
    ).map((s) => `${what}: ${s}`),
  );
  if (p.arenaBytes > plan.arenaBytes) out.push(`${what}: arena ${p.arenaBytes} > plan arena ${plan.arenaBytes}`);
  p.steps.forEach((s, i) => {
    const sig = KERNEL_SIGNATURES[s.kernel];
    const where = `${what} step ${i} ${s.kernel} (${s.op})`;
    if (s.args.length !== sig.params.length)
      return out.push(`${where}: ${s.args.length} args, expected ${sig.params.length}`);
    s.args.forEach((a, j) => {
      const bad = argFits(a, sig.params[j][1], plan);
      if (bad) out.push(`${where}: arg ${sig.params[j][0]}: ${bad}`);
      if (a.kind !== 'arena') return;
      const b = p.buffers[a.buffer];
      if (a.offset < b.offset || a.offset + a.bytes > b.offset + b.bytes)
        out.push(`${where}: arg ${sig.params[j][0]} outside buffer ${b.name}`);
      if (i < b.firstStep || i > b.lastStep)
        out.push(`${where}: uses ${b.name} outside its lifetime ${b.firstStep}-${b.lastStep}`);
      if (sig.params[j][1].includes('float') && a.offset % 4 !== 0)
        out.push(`${where}: float arg ${sig.params[j][0]} misaligned`);
    });
  });
}

/** Returns every violated invariant (empty when the plan is sound). */
export function checkPlan(plan: TrainingPlan): string[] {
  const out: string[] = [];
  checkSub(plan, plan, 'train', out);
  checkSub(plan, plan.inference, 'inference', out);
  out.push(...checkPlanBounds(plan));
  return out;
}
