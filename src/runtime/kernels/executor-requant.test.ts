/**
 * A model compiled in each requantization mode runs bit-identically on the WebAssembly executor and the reference
 * interpreter (training losses, updated weights, inference logits), the mode reaches every forward kernel's tt_quant,
 * and the tflite-fixed plan uses TFLite's ADD and MEAN kernels with int32 multiplier tables (tflite-xnnpack: XNNPACK's
 * add in tt_add_s8_fixed, float tables elsewhere).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../compiler/compile';
import { createState, evaluate, trainStep } from '../../compiler/interpret';
import { Requant, Rounding, type RequantName } from '../../compiler/kernel-abi';
import { mulberry32 } from '../../compiler/models/init';
import { buildModel, type Model } from '../../compiler/models/model';
import type { TrainingPlan } from '../../compiler/plan';
import { rngState, type RunSettings } from '../../compiler/settings';
import { loadWasm, paths } from '../testing/kernel-harness';
import { PlanExecutor } from './executor';
import type { KernelModule } from './wasm';

let mod: KernelModule;
beforeAll(async () => {
  mod = await loadWasm(paths.wasmSimd);
});

const MODES: RequantName[] = ['float-half-away', 'tflite-fixed', 'float-half-even', 'tflite-xnnpack'];
const settings: RunSettings = { lr: 0.02, rounding: 'stochastic', qas: true, seed: 42 };
const model = (requant: RequantName): Model => ({
  ...buildModel({ model: 'mcunet-5fps', resolution: 40, classes: 10, seed: 3 }),
  requant,
});

function examples(plan: TrainingPlan, n: number, seed: number) {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, () => ({
    image: Int8Array.from({ length: plan.input.bytes }, () => Math.floor(rand() * 256) - 128),
    label: Math.floor(rand() * plan.model.classes),
  }));
}

describe('requantization modes through the compiler, the executor and the interpreter', () => {
  const plans = new Map(MODES.map((m) => [m, compile(model(m), 'paper:99kb')]));

  it('puts the mode in every forward tt_quant and picks the tables and kernels of the mode', () => {
    for (const [mode, plan] of plans) {
      const quants = plan.consts.filter((c) => c.struct === 'tt_quant');
      expect(quants.length).toBeGreaterThan(4); // deduplicated by value
      const xnnpack = mode === 'tflite-xnnpack';
      // tflite-xnnpack: every kernel runs float-half-even but the adds, which run XNNPACK's add (mode 3)
      const requants = new Set(quants.map((c) => c.data[4]));
      expect([...requants].sort(), mode).toEqual(xnnpack ? [2, 3] : [Requant[mode]]);
      const kernels = new Set(plan.inference.steps.map((s) => s.kernel));
      expect(kernels.has('tt_add_s8_fixed')).toBe(mode === 'tflite-fixed' || xnnpack);
      expect(kernels.has('tt_mean_s8')).toBe(mode !== 'float-half-away');
      expect(kernels.has('tt_avgpool_s8')).toBe(mode === 'float-half-away');
      const mult = plan.consts.filter((c) => c.name.endsWith('.mult'));
      const addTable = (name: string) => /\.add\.mult$/.test(name);
      expect(mult.some((c) => addTable(c.name))).toBe(mode === 'tflite-fixed' || xnnpack);
      for (const c of mult)
        expect(c.dtype, c.name).toBe(mode === 'tflite-fixed' || (xnnpack && addTable(c.name)) ? 'int32' : 'float32');
    }
  });

  it('refuses a plan whose tables do not fit its mode, naming the step', () => {
    const fixed = plans.get('tflite-fixed')!;
    const corrupt = (edit: (p: TrainingPlan) => void) => {
      const p = { ...fixed, consts: fixed.consts.map((c) => ({ ...c, data: c.data.slice() })) };
      edit(p);
      return () => PlanExecutor.load(mod, p, settings);
    };
    const quant = fixed.consts.findIndex((c) => c.struct === 'tt_quant');
    expect(corrupt((p) => (p.consts[quant].data[4] = 7))).toThrow(/plan refused: .*q\.requant = 7 is not a mode/);
    // XNNPACK's mode is the add's only: a convolution given it is refused (its kernels would not read it)
    expect(corrupt((p) => (p.consts[quant].data[4] = 3))).toThrow(/q\.requant = 3 is not a mode of this kernel/);
    const mult = fixed.consts.findIndex((c) => c.name.endsWith('.mult') && c.data.length > 8);
    const asFloat = (p: TrainingPlan) =>
      (p.consts[mult] = { ...p.consts[mult], dtype: 'float32', data: new Float32Array(40) });
    expect(corrupt(asFloat)).toThrow(/plan refused: .*mult is float32, mode 1 reads int32/);
    expect(corrupt((p) => (p.consts[mult].data = new Float32Array(40)))).toThrow(/mult is float32 labelled int32/);
    expect(corrupt((p) => (p.consts[mult].data = p.consts[mult].data.slice(1) as Int32Array))).toThrow(
      /plan refused: .*mult needs \d+ bytes/,
    );
    expect(() => PlanExecutor.load(mod, fixed, settings).dispose()).not.toThrow();
  });

  it('trains and evaluates bit-identically on WebAssembly and the reference in every mode', () => {
    const logits = new Map<RequantName, Int8Array[]>();
    for (const [mode, plan] of plans) {
      const ex = PlanExecutor.load(mod, plan, settings);
      const st = createState(plan, rngState(settings.seed));
      const o = { lr: settings.lr, rounding: Rounding[settings.rounding], qas: true };
      for (const { image, label } of examples(plan, 3, 5)) {
        const loss = ex.trainStep(image, label);
        expect(Math.fround(loss), mode).toBe(trainStep(plan, st, image, { ...o, label }).loss);
      }
      const sram = plan.consts.flatMap((c, i) => (c.storage === 'sram' ? [st.consts[i]] : []));
      ex.trainable().forEach((t, i) => expect(Array.from(t.data), `${mode} ${t.name}`).toEqual(Array.from(sram[i])));
      logits.set(
        mode,
        examples(plan, 4, 9).map(({ image, label }) => {
          const ref = evaluate(plan, st, image, label);
          ex.evaluate(image, label);
          expect(ex.logits(true), mode).toEqual(ref.logits);
          return ref.logits;
        }),
      );
      ex.dispose();
    }
    // The modes are different arithmetic: somewhere in four images' logits they disagree.
    const flat = (m: RequantName) => logits.get(m)!.flatMap((l) => Array.from(l));
    expect(flat('tflite-fixed')).not.toEqual(flat('float-half-away'));
    expect(flat('float-half-even')).not.toEqual(flat('float-half-away'));
  }, 60_000);
});
