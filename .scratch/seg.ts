import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../src/compiler/compile';
import { PlanExecutor } from '../src/runtime/kernels/executor';
import { loadWasm, paths } from '../src/runtime/testing/kernel-harness';
import { fetchModelFile, transferModel } from '../src/runtime/training/train-backbone';
const get = async (p: string) => new Uint8Array(readFileSync(p));
const file = await fetchModelFile(join(paths.root, 'public', 'models'), 'mcunet-5fps', get);
const model = transferModel({ model: 'mcunet-5fps', resolution: 128, classes: 10, pretrained: file, seed: 1 });
const plan = compile(model, 'paper:99kb');
const mod = await loadWasm(paths.wasmSimd);
const ex = PlanExecutor.load(mod, plan, { lr: 0.01, rounding: 'nearest', qas: true, seed: 1 });
const img = new Int8Array(plan.input.bytes).map((_, i) => (i * 37) % 200 - 100);
for (let i = 0; i < 30; i++) ex.trainStep(img, 3);
const N = 100;
const segs = [[0, 548], [548, 584], [584, 694], [0, 694]];
for (const [a, b] of segs) {
  let best = 1e9;
  for (let k = 0; k < 5; k++) {
    const t0 = performance.now();
    for (let i = 0; i < N; i++) ex.runSteps('train', a, b, null, 3);
    best = Math.min(best, (performance.now() - t0) / N);
  }
  console.log(`steps ${a}..${b}: ${(best * 1000).toFixed(0)} us`);
}
process.exit(0);
