/**
 * Lowering of a fused frozen chain (passes/fuse.ts): ring buffers for the intermediate tensors, then per band
 * one forward call per stage over rows [r0, r1) with in_ring / out_ring set, and for a residual chain a
 * tt_add_s8 over the band's rows of the chain input and the projection's ring (one band deep).
 */
import type { AddAttrs, ChainAdd, Op } from '../ir/graph';
import { Requant } from '../kernel-abi';
import { scheduleBands } from './bands';
import { F32, I32, NULL, type Lowering } from './lowering';
import type { KernelName } from '../kernels';
import type { PlanArg } from '../plan';

/** A residual add's kernel and its arguments between n and the tensors: (q, b_zp, ma, mb) for tt_add_s8, or
 * (q, b_zp, TFLite's or XNNPACK's parameters) for tt_add_s8_fixed in the tflite-fixed and tflite-xnnpack modes. */
export function addCall(name: string, a: AddAttrs | ChainAdd, L: Lowering): { kernel: KernelName; args: PlanArg[] } {
  const mode = a.quant.requant;
  if (mode !== Requant['tflite-fixed'] && mode !== Requant['tflite-xnnpack'])
    return { kernel: 'tt_add_s8', args: [L.quant(name, a.quant), I32(a.bZp), F32(a.ma), F32(a.mb)] };
  if (!a.fixed) throw new Error(`${name}: a fixed-point add without its parameters`);
  return { kernel: 'tt_add_s8_fixed', args: [L.quant(name, a.quant), I32(a.bZp), L.table(`${name}.mult`, a.fixed)] };
}

/** Output rows per band: one row keeps the rings smallest. */
export const BAND_ROWS = 1;

export function emitFusedChain(op: Op<'fused_chain'>, L: Lowering): void {
  const stages = op.attrs.stages;
  const add = op.attrs.add;
  const sched = scheduleBands(
    stages.map((s) => s.shape),
    BAND_ROWS,
  );
  const last = stages[stages.length - 1].shape;
  const rowBytes = (i: number) => stages[i].shape.outW * stages[i].shape.outC;
  const rings = sched.rings.map((rows, i) =>
    L.newBuffer(`ring:${stages[i].name}`, rows * rowBytes(i), 'int8', 'activation'),
  );
  const lastRing = add ? BAND_ROWS : last.outH;
  if (add)
    rings.push(
      L.newBuffer(
        `ring:${stages[stages.length - 1].name}`,
        BAND_ROWS * rowBytes(stages.length - 1),
        'int8',
        'activation',
      ),
    );
  const x = op.inputs[0];
  const y = op.outputs[0];
  const shapes = stages.map((s, i) => {
    const inRing = i === 0 ? s.shape.inH : sched.rings[i - 1];
    const outRing = i === stages.length - 1 ? lastRing : sched.rings[i];
    return L.shape(s.name, { ...s.shape, inRing, outRing });
  });
  const quants = stages.map((s) => L.quant(s.name, s.quant));
  const src = (i: number): PlanArg => (i === 0 ? L.arena(x) : L.region(rings[i - 1]));
  const dst = (i: number): PlanArg => (i < stages.length - 1 || add ? L.region(rings[i]) : L.arena(y));
  const addRow = last.outW * last.outC;
  for (const band of sched.bands) {
    for (const c of band.calls) {
      const s = stages[c.stage];
      const kernel = `tt_${s.kind}_s8` as KernelName;
      const args = [
        shapes[c.stage],
        quants[c.stage],
        src(c.stage),
        L.operand(s.w),
        L.cst(s.b),
        L.cst(s.mult),
        dst(c.stage),
        NULL,
        I32(c.r0),
        I32(c.r1),
      ];
      const band = { stage: c.stage, r0: c.r0, r1: c.r1 };
      L.step(op, kernel, args, { note: `${s.name} rows ${c.r0}..${c.r1 - 1}`, layer: s.layer, band });
    }
    if (add) {
      const rows = band.r1 - band.r0;
      const at = band.r0 * addRow;
      const { kernel, args } = addCall(add.name, add, L);
      const tensors = [L.arena(x, at, rows * addRow), L.region(rings[rings.length - 1], 0, rows * addRow)];
      L.step(op, kernel, [I32(rows * addRow), ...args, ...tensors, L.arena(y, at, rows * addRow), NULL], {
        note: `${add.name} rows ${band.r0}..${band.r1 - 1}`,
        layer: null,
        band: { stage: 'add', r0: band.r0, r1: band.r1 },
      });
    }
  }
}
