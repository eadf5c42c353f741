import { readFileSync, writeFileSync } from 'node:fs';
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
for (let i = 0; i < 20; i++) ex.trainStep(img, 3);
// min over rounds per step
const best = new Float64Array(plan.steps.length).fill(1e9);
for (let r = 0; r < 15; r++) {
  const t = new Float64Array(plan.steps.length);
  for (let i = 0; i < 10; i++) ex.trainStepProfiled(img, 3, t);
  t.forEach((v, i) => (best[i] = Math.min(best[i], v / 10)));
}
writeFileSync('.scratch/best.json', JSON.stringify(Array.from(best)));
const sum = (a: number, b: number) => best.slice(a, b).reduce((x, y) => x + y, 0);
console.log('total', sum(0, 694).toFixed(3), 'stage1', sum(0, 548).toFixed(3), 'fwd rest', sum(548, 584).toFixed(3), 'bwd', sum(584, 694).toFixed(3));
process.exit(0);
