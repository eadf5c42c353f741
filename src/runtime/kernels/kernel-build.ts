/**
 * Which build of the kernels this engine runs. The relaxed-SIMD module (wasm/tt_kernels_relaxed.wasm, see
 * kernels-c/src/tt_relaxed.h) where the engine validates relaxed SIMD (Chromium does; Node 20 only under
 * --experimental-wasm-relaxed-simd), else the SIMD module. Both compute the same bits; the scalar module is the
 * benchmark baseline.
 */
export type KernelBuild = 'relaxed-simd' | 'simd' | 'scalar';

/** The module file of each build, under wasm/. */
export const KERNEL_BUILD_FILES: Record<KernelBuild, string> = {
  'relaxed-simd': 'tt_kernels_relaxed.wasm',
  simd: 'tt_kernels.wasm',
  scalar: 'tt_kernels_scalar.wasm',
};

/** How the page names each build. */
export const KERNEL_BUILD_LABELS: Record<KernelBuild, string> = {
  'relaxed-simd': 'relaxed SIMD',
  simd: 'SIMD',
  scalar: 'scalar',
};

/** (module (func (param v128) (result v128) local.get 0 i32x4.relaxed_trunc_f32x4_s)): the instruction the
 * relaxed build uses, in its standard encoding (0xfd 0x81 0x02). */
const RELAXED_PROBE = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7b, 0x01, 0x7b, 0x03, 0x02, 0x01,
  0x00, 0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0xfd, 0x81, 0x02, 0x0b,
]);

/** Whether this engine validates the relaxed-SIMD instructions the relaxed build contains. */
export function engineHasRelaxedSimd(): boolean {
  try {
    return WebAssembly.validate(RELAXED_PROBE);
  } catch {
    return false;
  }
}

/** The build to run here: relaxed SIMD where the engine has it, else SIMD. */
export function preferredKernelBuild(relaxed = engineHasRelaxedSimd()): 'relaxed-simd' | 'simd' {
  return relaxed ? 'relaxed-simd' : 'simd';
}

/** Loads the preferred build with `load` (given the build's URL); when the relaxed build fails to load or compile,
 * falls back to the SIMD one. Returns what was loaded and which build it is. */
export async function loadPreferredBuild<T>(
  urls: { relaxed: string; simd: string },
  load: (url: string) => Promise<T>,
): Promise<{ loaded: T; build: 'relaxed-simd' | 'simd' }> {
  if (preferredKernelBuild() === 'relaxed-simd') {
    try {
      return { loaded: await load(urls.relaxed), build: 'relaxed-simd' };
    } catch {
      /* the SIMD build below */
    }
  }
  return { loaded: await load(urls.simd), build: 'simd' };
}
