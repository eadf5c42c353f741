/**
 * The kernel boundary: PlanExecutor.load refuses a plan whose calls would read or write outside their buffers,
 * and a step refuses a label that is not a class, before WebAssembly runs anything. The module is wrapped so the
 * test sees every call into it (malloc included): a refused plan or label makes none.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../compiler/compile';
import { CONV_SHAPE_FIELDS, UPDATE_PARAMS_FIELDS } from '../../compiler/kernel-abi';
import { checkPlanBounds } from '../../compiler/kernel-bounds';
import { buildModel } from '../../compiler/models/model';
import type { PlanArg, PlanStep, TrainingPlan } from '../../compiler/plan';
import type { RunSettings } from '../../compiler/settings';
import { PlanExecutor } from './executor';
import { loadWasm, paths } from '../testing/kernel-harness';
import { KernelModule, type KernelExports } from './wasm';

const settings: RunSettings = { lr: 0.05, rounding: 'nearest', qas: true, seed: 1 };
let real: KernelModule;
const calls: string[] = [];

/** The real module with every exported function counted in `calls`. */
function spied(): KernelModule {
  const ex = real.exports as unknown as Record<string, unknown>;
  const wrapped = Object.fromEntries(
    Object.entries(ex).map(([k, v]) => [
      k,
      typeof v === 'function'
        ? (...a: number[]) => {
            calls.push(k);
            return (v as (...a: number[]) => number)(...a);
          }
        : v,
    ]),
  );
  return new KernelModule(wrapped as unknown as KernelExports);
}

beforeAll(async () => {
  real = await loadWasm(paths.wasmSimd);
});

const tiny = (): TrainingPlan =>
  compile(buildModel({ model: 'tiny-cnn', resolution: 32, classes: 5, seed: 7 }), 'full', {});

function findStep(plan: TrainingPlan, kernel: string): [number, PlanStep] {
  const i = plan.steps.findIndex((s) => s.kernel === kernel);
  if (i < 0) throw new Error(`no ${kernel} step`);
  return [i, plan.steps[i]];
}
const arenaArg = (s: PlanStep, j: number) => s.args[j] as Extract<PlanArg, { kind: 'arena' }>;

/** Loading `plan` throws `msg` and calls nothing in the module. */
function refused(plan: TrainingPlan, msg: RegExp): void {
  calls.length = 0;
  expect(() => PlanExecutor.load(spied(), plan, settings)).toThrow(msg);
  expect(calls).toEqual([]);
}

