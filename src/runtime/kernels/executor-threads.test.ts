import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../compiler/compile';
import { mulberry32 } from '../../compiler/models/init';
import { buildModel } from '../../compiler/models/model';
import { pretrainedFile } from '../../compiler/models/plan-identity';
import { transferModel } from '../../compiler/models/transfer';
import type { TrainingPlan } from '../../compiler/plan';
import type { RunSettings } from '../../compiler/settings';
import { PlanExecutor } from './executor';
import { bands } from './executor-split';
import type { ModeWindow } from './executor-mode';
import { loadWasm, paths } from '../testing/kernel-harness';
import { loadThreadedKernels } from './wasm-threads-node';
import type { KernelModule } from './wasm';
import { join } from 'node:path';

const MT = join(paths.wasmSimd, '..', 'tt_kernels_mt.wasm');
let single: KernelModule;
let scalar: KernelModule;
const threaded = new Map<number, KernelModule>();

beforeAll(async () => {
  single = await loadWasm(paths.wasmSimd);
  scalar = await loadWasm(paths.wasmScalar);
  for (const t of [1, 2, 4]) threaded.set(t, await loadThreadedKernels(MT, t));
}, 60_000);
afterAll(() => threaded.forEach((m) => m.threads?.dispose()));

function examples(plan: TrainingPlan, n: number, seed: number) {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, () => ({
    image: Int8Array.from({ length: plan.input.bytes }, () => Math.floor(rand() * 256) - 128),
    label: Math.floor(rand() * plan.model.classes),
  }));
}

/** Losses, evaluation losses, final logits and trainable weights after `steps` training steps. */
function trace(
  mod: KernelModule,
  plan: TrainingPlan,
  s: RunSettings,
  steps: number,
  minSplitWork?: number,
  programs?: boolean,
  mode?: ModeWindow | false,
  chainParts?: number,
  next?: 'next' | 'wrong',
  pipelineStart?: number,
) {
  const ex = PlanExecutor.load(mod, plan, s, {
    minSplitWork,
    guardBytes: 64,
    programs,
    mode,
    chainParts,
    pipelineStart,
  });
  const xs = examples(plan, steps, 11);
  const other = examples(plan, 1, 99)[0].image;
  // with `next`: each step is told the next step's image (the last one, an unrelated image); 'wrong': step 1
  // is told an unrelated image, so step 2 finds its prefix not prepared
  const ahead = (i: number) => (next === 'wrong' && i === 1 ? other : (xs[i + 1]?.image ?? other));
  const losses = xs.map(({ image, label }, i) => ex.trainStep(image, label, undefined, next ? ahead(i) : undefined));
  const pipelined = ex.pipelineRuns;
  const evals = examples(plan, 3, 12).map(({ image, label }) => ex.evaluate(image, label).loss);
  const { split: kernels, programs: runs, chains } = ex.threadPlan();
  const out = {
    losses,
    evals,
    logits: ex.logits(),
    weights: ex.trainable(),
    split: ex.splitSteps,
    columns: kernels.filter((k) => k?.endsWith('_cols')).length,
    programs: runs.length,
    chains: chains.length,
    pipelined,
  };
  expect(ex.checkCanaries()).toMatchObject({ before: 0, after: 0 });
  ex.dispose();
  return out;
}

function expectSame(a: ReturnType<typeof trace>, b: ReturnType<typeof trace>) {
  expect(b.losses).toEqual(a.losses);
  expect(b.evals).toEqual(a.evals);
  expect(b.logits).toEqual(a.logits);
  expect(b.weights.length).toBe(a.weights.length);
  b.weights.forEach((w, i) => expect(w.data, w.name).toEqual(a.weights[i].data));
}

