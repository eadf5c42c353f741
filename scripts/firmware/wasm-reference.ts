/**
 * What a firmware bundle must print, computed by the playground itself: the plan runs on the WebAssembly kernel
 * module through the plan executor (src/runtime/kernels/executor.ts), with the same samples, settings and step count as
 * the bundle's demo (app/tt_demo.c), and the result is formatted as the demo's transcript lines. The firmware
 * test compares these lines with the host and QEMU output byte for byte.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FirmwareSample } from '../../src/compiler/codegen';
import type { RunSettings } from '../../src/compiler/settings';
import type { TrainingPlan } from '../../src/compiler/plan';
import { PlanExecutor } from '../../src/runtime/kernels/executor';
import { instantiateKernels, type KernelModule } from '../../src/runtime/kernels/wasm';
import { REPO_ROOT } from '../../src/cli/firmware-io';

let cached: Promise<KernelModule> | null = null;

/** The SIMD kernel module the page runs (wasm/tt_kernels.wasm). */
export function loadKernelModule(): Promise<KernelModule> {
  cached ??= instantiateKernels(readFileSync(join(REPO_ROOT, 'wasm', 'tt_kernels.wasm')));
  return cached;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** " loss 0x<bits> <decimal>" exactly like print_loss() in tt_demo.c. */
export function lossText(loss: number): string {
  f32[0] = loss;
  const hex = `0x${u32[0].toString(16).padStart(8, '0')}`;
  const x = f32[0];
  if (!(x >= 0 && x < 100000)) return ` loss ${hex} (not finite or out of range)`;
  const t = Math.trunc(Math.fround(Math.fround(x * 10000) + 0.5));
  return ` loss ${hex} ${Math.trunc(t / 10000)}.${String(t % 10000).padStart(4, '0')}`;
}

/** FNV-1a over the bytes of the trainable arrays, in plan order (tt_weights_checksum). */
export function weightsChecksum(arrays: readonly { data: Int8Array | Int32Array }[]): number {
  let h = 0x811c9dc5;
  for (const { data } of arrays) {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    for (const b of bytes) h = Math.imul(h ^ b, 16777619) >>> 0;
  }
  return h >>> 0;
}

/** The demo's transcript lines (before / train / weights / eval) computed on WebAssembly. */
export async function wasmTranscript(
  plan: TrainingPlan,
  samples: readonly FirmwareSample[],
  settings: RunSettings,
  steps: number,
): Promise<string[]> {
  const ex = PlanExecutor.load(await loadKernelModule(), plan, settings);
  try {
    const lines: string[] = [];
    samples.forEach((x, i) => {
      const { loss, predicted } = ex.evaluate(x.image, x.label);
      lines.push(`before ${i} label ${x.label} predicted ${predicted}${lossText(loss)}`);
    });
    for (let s = 0; s < steps; s++) {
      const i = s % samples.length;
      const loss = ex.trainStep(samples[i].image, samples[i].label);
      lines.push(`train ${s} sample ${i} label ${samples[i].label}${lossText(loss)}`);
    }
    lines.push(`weights fnv1a 0x${weightsChecksum(ex.trainable()).toString(16).padStart(8, '0')}`);
    samples.forEach((x, i) => {
      const { loss, predicted } = ex.evaluate(x.image, x.label);
      lines.push(`eval ${i} label ${x.label} predicted ${predicted}${lossText(loss)}`);
    });
    return lines;
  } finally {
    ex.dispose();
  }
}

/** The transcript lines of a firmware run's output (everything else it prints is ignored). */
export function transcriptOf(output: string): string[] {
  return output.split('\n').filter((l) => /^(before \d|train \d|weights |eval \d)/.test(l));
}
