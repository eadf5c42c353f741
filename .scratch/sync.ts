import { join } from 'node:path';
import { paths } from '../src/runtime/testing/kernel-harness';
import { loadThreadedKernels } from '../src/runtime/kernels/wasm-threads-node';
const mod = await loadThreadedKernels(join(paths.root, 'wasm', 'tt_kernels_mt.wasm'), 2);
const t = mod.threads!;
const fn = t.index('tt_clamp_f32_bwd');
const f = (mod.exports as any).tt_clamp_f32_bwd;
const parts = [new Float64Array([0, 0, 0]), new Float64Array([0, 0, 0])];
let ran = 0;
for (let rep = 0; rep < 5; rep++) {
  const R = 20000;
  const t0 = performance.now();
  for (let i = 0; i < R; i++) t.run(fn, parts, 2, (a) => { ran++; f(a[0], a[1], a[2]); });
  console.log(`${((performance.now() - t0) / R * 1000).toFixed(2)} us per 2-part job, main ran ${(ran / R).toFixed(2)} parts/job`);
  ran = 0;
}
t.dispose(); process.exit(0);
