/**
 * The window ops end to end: tiny-cnn with pad -> max pool 3x3 -> average pools (testing/window-plan.ts) through
 * autodiff, lowering and the planner, checked against the kernel bounds, run on the reference interpreter and on
 * WebAssembly (bit for bit), and its first conv's gradients (which flow back through all three ops) against
 * finite differences of the straight-through surrogate.
 */
import { describe, expect, it } from 'vitest';
import { checkPlanBounds } from './kernel-bounds';
import { captureGradients, randomImage } from './testing/gradients';
import { createState, trainStep } from './interpret';
import { Rounding } from './kernel-abi';
import { rngState } from './settings';
import { forwardSnapshot, realParams, surrogateLoss } from './testing/surrogate';
import { forwardWithWindows, m, planWithWindows } from './testing/window-plan';
import { loadWasm, paths } from '../runtime/testing/kernel-harness';
import { PlanExecutor } from '../runtime/kernels/executor';

describe('window ops in a compiled plan', () => {
  const fwd = forwardWithWindows();
  const plan = planWithWindows(fwd);
  const image = randomImage(16 * 16 * 3, 11);
  const label = 1;

  it('lowers to the pool and pad kernels and passes the kernel bounds', () => {
    const kernels = new Set(plan.steps.map((s) => s.kernel));
    for (const k of ['tt_pad_s8', 'tt_maxpool2d_s8', 'tt_avgpool2d_s8', 'tt_pad_f32_bwd_input'] as const)
      expect(kernels).toContain(k);
    expect(kernels).toContain('tt_maxpool2d_f32_bwd_input');
    expect(kernels).toContain('tt_avgpool2d_f32_bwd_input');
    expect(checkPlanBounds(plan)).toEqual([]);
  });

  it("conv 0's gradients flow back through the window ops and match finite differences", () => {
    const { grads } = captureGradients(plan, image, label);
    const snap = forwardSnapshot(fwd, image);
    const base = realParams(fwd, m);
    const l = m.convs[0];
    const wId = fwd.ops[0].inputs[1];
    const g = grads.get(`${l.name}.weight`)!;
    expect(g.some((v) => v !== 0)).toBe(true);
    let top = 0;
    g.forEach((v, e) => Math.abs(v) > Math.abs(g[top]) && (top = e));
    for (const e of new Set([top, 0, Math.floor(g.length / 2), g.length - 1])) {
      const p = base.get(wId)!;
      const [plus, minus] = [p.slice(), p.slice()];
      plus[e] += 1e-4;
      minus[e] -= 1e-4;
      const fd =
        (surrogateLoss(fwd, snap, base, new Map([[wId, plus]]), label) -
          surrogateLoss(fwd, snap, base, new Map([[wId, minus]]), label)) /
        2e-4;
      expect(Math.abs(fd - g[e]), `w[${e}]: plan ${g[e]}, fd ${fd}`).toBeLessThan(
        1e-4 * Math.abs(g[top]) + 1e-3 * Math.abs(fd) + 1e-7,
      );
    }
  });

  it('WebAssembly trains the plan bit for bit like the reference interpreter (losses and weights, 4 steps)', async () => {
    const settings = { lr: 0.05, rounding: 'nearest', qas: true, seed: 9 } as const;
    const ex = PlanExecutor.load(await loadWasm(paths.wasmSimd), plan, settings, { guardBytes: 1024 });
    const st = createState(plan, rngState(settings.seed));
    const o = { lr: settings.lr, rounding: Rounding.nearest, qas: true };
    for (let t = 0; t < 4; t++) {
      const img = randomImage(16 * 16 * 3, 20 + t);
      expect(ex.trainStep(img, t % 4)).toBe(trainStep(plan, st, img, { ...o, label: t % 4 }).loss);
    }
    const ref = new Map(plan.consts.map((c, i) => [c.name, st.consts[i]]));
    for (const { name, data } of ex.trainable()) expect(Array.from(data), name).toEqual(Array.from(ref.get(name)!));
    expect(ex.checkCanaries().before + ex.checkCanaries().after).toBe(0);
    ex.dispose();
  });
});
