/**
 * The window ops end to end: tiny-cnn with pad -> max pool 3x3 -> average pool 3x3 (requantized) spliced after its
 * first conv, through autodiff, lowering and the planner, checked against the kernel bounds, run on the reference
 * interpreter and on WebAssembly (bit for bit), and its first conv's gradients (which flow back through all three
 * ops) against finite differences of the straight-through surrogate.
 */
import { describe, expect, it } from 'vitest';
import { compile } from './compile';
import { buildForwardGraph } from './forward';
import { GraphBuilder, type Graph, type Tensor } from './ir/graph';
import { addAvgPool2d, addMaxPool2d, addPad, tfliteWindow } from './ir/window-ops';
import { checkPlanBounds } from './kernel-bounds';
import { ConstTable, Lowering } from './lower/lowering';
import { emitAll } from './lower/emit';
import { placeSubPlan } from './lower/place';
import { buildModel, layerAt } from './models/model';
import { parseScheme } from './scheme/scheme';
import { DEFAULT_OPTIONS, runPasses, trainingPasses } from './pipeline';
import type { BufferCategory, TrainingPlan } from './plan';
import { captureGradients, randomImage } from './testing/gradients';
import { createState, trainStep } from './interpret';
import { Rounding } from './kernel-abi';
import { rngState } from './settings';
import { forwardSnapshot, realParams, surrogateLoss } from './testing/surrogate';
import { loadWasm, paths } from '../runtime/testing/kernel-harness';
import { PlanExecutor } from '../runtime/kernels/executor';

const m = buildModel({ model: 'tiny-cnn', classes: 4, resolution: 16, seed: 3 });

/** The forward graph with the window ops after conv 0; the average pool requantizes to a coarser scale. */
function forwardWithWindows(): Graph {
  const fwd = buildForwardGraph(m);
  const y = fwd.ops[0].outputs[0];
  const b = new GraphBuilder(fwd);
  b.op(fwd.ops[0]);
  const [h, w] = b.tensors[y].shape;
  const q = b.tensors[y].quant!;
  const p = addPad(b, y, { name: 'pad', padding: { top: 1, bottom: 1, left: 1, right: 1 } });
  const none = { top: 0, bottom: 0, left: 0, right: 0 };
  const mp = addMaxPool2d(b, p, { name: 'maxpool', window: { kernel: [3, 3], stride: [1, 1], padding: none } });
  const window = tfliteWindow('same', h, w, [3, 3], [1, 1]);
  const ap = addAvgPool2d(b, mp, {
    name: 'avgpool',
    window,
    output: { scale: q.scale * 1.25, zeroPoint: q.zeroPoint + 2 },
  });
  // the next layer reads the pooled tensor; its zero point is the one it was built for, so requantize back
  const back = addAvgPool2d(b, ap, { name: 'requant', window: tfliteWindow('valid', h, w, [1, 1], [1, 1]), output: q });
  for (const op of fwd.ops.slice(1)) b.op({ ...op, inputs: op.inputs.map((t) => (t === y ? back : t)) });
  return b.build(fwd.io);
}

function categorize(g: Graph): (t: Tensor) => BufferCategory {
  const saved = new Set(g.ops.filter((o) => o.phase !== 'forward').flatMap((o) => o.inputs));
  return (t) =>
    t.varType === 'input' || t.varType === 'mask' || t.varType === 'gradient' || t.varType === 'scratch'
      ? t.varType
      : saved.has(t.id)
        ? 'saved'
        : 'activation';
}

/** A plan of the spliced graph: the tiny model's plan with its steps, buffers and consts replaced. */
function planWithWindows(fwd: Graph): TrainingPlan {
  const opts = { ...DEFAULT_OPTIONS, reorder: false, fusion: false, split: false };
  const template = compile(m, 'full', opts);
  const training = runPasses(fwd, trainingPasses(m, parseScheme('full', m), opts));
  const table = new ConstTable();
  const lower = (g: Graph) => {
    const L = new Lowering(g, table, categorize(g), (i) => layerAt(m, i).name);
    emitAll(L);
    return placeSubPlan(L);
  };
  const train = lower(training);
  const inference = lower(fwd);
  return {
    ...template,
    ...train,
    arenaBytes: Math.max(train.arenaBytes, inference.arenaBytes),
    consts: table.consts,
    inference,
  };
}

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