describe('bands', () => {
  it('cuts a range into non-empty aligned pieces that cover it once', () => {
    expect(bands(0, 10, 2, 1)).toEqual([
      [0, 5],
      [5, 10],
    ]);
    expect(bands(3, 40, 3, 16)).toEqual([
      [3, 16],
      [16, 32],
      [32, 40],
    ]);
    expect(bands(0, 5, 4, 8)).toEqual([[0, 5]]);
  });
});

describe('KernelThreads', () => {
  it('runs every part once, and a part that traps fails the call without stopping the threads', () => {
    const mod = threaded.get(4)!;
    const pool = mod.threads!;
    const n = 64;
    const g = mod.put(Float32Array.from({ length: 4 * n }, (_, i) => i + 1));
    const mask = mod.put(new Uint8Array(n / 2).fill(0x55));
    const fn = pool.index('tt_clamp_f32_bwd');
    const call = (a: Float64Array) => void mod.exports.tt_clamp_f32_bwd(a[0], a[1], a[2]);
    const parts = [0, 1, 2, 3].map((j) => Float64Array.of(n, g + 4 * n * j, mask + (n / 8) * j));
    pool.run(fn, parts, 4, call);
    const out = mod.get(Float32Array, g, 4 * n);
    out.forEach((v, i) => expect(v).toBe(i % 2 === 0 ? i + 1 : 0));
    const bad = [0, 1, 2, 3].map(() => Float64Array.of(n, 0x7ffffff0, mask));
    expect(() => pool.run(fn, bad, 4, call)).toThrow(/out of bounds|failed/);
    pool.run(fn, parts, 4, call);
    mod.free(g);
    mod.free(mask);
  });
});

describe('KernelThreads.program', () => {
  it('runs calls in order, each part once, and a trapping part fails the run but not the threads', () => {
    const mod = threaded.get(4)!;
    const pool = mod.threads!;
    const n = 64;
    const g = mod.put(Float32Array.from({ length: 4 * n }, (_, i) => i + 1));
    const mask = mod.put(new Uint8Array(n / 2).fill(0x55));
    const keep = mod.put(new Uint8Array(n / 2).fill(0xff));
    const main = (a: Float64Array) => void mod.exports.tt_clamp_f32_bwd(a[0], a[1], a[2]);
    const quarter = (m: number) => [0, 1, 2, 3].map((j) => Float64Array.of(n, g + 4 * n * j, m + (n / 8) * j));
    // call 2 reads what call 0 wrote: it keeps every other element, then the mask clears every other again
    const ptrs: number[] = [];
    const alloc = (bytes: number) => (ptrs.push(mod.alloc(bytes)), ptrs[ptrs.length - 1]);
    const mem = () => mod.memory.buffer as ArrayBuffer;
    const prog = pool.program(mem, alloc, [
      { kernel: 'tt_clamp_f32_bwd', parts: quarter(mask), main },
      { kernel: 'tt_clamp_f32_bwd', parts: [Float64Array.of(4 * n, g, keep)], main },
      { kernel: 'tt_clamp_f32_bwd', parts: quarter(keep), main },
    ]);
    expect(prog.calls).toBe(3);
    prog.run();
    mod.get(Float32Array, g, 4 * n).forEach((v, i) => expect(v).toBe(i % 2 === 0 ? i + 1 : 0));
    const bad = pool.program(mem, alloc, [
      { kernel: 'tt_clamp_f32_bwd', parts: quarter(mask), main },
      { kernel: 'tt_clamp_f32_bwd', parts: [0, 1, 2, 3].map(() => Float64Array.of(n, 0x7ffffff0, mask)), main },
    ]);
    expect(() => bad.run()).toThrow(/out of bounds|failed/);
    prog.run();
    mod.get(Float32Array, g, 4 * n).forEach((v, i) => expect(v).toBe(i % 2 === 0 ? i + 1 : 0));
    [g, mask, keep, ...ptrs].forEach((p) => mod.free(p));
  });
});

