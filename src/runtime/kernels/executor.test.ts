import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../compiler/compile';
import { createState, evaluate, trainStep } from '../../compiler/interpret';
import { Rounding, type RoundingName } from '../../compiler/kernel-abi';
import { mulberry32 } from '../../compiler/models/init';
import { buildModel } from '../../compiler/models/model';
import type { PlanOptions, TrainingPlan } from '../../compiler/plan';
import { rngState, type RunSettings } from '../../compiler/settings';
import { PlanExecutor } from './executor';
import { loadWasm, paths } from '../testing/kernel-harness';
import type { KernelModule } from './wasm';

let mod: KernelModule;
beforeAll(async () => {
  mod = await loadWasm(paths.wasmSimd);
});

/** Deterministic random examples for a plan's input. */
function examples(plan: TrainingPlan, n: number, seed: number) {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, () => ({
    image: Int8Array.from({ length: plan.input.bytes }, () => Math.floor(rand() * 256) - 128),
    label: Math.floor(rand() * plan.model.classes),
  }));
}

function tinyPlan(scheme: string, options: Partial<PlanOptions> = {}, res = 32) {
  return compile(buildModel({ model: 'tiny-cnn', resolution: res, classes: 5, seed: 7 }), scheme, options);
}

const settings = (rounding: RoundingName, qas = true, lr = 0.05): RunSettings => ({ lr, rounding, qas, seed: 42 });

/** Runs the same steps on the executor and the reference interpreter; returns both traces. */
function bothWays(plan: TrainingPlan, s: RunSettings, steps: number) {
  const ex = PlanExecutor.load(mod, plan, s);
  const st = createState(plan, rngState(s.seed));
  const o = { lr: s.lr, rounding: Rounding[s.rounding], qas: s.qas, label: 0 };
  const wasm: number[] = [];
  const ref: number[] = [];
  for (const { image, label } of examples(plan, steps, 5)) {
    wasm.push(ex.trainStep(image, label));
    ref.push(trainStep(plan, st, image, { ...o, label }).loss);
  }
  const sram = plan.consts.flatMap((c, i) => (c.storage === 'sram' ? [{ name: c.name, data: st.consts[i] }] : []));
  const trainable = ex.trainable();
  ex.dispose();
  return { wasm, ref, trainable, sram, st };
}

/** One past the highest arena byte a step of the training or the inference sub-plan hands to a kernel. */
function highestArenaByte(plan: TrainingPlan): number {
  let end = 0;
  for (const step of [...plan.steps, ...plan.inference.steps])
    for (const a of step.args) if (a.kind === 'arena') end = Math.max(end, a.offset + a.bytes);
  return end;
}

