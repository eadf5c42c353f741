import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../src/compiler/compile';
import { PlanExecutor } from '../src/runtime/kernels/executor';
import { paths } from '../src/runtime/testing/kernel-harness';
import { loadThreadedKernels } from '../src/runtime/kernels/wasm-threads-node';
import { fetchModelFile, transferModel } from '../src/runtime/training/train-backbone';
const get = async (p: string) => new Uint8Array(readFileSync(p));
const file = await fetchModelFile(join(paths.root, 'public', 'models'), 'mcunet-5fps', get);
const model = transferModel({ model: 'mcunet-5fps', resolution: 128, classes: 10, pretrained: file, seed: 1 });
const plan = compile(model, 'paper:99kb');
const mod = await loadThreadedKernels(join(paths.root, 'wasm', 'tt_kernels_mt.wasm'), 2);
const ex = PlanExecutor.load(mod, plan, { lr: 0.01, rounding: 'nearest', qas: true, seed: 1 });
const img = new Int8Array(plan.input.bytes).map((_, i) => (i * 37) % 200 - 100);
for (let i = 0; i < 20; i++) ex.trainStep(img, 3);
const c = (ex as any).train;
for (const si of process.argv.slice(2).map(Number)) {
  const R = 300;
  let t0 = performance.now();
  for (let r = 0; r < R; r++) c.fns[si](...c.args[si]);
  const whole = (performance.now() - t0) / R;
  t0 = performance.now();
  for (let r = 0; r < R; r++) c.splits[si].run(c.args[si]);
  const split = (performance.now() - t0) / R;
  console.log(`${si} ${plan.steps[si].kernel} whole ${(whole*1000).toFixed(1)} us split ${(split*1000).toFixed(1)} us`);
}
mod.threads?.dispose(); process.exit(0);