describe('PlanExecutor on kernel threads, runs cut into pieces', () => {
  it('enters and leaves programs at call boundaries, a cut inside a chain runs it step by step', () => {
    const p = compile(buildModel({ model: 'mcunet-5fps', resolution: 96, classes: 10, seed: 6 }), 'paper:148kb');
    const s: RunSettings = { lr: 0.02, rounding: 'stochastic', qas: true, seed: 8 };
    const n = p.steps.length;
    const loss = p.steps.findIndex((st) => st.returns === 'loss');
    const inChain = p.steps.findIndex((st, i) => st.band && p.steps[i + 1]?.band && i > 20);
    const run = (mod: KernelModule, cuts: number[]) => {
      const ex = PlanExecutor.load(mod, p, s, { mode: false });
      const losses = examples(p, 3, 11).map(({ image, label }) => {
        const ends = [0, ...cuts, n];
        const parts = ends.slice(1).map((to, k) => ex.runSteps('train', ends[k], to, k === 0 ? image : null, label));
        return parts.find((x) => !Number.isNaN(x));
      });
      const out = { losses, weights: ex.trainable(), chains: ex.threadPlan().chains.length };
      ex.dispose();
      return out;
    };
    const ref = run(single, []);
    for (const cuts of [[inChain], [inChain, loss + 3], [loss, loss + 1, n - 7]]) {
      const two = run(threaded.get(2)!, cuts);
      expect(two.chains).toBeGreaterThan(0);
      expect(two.losses).toEqual(ref.losses);
      two.weights.forEach((w, i) => expect(w.data, w.name).toEqual(ref.weights[i].data));
    }
  }, 120_000);
});

describe('PlanExecutor on kernel threads', () => {
  const cases: [string, () => TrainingPlan, RunSettings, number][] = [
    [
      'tiny-cnn full, stochastic rounding',
      () => compile(buildModel({ model: 'tiny-cnn', resolution: 32, classes: 5, seed: 7 }), 'full'),
      { lr: 0.05, rounding: 'stochastic', qas: true, seed: 42 },
      6,
    ],
    [
      'mcunet-5fps@128 paper:99kb, nearest',
      () => compile(buildModel({ model: 'mcunet-5fps', resolution: 128, classes: 10, seed: 3 }), 'paper:99kb'),
      { lr: 0.02, rounding: 'nearest', qas: true, seed: 5 },
      3,
    ],
    [
      'mcunet-5fps@96 paper:148kb, stochastic',
      () => compile(buildModel({ model: 'mcunet-5fps', resolution: 96, classes: 10, seed: 6 }), 'paper:148kb'),
      { lr: 0.02, rounding: 'stochastic', qas: true, seed: 8 },
      2,
    ],
    [
      // pretrained weights (random ones leave many activations at the clamp), and chains whose output the
      // planner overlaps with their input (blocks.10: they must run step by step)
      'mcunet-5fps@64 pretrained last:6, stochastic',
      () =>
        compile(
          transferModel({
            model: 'mcunet-5fps',
            resolution: 64,
            classes: 5,
            pretrained: pretrainedFile('mcunet-5fps'),
            seed: 1,
          }),
          'last:6',
        ),
      { lr: 0.02, rounding: 'stochastic', qas: true, seed: 9 },
      3,
    ],
    [
      'mcunet-5fps@64 last:12, stochastic',
      () => compile(buildModel({ model: 'mcunet-5fps', resolution: 64, classes: 10, seed: 4 }), 'last:12'),
      { lr: 0.02, rounding: 'stochastic', qas: true, seed: 9 },
      3,
    ],
  ];
  for (const [name, plan, settings, steps] of cases) {
    it(`is bit-identical for 1, 2 and 4 threads, with and without programs, and the scalar build: ${name}`, () => {
      const p = plan();
      const ref = trace(single, p, settings, steps);
      expect(ref.split).toBe(0);
      expectSame(ref, trace(scalar, p, settings, steps));
      for (const t of [1, 2, 4]) {
        const everything = trace(threaded.get(t)!, p, settings, steps, 0);
        if (t > 1) expect(everything.split).toBeGreaterThan(10);
        if (t > 1) expect(everything.programs).toBeGreaterThan(0);
        if (t > 1 && name.startsWith('mcunet-5fps')) expect(everything.chains).toBeGreaterThan(0);
        expectSame(ref, everything);
      }
      // programs off: each band chain is a program of its own, nothing else
      const alone = trace(threaded.get(2)!, p, settings, steps, 0, false);
      expect(alone.programs).toBe(alone.chains);
      expectSame(ref, alone);
      // chains cut into more row ranges than threads: uneven ranges whose halos overlap several neighbours
      for (const [t, parts] of [
        [2, 3],
        [4, 7],
      ]) {
        const cut = trace(threaded.get(t)!, p, settings, steps, 0, true, undefined, parts);
        expectSame(ref, cut);
      }
      const usual = trace(threaded.get(2)!, p, settings, steps);
      expectSame(ref, usual);
      // split and whole runs alternating from the first step (a timing window every 4 runs)
      const mixed = trace(threaded.get(2)!, p, settings, steps, undefined, undefined, { period: 4, block: 1, warm: 0 });
      expectSame(ref, mixed);
      // pipelined by the frozen prefix (its plan has one unless every layer trains), told the next image or,
      // once, a wrong one; on 2 and 4 threads, and with pipelined, split and whole runs alternating
      // the rest of the step balanced anywhere from all split (0) to all on this thread (1)
      for (const [t, start] of [
        [2, 0],
        [2, 0.5],
        [4, 0],
        [2, 1],
      ])
        for (const how of ['next', 'wrong'] as const) {
          const piped = trace(threaded.get(t)!, p, settings, steps, undefined, undefined, false, undefined, how, start);
          if (!name.includes(' full')) {
            expect(piped.pipelined.cut).toBeGreaterThan(0);
            expect(piped.pipelined.steps).toBe(steps);
          }
          expectSame(ref, piped);
        }
      const ways = trace(
        threaded.get(2)!,
        p,
        settings,
        steps,
        undefined,
        undefined,
        { period: 3, block: 1, warm: 0 },
        undefined,
        'next',
      );
      expectSame(ref, ways);
    }, 180_000);
  }
});

