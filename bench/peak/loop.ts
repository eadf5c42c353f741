/**
 * Times one peak loop module (bench/peak/wat.ts) in this process. Run as a script (`node FLAG --import tsx
 * bench/peak/loop.ts FILE.wasm` with an int8 loop), it prints {"nsPerIteration": ...}: how peak.ts times the relaxed-SIMD loop under
 * the V8 flag Node 20 needs for it.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface LoopExports {
  run(n: number, p: number): number;
  memory: WebAssembly.Memory;
}

/** Best ns per iteration over `runs` calls, each calibrated to about targetMs. Short calls many times: on a loaded
 * machine the fastest call is one no other process interrupted. Operands: int8 in [-63, 63] (valid i7x16 too), or
 * for the fp32 loop small normal floats (random bytes would give denormals, which x86 runs far slower). */
export async function nsPerIteration(bytes: Uint8Array, fp32: boolean, targetMs = 1, runs = 100): Promise<number> {
  const { instance } = await WebAssembly.instantiate(new Uint8Array(bytes));
  const { run, memory } = instance.exports as unknown as LoopExports;
  const ops = new Int8Array(memory.buffer, 0, 96);
  const floats = new Float32Array(memory.buffer, 0, 24);
  for (let i = 0; i < ops.length; i++) ops[i] = ((i * 37 + 11) % 127) - 63;
  if (fp32) for (let i = 0; i < floats.length; i++) floats[i] = (i % 7) * 0.125 - 0.25;
  let n = 1 << 10;
  for (;;) {
    let ms = Infinity;
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      run(n, 0);
      ms = Math.min(ms, performance.now() - t0);
    }
    if (ms > targetMs / 4) {
      n = Math.max(1, Math.round((n * targetMs) / ms));
      break;
    }
    n *= 4;
  }
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    run(n, 0);
    best = Math.min(best, ((performance.now() - t0) * 1e6) / n);
  }
  return best;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify({ nsPerIteration: await nsPerIteration(readFileSync(process.argv[2]), false, 1, 300) }));
}
