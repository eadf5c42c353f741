/**
 * A quick self-check of a freshly loaded kernel module, run by the kernel worker before anything else uses it:
 * tt_expf against Math.exp on seeded inputs (relative error <= 1e-6). It reports what it checked and how long
 * the module took to load and to check, so the page can say "kernels OK" with numbers behind it.
 */
import type { KernelModule } from './wasm';

export interface SelfCheckResult {
  ok: boolean;
  /** one line for the page, e.g. "kernels OK: tt_expf 1000/1000 within 1e-6" */
  message: string;
  /** milliseconds spent running the checks */
  checkMs: number;
}

/** xorshift32, the same generator the kernels use for stochastic rounding (state never 0). */
export function xorshift32(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

const EXPF_SAMPLES = 1000;
const EXPF_REL_TOL = 1e-6;

/** tt_expf(x) for x in [-20, 20) compared with Math.exp rounded to float32. */
function checkExpf(mod: KernelModule, rand: () => number): { pass: number; worst: number } {
  let pass = 0;
  let worst = 0;
  for (let i = 0; i < EXPF_SAMPLES; i++) {
    const x = Math.fround(rand() * 40 - 20);
    const want = Math.fround(Math.exp(x));
    const got = mod.exports.tt_expf(x);
    const rel = Math.abs(got - want) / Math.abs(want);
    worst = Math.max(worst, Number.isNaN(rel) ? Infinity : rel);
    if (rel <= EXPF_REL_TOL) pass++;
  }
  return { pass, worst };
}

export function selfCheck(mod: KernelModule, seed = 1234): SelfCheckResult {
  const t0 = performance.now();
  if (typeof mod.exports.tt_expf !== 'function') {
    return { ok: false, message: 'kernel module has no tt_expf export', checkMs: 0 };
  }
  const { pass, worst } = checkExpf(mod, xorshift32(seed));
  const checkMs = performance.now() - t0;
  const ok = pass === EXPF_SAMPLES;
  const detail = `tt_expf ${pass}/${EXPF_SAMPLES} within 1e-6 (worst ${worst.toExponential(1)})`;
  return { ok, message: ok ? `kernels OK: ${detail}` : `kernel self-check FAILED: ${detail}`, checkMs };
}