describe('kernel thread programs', () => {
  it("tell this thread's part of a sequences call when the kernel threads' parts are done", () => {
    const mod = threaded.get(2)!;
    const n = 1 << 16;
    const src = mod.alloc(n);
    const dst = mod.alloc(n);
    new Int8Array(mod.memory.buffer, src, n).forEach((_, i, a) => (a[i] = (i * 7) % 251));
    const seen: number[] = [];
    const copy = { kernel: 'tt_slice_channels_s8', args: Float64Array.of(n, 1, 1, src, dst) };
    const program = mod.threads!.program(
      () => mod.memory.buffer as ArrayBuffer,
      (bytes) => mod.alloc(bytes),
      [
        {
          sequences: [[], [copy]],
          mainOnly: 1,
          main: (part, finished) => {
            expect(part).toBe(0); // part 1 is the kernel thread's: this thread runs its mainOnly part first
            seen.push(finished());
            const t0 = performance.now();
            while (finished() < 1 && performance.now() - t0 < 10_000);
            seen.push(finished());
            // counted once done, not before: the copy's bytes are all there when finished() says 1
            const a = new Int8Array(mod.memory.buffer, src, n);
            const b = new Int8Array(mod.memory.buffer, dst, n);
            seen.push(a.every((v, i) => v === b[i]) ? 1 : 0);
          },
        },
      ],
    );
    program.run();
    expect(seen[0]).toBeLessThanOrEqual(1);
    expect(seen.slice(1)).toEqual([1, 1]);
    mod.free(src);
    mod.free(dst);
  });
});
