/**
 * `npm run bench -- train [--seconds S]`: training speed in Node on the WebAssembly SIMD module, through the
 * same executor the worker uses, with real MNIST images (resized on the fly, as in the worker).
 *  1. samples/s of training steps and of evaluations for tiny-cnn@32 and mcunet-5fps@128 (paper:99kb, the
 *     issue's target of 100 samples/s in the browser; classifier-only and last:4 for comparison), and the
 *     share of data preparation;
 *  2. where a mcunet-5fps@128 paper:99kb step spends its time: milliseconds per kernel and per phase, and the
 *     hottest calls, so the kernel engineers know which kernel to optimize;
 *  3. the fp32 baseline's speed (the TypeScript float trainer of the experiments).
 * Figures only: nothing here fails on a threshold.
 */
import { compile } from '../src/compiler/compile';
import type { TrainingPlan } from '../src/compiler/plan';
import { parseScheme } from '../src/compiler/scheme/scheme';
import { ROOT } from '../src/cli/train-run';
import { benchModel } from './model';
import { fetchDataset } from '../src/runtime/training/data';
import { PlanExecutor } from '../src/runtime/kernels/executor';
import { loadWasm, paths } from '../src/runtime/testing/kernel-harness';
import { splitExamples } from '../src/runtime/training/train-data';
import { Fp32Trainer } from '../src/runtime/training/train-fp32';
import { TrainingSession, type Learner } from '../src/runtime/training/train-session';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KernelModule } from '../src/runtime/kernels/wasm';

const data = await fetchDataset(
  join(ROOT, 'public', 'data'),
  'mnist',
  ['train', 'test'],
  async (p) => new Uint8Array(readFileSync(p)),
);

const modelFor = benchModel;

function session(learner: Learner, plan: TrainingPlan): TrainingSession {
  const [r, , c] = plan.input.shape;
  const input = { resolution: r, channels: c };
  return new TrainingSession(
    learner,
    splitExamples(data.train, input),
    splitExamples(data.test, input),
    plan.input.bytes,
    1,
  );
}

/** Runs `fn(n)` (returning its milliseconds and how many it did) with growing n for ~`seconds`; items/s. */
function rate(fn: (n: number) => { ms: number; done: number }, seconds: number): number {
  fn(2);
  let n = 4;
  for (;;) {
    const { ms, done } = fn(n);
    if (ms > seconds * 1000 || done < n || n > 1e6) return (1000 * done) / ms;
    n = Math.ceil(n * Math.min(8, Math.max(2, (seconds * 1100) / Math.max(ms, 1))));
  }
}

function speed(mod: KernelModule, name: string, resolution: number, scheme: string, seconds: number): void {
  const { model, file } = modelFor(name, resolution);
  const plan = compile(model, scheme);
  const ex = PlanExecutor.load(mod, plan, { lr: 0.01, rounding: 'nearest', qas: true, seed: 1 });
  const s = session(ex, plan);
  const train = rate((n) => ({ ms: s.trainSteps(n).ms, done: n }), seconds);
  const evalRate = rate((n) => {
    const e = s.evaluate(n);
    return { ms: e.ms, done: e.examples };
  }, seconds);
  const buf = new Int8Array(plan.input.bytes);
  const prep = rate(
    (n) => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) data.train.input(i % data.train.count, resolution, plan.input.shape[2], buf);
      return { ms: performance.now() - t0, done: n };
    },
    Math.min(seconds, 1),
  );
  const tag = `${name}@${resolution} ${scheme}`.padEnd(32);
  console.log(
    `${tag} train ${train.toFixed(1).padStart(7)} samples/s   eval ${evalRate.toFixed(1).padStart(7)} samples/s   ` +
      `data prep ${((100 * train) / prep).toFixed(1)}% of a step   ${plan.steps.length} calls/step   arena ${plan.arenaBytes} B` +
      `${file ? '' : '   (random weights)'}`,
  );
  ex.dispose();
}

function profile(mod: KernelModule, steps: number): void {
  const { model } = modelFor('mcunet-5fps', 128);
  const plan = compile(model, 'paper:99kb');
  const ex = PlanExecutor.load(mod, plan, { lr: 0.01, rounding: 'nearest', qas: true, seed: 1 });
  const times = new Float64Array(plan.steps.length);
  const img = new Int8Array(plan.input.bytes);
  for (let i = 0; i < steps; i++) {
    data.train.input(i, 128, plan.input.shape[2], img);
    ex.trainStepProfiled(img, data.train.label(i), times);
  }
  const total = times.reduce((a, b) => a + b, 0) / steps;
  const by = (key: (i: number) => string) => {
    const m = new Map<string, { ms: number; calls: number }>();
    plan.steps.forEach((st, i) => {
      const e = m.get(key(i)) ?? { ms: 0, calls: 0 };
      e.ms += times[i] / steps;
      e.calls++;
      m.set(key(i), e);
    });
    return [...m.entries()].sort((a, b) => b[1].ms - a[1].ms);
  };
  console.log(
    `\nmcunet-5fps@128 paper:99kb: ${total.toFixed(2)} ms per training step in kernels (${steps} steps profiled)`,
  );
  console.log(
    '  by phase:  ' +
      by((i) => plan.steps[i].phase)
        .map(([k, v]) => `${k} ${v.ms.toFixed(2)} ms`)
        .join(', '),
  );
  console.log('  by kernel:');
  for (const [k, v] of by((i) => plan.steps[i].kernel)) {
    console.log(
      `    ${k.padEnd(30)} ${v.ms.toFixed(3).padStart(7)} ms ${((100 * v.ms) / total).toFixed(1).padStart(5)}%  ${v.calls} calls`,
    );
  }
  console.log('  hottest ops:');
  for (const [k, v] of by((i) => `${plan.steps[i].kernel} ${plan.steps[i].op}`).slice(0, 8)) {
    console.log(
      `    ${k.padEnd(52)} ${v.ms.toFixed(3).padStart(7)} ms ${((100 * v.ms) / total).toFixed(1).padStart(5)}%`,
    );
  }
  ex.dispose();
}

function fp32Speed(steps: number): void {
  const { model } = modelFor('mcunet-5fps', 128);
  const plan = compile(model, 'paper:99kb');
  const s = session(new Fp32Trainer(model, parseScheme('paper:99kb', model), 0.01), plan);
  const w = s.trainSteps(steps);
  const e = s.evaluate(steps);
  console.log(
    `\nfp32 baseline (TypeScript) mcunet-5fps@128 paper:99kb: train ${((1000 * steps) / w.ms).toFixed(1)} samples/s, eval ${((1000 * steps) / e.ms).toFixed(1)} samples/s`,
  );
}

export default async function (args: string[]): Promise<void> {
  const i = args.indexOf('--seconds');
  const seconds = i >= 0 ? Number(args[i + 1]) : 3;
  const mod = await loadWasm(paths.wasmSimd);
  console.log(`Node ${process.version}, WebAssembly SIMD, batch 1, MNIST images; ~${seconds} s per figure`);
  speed(mod, 'tiny-cnn', 32, 'full', seconds);
  speed(mod, 'mcunet-5fps', 128, 'paper:99kb', seconds);
  speed(mod, 'mcunet-5fps', 128, 'classifier', seconds);
  speed(mod, 'mcunet-5fps', 128, 'last:4', seconds);
  speed(mod, 'mcunet-5fps', 128, 'full', seconds);
  profile(mod, 100);
  fp32Speed(10);
}
