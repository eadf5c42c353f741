/**
 * The code panel's WebAssembly view: which kernels the plan calls, and the WebAssembly text of one of them in
 * the SIMD or the scalar build. wabt and the module bytes load only when the view asks (dynamic import, one
 * fetch per build); the runtime parses each module once.
 */
import type { TrainingPlan } from '../compiler/plan';
import type { KernelWasmText } from '../runtime/kernels/wasm-text';

export type WasmBuild = 'simd' | 'scalar';

const URLS: Record<WasmBuild, string> = {
  simd: new URL('../../wasm/tt_kernels.wasm', import.meta.url).href,
  scalar: new URL('../../wasm/tt_kernels_scalar.wasm', import.meta.url).href,
};

const bytes = new Map<WasmBuild, Promise<Uint8Array>>();

/** The kernels the plan calls (training and evaluation steps), deduplicated and sorted. */
export function planKernels(plan: TrainingPlan): string[] {
  return [...new Set([...plan.steps, ...plan.inference.steps].map((s) => s.kernel))].sort();
}

async function fetchBytes(build: WasmBuild): Promise<Uint8Array> {
  const res = await fetch(URLS[build]);
  if (!res.ok) throw new Error(`could not load the ${build} kernel module (HTTP ${res.status})`);
  return new Uint8Array(await res.arrayBuffer());
}

function moduleBytes(build: WasmBuild): Promise<Uint8Array> {
  let p = bytes.get(build);
  if (!p) {
    p = fetchBytes(build);
    bytes.set(build, p);
    p.catch(() => bytes.delete(build)); // a failed fetch may be retried
  }
  return p;
}

/** The WebAssembly text of one kernel in one build; rejects with a readable message. */
export async function loadKernelWasmText(kernel: string, build: WasmBuild): Promise<KernelWasmText> {
  const [{ kernelWasmText }, b] = await Promise.all([import('../runtime/kernels/wasm-text'), moduleBytes(build)]);
  return kernelWasmText(b, kernel);
}