describe('kernel boundary: PlanExecutor.load checks every call against its kernel bounds', () => {
  it('accepts the compiled plans (the check has no false alarm) and they run', () => {
    const plan = tiny();
    expect(checkPlanBounds(plan)).toEqual([]);
    calls.length = 0;
    const ex = PlanExecutor.load(spied(), plan, settings);
    expect(Number.isFinite(ex.trainStep(new Int8Array(plan.input.bytes), 3))).toBe(true);
    expect(calls).toContain('tt_softmax_xent_s8');
    ex.dispose();
  });

  it('refuses a too-small output buffer, naming the step, the kernel and the bytes', () => {
    const plan = tiny();
    const [i, step] = findStep(plan, 'tt_pointwise_s8');
    const out = arenaArg(step, 6);
    out.bytes -= 1;
    refused(
      plan,
      new RegExp(
        `^plan refused: training step ${i} tt_pointwise_s8 \\(${step.op.replace(/\./g, '\\.')}\\): ` +
          `out needs ${out.bytes + 1} bytes, its arena region ${out.offset}\\+${out.bytes} holds ${out.bytes}$`,
      ),
    );
  });

  it('refuses an offset outside the arena', () => {
    const plan = tiny();
    const [i, step] = findStep(plan, 'tt_conv_bwd_update_s8');
    arenaArg(step, 1).offset = plan.arenaBytes - 8;
    refused(plan, new RegExp(`training step ${i} tt_conv_bwd_update_s8 .*g_out: arena region .* is outside the`));
    const p2 = tiny();
    const [j, s2] = findStep(p2, 'tt_depthwise_s8');
    arenaArg(s2, 2).offset = -16;
    refused(p2, new RegExp(`training step ${j} tt_depthwise_s8 .*in: bad arena region -16\\+`));
  });

  it('refuses a shape struct that makes a kernel touch more than its buffers', () => {
    const plan = tiny();
    const [i, step] = findStep(plan, 'tt_conv_s8');
    const shape = plan.consts[(step.args[0] as { id: number }).id];
    (shape.data as Int32Array)[CONV_SHAPE_FIELDS.indexOf('outC')] += 1;
    refused(plan, new RegExp(`training step ${i} tt_conv_s8 .*: w needs \\d+ bytes, const .* holds`));
    const p2 = tiny();
    const [, s2] = findStep(p2, 'tt_depthwise_f32_bwd_input');
    (p2.consts[(s2.args[0] as { id: number }).id].data as Int32Array)[CONV_SHAPE_FIELDS.indexOf('inC')] = 7;
    // the struct is shared by the layer's forward and backward steps: the first of them is named
    const op = s2.op.replace(/\./g, '\\.');
    refused(p2, new RegExp(`training step \\d+ tt_depthwise_s8 \\(${op}\\): depthwise needs in_c == out_c, got 7 and`));
  });

  it('refuses a non-square pointwise / depthwise shape and sizes a general conv by its kernel width', () => {
    const plan = tiny();
    const [, step] = findStep(plan, 'tt_depthwise_f32_bwd_input');
    (plan.consts[(step.args[0] as { id: number }).id].data as Int32Array)[CONV_SHAPE_FIELDS.indexOf('strideW')] += 1;
    refused(plan, /tt_depthwise_s8 .*depthwise is square: kernel_w \d+, stride_w \d+, pad_left \d+ must equal/);
    const p2 = tiny();
    const [i, s2] = findStep(p2, 'tt_conv_s8');
    (p2.consts[(s2.args[0] as { id: number }).id].data as Int32Array)[CONV_SHAPE_FIELDS.indexOf('kernelW')] += 2;
    refused(p2, new RegExp(`training step ${i} tt_conv_s8 .*: w needs \\d+ bytes, const .* holds`));
  });

  it('refuses bad row bands, NULL for a required buffer, and update params beyond the weight', () => {
    const plan = tiny();
    const [i, step] = findStep(plan, 'tt_pointwise_s8');
    step.args[9] = { kind: 'i32', value: 1000 };
    refused(plan, new RegExp(`step ${i} tt_pointwise_s8 .*rows \\[0, 1000\\) are not inside`));
    const p2 = tiny();
    const [j, s2] = findStep(p2, 'tt_fc_s8');
    s2.args[3] = { kind: 'null' };
    refused(p2, new RegExp(`step ${j} tt_fc_s8 .*: in is NULL`));
    const p3 = tiny();
    const [k, s3] = findStep(p3, 'tt_pointwise_bwd_update_s8');
    s3.args[6] = { kind: 'i32', value: 100000 };
    refused(p3, new RegExp(`step ${k} tt_pointwise_bwd_update_s8 .*k = 100000 exceeds`));
    // without reordering the update is a separate tt_update_s8 driven by a tt_update_params struct
    const p4 = compile(buildModel({ model: 'tiny-cnn', resolution: 32, classes: 5, seed: 7 }), 'full', {
      reorder: false,
    });
    const [u, s4] = findStep(p4, 'tt_update_s8');
    (p4.consts[(s4.args[0] as { id: number }).id].data as Int32Array)[UPDATE_PARAMS_FIELDS.indexOf('rows')] += 1;
    refused(p4, new RegExp(`training step ${u} tt_update_s8 .*: g needs \\d+ bytes, its arena region`));
  });

  it('refuses a label outside the classes before any kernel runs, in training and evaluation', () => {
    const plan = tiny();
    const ex = PlanExecutor.load(spied(), plan, settings);
    const image = new Int8Array(plan.input.bytes);
    for (const label of [5, -1, 2.5, NaN, 1e9]) {
      calls.length = 0;
      expect(() => ex.trainStep(image, label)).toThrow(`label ${label} is not a class of this plan (0..4)`);
      expect(() => ex.evaluate(image, label)).toThrow(`label ${label} is not a class of this plan (0..4)`);
      expect(calls).toEqual([]);
    }
    expect(ex.evaluate(image, 4).predicted).toBeLessThan(5);
    ex.dispose();
  });

  it('every arena argument of a compiled plan shrunk by one byte is refused (the bounds are tight)', () => {
    const plan = tiny();
    let tried = 0;
    for (const sub of [plan, plan.inference]) {
      for (const step of sub.steps) {
        for (const a of step.args) {
          if (a.kind !== 'arena' || a.bytes === 0) continue;
          tried++;
          a.bytes -= 1;
          expect(checkPlanBounds(plan).length, `${step.kernel} (${step.op})`).toBeGreaterThan(0);
          a.bytes += 1;
        }
      }
    }
    expect(tried).toBeGreaterThan(300);
    expect(checkPlanBounds(plan)).toEqual([]);
  });
});
