/**
 * A quick self-check of a freshly loaded kernel module, run by the kernel worker before anything else uses it:
 * tt_pointwise_s8 on seeded random data must equal the TypeScript reference (reference/forward.ts) bit for bit,
 * output and clamp mask, and tt_expf must match Math.exp within 1e-6 relative. It reports what it checked and how
 * long that took, so the page can say "kernels OK" with numbers behind it.
 */
import { convShape } from '../../compiler/kernel-abi';
import { pointwiseS8 } from '../../compiler/reference/forward';
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

/**
 * One 16x16x24 -> 16x16x40 pointwise conv with random int8 data, per-channel multipliers and a ReLU-like clamp,
 * on the module and on the reference; returns the number of output elements and mask bytes that differ.
 */
function checkPointwise(mod: KernelModule, rand: () => number): { elements: number; mismatches: number } {
  const shape = convShape({ inH: 16, inW: 16, inC: 24, outH: 16, outW: 16, outC: 40, kernel: 1, stride: 1, pad: 0 });
  const q = { inZp: -3, outZp: -128, actMin: -128, actMax: 127 };
  const int8 = (n: number) => Int8Array.from({ length: n }, () => Math.floor(rand() * 256) - 128);
  const input = int8(16 * 16 * 24);
  const w = int8(40 * 24);
  const bias = Int32Array.from({ length: 40 }, () => Math.floor(rand() * 4000) - 2000);
  const mult = Float32Array.from({ length: 40 }, () => 0.0005 + rand() * 0.004);
  const n = 16 * 16 * 40;
  const want = new Int8Array(n);
  const wantMask = new Uint8Array(n / 8);
  pointwiseS8(shape, q, input, w, bias, mult, want, wantMask, 0, 16);

  const ptrs = [mod.putConvShape(shape), mod.putQuant(q), mod.put(input), mod.put(w), mod.put(bias), mod.put(mult)];
  const out = mod.alloc(n);
  const mask = mod.alloc(n / 8);
  try {
    mod.exports.tt_pointwise_s8(ptrs[0], ptrs[1], ptrs[2], ptrs[3], ptrs[4], ptrs[5], out, mask, 0, 16);
    const got = mod.get(Int8Array, out, n);
    const gotMask = mod.get(Uint8Array, mask, n / 8);
    let mismatches = 0;
    for (let i = 0; i < n; i++) if (got[i] !== want[i]) mismatches++;
    for (let i = 0; i < n / 8; i++) if (gotMask[i] !== wantMask[i]) mismatches++;
    return { elements: n, mismatches };
  } finally {
    for (const p of [...ptrs, out, mask]) mod.free(p);
  }
}

export function selfCheck(mod: KernelModule, seed = 1234): SelfCheckResult {
  const t0 = performance.now();
  const missing = (['tt_expf', 'tt_pointwise_s8', 'malloc', 'free'] as const).filter(
    (name) => typeof mod.exports[name] !== 'function',
  );
  if (missing.length) return { ok: false, message: `kernel module lacks ${missing.join(', ')}`, checkMs: 0 };
  const rand = xorshift32(seed);
  const pw = checkPointwise(mod, rand);
  const { pass, worst } = checkExpf(mod, rand);
  const checkMs = performance.now() - t0;
  const ok = pass === EXPF_SAMPLES && pw.mismatches === 0;
  const detail =
    `tt_pointwise_s8 ${pw.elements - Math.min(pw.elements, pw.mismatches)}/${pw.elements} bit-exact vs reference, ` +
    `tt_expf ${pass}/${EXPF_SAMPLES} within 1e-6 (worst ${worst.toExponential(1)})`;
  return { ok, message: ok ? `kernels OK: ${detail}` : `kernel self-check FAILED: ${detail}`, checkMs };
}
