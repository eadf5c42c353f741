import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../src/compiler/compile';
import { PlanExecutor } from '../src/runtime/kernels/executor';
import { loadWasm, paths } from '../src/runtime/testing/kernel-harness';
import { loadThreadedKernels } from '../src/runtime/kernels/wasm-threads-node';
import { fetchModelFile, transferModel } from '../src/runtime/training/train-backbone';

const get = async (p: string) => new Uint8Array(readFileSync(p));
const file = await fetchModelFile(join(paths.root, 'public', 'models'), 'mcunet-5fps', get);
const model = transferModel({ model: 'mcunet-5fps', resolution: 128, classes: 10, pretrained: file, seed: 1 });
const plan = compile(model, 'paper:99kb');
const threads = Number(process.argv[2] ?? 1);
const minWork = process.argv[3] ? Number(process.argv[3]) : undefined;
const mod = threads === 0 ? await loadWasm(paths.wasmSimd) : await loadThreadedKernels(join(paths.root, 'wasm', 'tt_kernels_mt.wasm'), threads);
const ex = PlanExecutor.load(mod, plan, { lr: 0.01, rounding: 'nearest', qas: true, seed: 1 }, { minSplitWork: minWork });
const img = new Int8Array(plan.input.bytes).map((_, i) => (i * 37) % 200 - 100);
const times = new Float64Array(plan.steps.length);
for (let i = 0; i < 20; i++) ex.trainStep(img, 3);
const N = 60;
for (let i = 0; i < N; i++) ex.trainStepProfiled(img, 3, times);
const splits = (ex as any).train.splits as any[];
const total = times.reduce((a, b) => a + b, 0) / N;
const byKind = new Map<string, { ms: number; n: number; splitMs: number; ns: number }>();
plan.steps.forEach((s, i) => {
  const k = byKind.get(s.kernel) ?? { ms: 0, n: 0, splitMs: 0, ns: 0 };
  k.ms += times[i] / N; k.n++;
  if (splits[i]) { k.splitMs += times[i] / N; k.ns++; }
  byKind.set(s.kernel, k);
});
console.log(`threads ${threads} total ${total.toFixed(3)} ms/step, steps ${plan.steps.length}, split ${splits.filter(Boolean).length}`);
const splitMs = [...byKind.values()].reduce((a, k) => a + k.splitMs, 0);
console.log(`split time ${splitMs.toFixed(3)} ms (${((100 * splitMs) / total).toFixed(1)}%)`);
for (const [k, v] of [...byKind].sort((a, b) => b[1].ms - a[1].ms))
  console.log(`${k.padEnd(40)} ${v.ms.toFixed(3).padStart(7)} ms ${((100 * v.ms) / total).toFixed(1).padStart(5)}%  calls ${String(v.n).padStart(4)} split ${v.ns} (${v.splitMs.toFixed(3)} ms)`);
if (process.argv[4] === 'top') {
  const idx = [...times.keys()].sort((a, b) => times[b] - times[a]).slice(0, 40);
  for (const i of idx) { const s = plan.steps[i]; console.log(`${i} ${s.kernel} ${s.op} ${(times[i] / N).toFixed(4)} ms ${splits[i] ? 'SPLIT' : ''}`); }
}
mod.threads?.dispose();
process.exit(0);