describe('PlanExecutor', () => {
  it('allocates exactly the planned arena, 16-byte aligned, and training never writes around it', () => {
    for (const [plan, rounding] of [
      [tinyPlan('full'), 'stochastic'],
      [tinyPlan('last:4', { reorder: false }), 'nearest'],
      [compile(buildModel({ model: 'mcunet-5fps', resolution: 48, classes: 10 }), 'paper:99kb'), 'truncate'],
    ] as const) {
      const ex = PlanExecutor.load(mod, plan, settings(rounding), { guardBytes: 4096 });
      // Independent of plan.arenaBytes: the highest byte any kernel call of either sub-plan is given, rounded up
      // to the planner's 16-byte alignment. The arena holds exactly that, not a byte of slack beyond it.
      const end = highestArenaByte(plan);
      expect(end).toBeGreaterThan(ex.arenaBytes - 16);
      expect(ex.arenaBytes).toBe(Math.ceil(end / 16) * 16);
      expect(ex.arenaPtr % 16).toBe(0);
      for (const { image, label } of examples(plan, 6, 1)) {
        expect(Number.isFinite(ex.trainStep(image, label))).toBe(true);
        ex.evaluate(image, label);
      }
      expect(ex.checkCanaries()).toEqual({ guardBytes: 4096, before: 0, after: 0 });
      new Uint8Array(mod.memory.buffer)[ex.arenaPtr + ex.arenaBytes] ^= 0xff;
      new Uint8Array(mod.memory.buffer)[ex.arenaPtr - 1] ^= 0xff;
      expect(ex.checkCanaries()).toEqual({ guardBytes: 4096, before: 1, after: 1 });
      ex.dispose();
    }
    // without guard bytes only the alignment slack holds canaries; they must stay intact too
    const plan = tinyPlan('full');
    const ex = PlanExecutor.load(mod, plan, settings('stochastic'));
    for (const { image, label } of examples(plan, 3, 2)) ex.trainStep(image, label);
    expect(ex.checkCanaries()).toEqual({ guardBytes: 0, before: 0, after: 0 });
    ex.dispose();
  });

  it('is bit-identical to the reference interpreter: losses and int8 weights, every rounding, QAS on and off', () => {
    const cases: [string, Partial<PlanOptions>, RoundingName, boolean][] = [
      ['full', {}, 'stochastic', true],
      ['full', { reorder: false }, 'stochastic', true],
      ['bias:5;w:4@1/2,7@1/4,8@1', {}, 'nearest', true],
      ['bias:5;w:4@1/2,7@1/4,8@1', { reorder: false, fusion: false }, 'truncate', true],
      ['last:3', {}, 'truncate', false],
      ['bias-only', {}, 'stochastic', false],
    ];
    for (const [scheme, options, rounding, qas] of cases) {
      const plan = tinyPlan(scheme, options);
      const r = bothWays(plan, settings(rounding, qas), 8);
      expect(r.wasm.map((v) => Math.fround(v))).toEqual(r.ref);
      expect(r.trainable.map((t) => t.name)).toEqual(r.sram.map((t) => t.name));
      r.trainable.forEach((t, i) => expect(Array.from(t.data), t.name).toEqual(Array.from(r.sram[i].data)));
      const moved = r.trainable.filter((t) =>
        t.data.some((v, e) => v !== plan.consts.find((c) => c.name === t.name)!.data[e]),
      );
      // With QAS every updated tensor moves; without it the steps are ~s_W^2 too small to change any integer.
      expect(moved.length).toBe(qas ? r.trainable.length : 0);
    }
  });

  it('matches the interpreter on mcunet-5fps with a published scheme (fused bands, saved slices)', () => {
    const plan = compile(buildModel({ model: 'mcunet-5fps', resolution: 40, classes: 10, seed: 3 }), 'paper:99kb');
    const r = bothWays(plan, settings('stochastic', true, 0.02), 3);
    expect(r.wasm.map((v) => Math.fround(v))).toEqual(r.ref);
    r.trainable.forEach((t, i) => expect(Array.from(t.data), t.name).toEqual(Array.from(r.sram[i].data)));
  });

  it('evaluates like the interpreter and resets to the plan weights', () => {
    const plan = tinyPlan('last:4');
    const ex = PlanExecutor.load(mod, plan, settings('nearest'));
    const st = createState(plan);
    const data = examples(plan, 5, 9);
    for (const { image, label } of data) {
      ex.trainStep(image, label);
      trainStep(plan, st, image, { lr: 0.05, rounding: Rounding.nearest, qas: true, label });
    }
    for (const { image, label } of data) {
      const ref = evaluate(plan, st, image, label);
      const got = ex.evaluate(image, label);
      expect(Math.fround(got.loss)).toBe(ref.loss);
      expect(ex.logits(true)).toEqual(ref.logits);
      expect(got.predicted).toBe(ref.logits.indexOf(Math.max(...ref.logits)));
    }
    ex.resetWeights(42);
    for (const t of ex.trainable()) expect(t.data).toEqual(plan.consts.find((c) => c.name === t.name)!.data);
    ex.dispose();
  });
});
