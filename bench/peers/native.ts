/**
 * Our native C build of a whole training step: the firmware bundle's desktop build (`make host`, the bundle's
 * own Makefile: the host C compiler at -O2, -ffp-contract=off, no fast-math) of the same plan the WebAssembly
 * executor runs. The demo binary also prints and evaluates, so one run is not one step: it is built twice,
 * with TT_DEMO_STEPS = a and b, and a step costs (t_b - t_a) / (b - a), each t the fastest of `repeats` runs.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { make, prepare, runHost } from '../../scripts/firmware/harness';

export interface NativeResult {
  msPerStep: number;
  steps: number;
  /** Wall time of building the bundle (not part of the step time). */
  buildSeconds: number;
}

async function fastest(dir: string, repeats: number): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < repeats; i++) {
    const r = await runHost(dir);
    if (!r.ok) throw new Error(`native run failed (${r.code}): ${r.stderr.trim().split('\n')[0] ?? ''}`);
    best = Math.min(best, r.ms);
  }
  return best;
}

async function build(dir: string, steps: number): Promise<void> {
  rmSync(join(dir, 'build/host/app/tt_demo.o'), { force: true });
  rmSync(join(dir, 'build/host/tinytrain'), { force: true });
  const r = await make(dir, 'host', `HOST_CC=cc -DTT_DEMO_STEPS=${steps}`);
  if (!r.ok) throw new Error(`native build failed: ${r.stderr.trim().split('\n').slice(0, 3).join(' ')}`);
}

export async function nativeStep(
  model: string,
  resolution: number,
  scheme: string,
  dir: string,
  extraSteps: number,
  repeats = 2,
): Promise<NativeResult> {
  const t0 = performance.now();
  const settings = { lr: 0.01, rounding: 'nearest' as const, qas: true, seed: 1 };
  prepare({ model, resolution, scheme, board: 'stm32f746', classes: 10, steps: 1, settings }, dir);
  const a = 1;
  const b = a + extraSteps;
  await build(dir, a);
  const buildSeconds = (performance.now() - t0) / 1000;
  const ta = await fastest(dir, repeats);
  await build(dir, b);
  const tb = await fastest(dir, repeats);
  return { msPerStep: Math.max(tb - ta, 0) / extraSteps, steps: extraSteps, buildSeconds };
}
