/**
 * Randomized calls of the forward kernels in the non-default requantization modes (tflite-fixed, float-half-even),
 * each paired with the TypeScript reference, in the shape of kernels-forward.cases.ts. Multiplier tables mix random
 * channels with exact powers of two (float 2^-k, fixed {2^30, S}), whose products land on ties for many
 * accumulators, so the rounding rule of each mode is what decides those outputs.
 */
import {
  CONV_SHAPE_FIELDS,
  QUANT_FIELDS,
  Requant,
  structWords,
  type ConvShape,
  type Quant,
} from '../../compiler/kernel-abi';
import { fixedAddMultipliers, quantizeMultiplier, xnnpackAddMultipliers } from '../../compiler/quant';
import * as fw from '../../compiler/reference/forward';
import type { RequantTable } from '../../compiler/reference/requant';
import type { Arg, TypedArray } from './kernel-harness';
import { randomShape, type FwdCase, type Kind, type Rand } from './kernels-forward.cases';

export type NonDefaultMode = (typeof Requant)['tflite-fixed'] | (typeof Requant)['float-half-even'];

const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const i8 = (r: Rand, n: number, lo = -128, hi = 127) => Int8Array.from({ length: n }, () => int(r, lo, hi));
const bytes = (r: Rand, n: number) => Uint8Array.from({ length: n }, () => int(r, 0, 255));
const i32 = (n: number) => ({ i32: n });
const f32 = (x: number) => ({ f32: Math.fround(x) });
const REFS = { conv: fw.convS8, pointwise: fw.pointwiseS8, depthwise: fw.depthwiseS8 } as const;

/** Real multipliers around `scale`; one channel in three an exact power of two (ties for odd accumulators). */
function reals(r: Rand, n: number, scale: number): number[] {
  return Array.from({ length: n }, () => (r() < 0.33 ? 2 ** -int(r, 1, 9) : scale * (0.3 + r())));
}

/** The mode's table of real multipliers: float32 m, or TFLite {M, S} pairs. */
function table(mode: NonDefaultMode, m: number[]): RequantTable {
  if (mode === Requant['float-half-even']) return Float32Array.from(m, Math.fround);
  return Int32Array.from(m.flatMap((x) => quantizeMultiplier(x)));
}

function quant(r: Rand, mode: NonDefaultMode): Quant {
  const outZp = int(r, -128, 100);
  return { inZp: int(r, -128, 127), outZp, actMin: r() < 0.5 ? -128 : outZp, actMax: 127, requant: mode };
}

/** One conv-like call on rows [r0, r1) with a mask. */
function convCase(r: Rand, mode: NonDefaultMode, kind: Kind, s: ConvShape, r0: number, r1: number): FwdCase {
  const red = s.kernel * s.kernelW * (kind === 'depthwise' ? 1 : s.inC);
  const q = quant(r, mode);
  const w = i8(r, kind === 'depthwise' ? s.kernel * s.kernel * s.inC : s.outC * red, -127, 127);
  const bias = Int32Array.from({ length: s.outC }, () => int(r, -20000, 20000));
  const mult = table(mode, reals(r, s.outC, 0.02 / Math.sqrt(red)));
  const input = i8(r, s.inRing * s.inW * s.inC);
  const out = i8(r, s.outRing * s.outW * s.outC);
  const m = bytes(r, Math.ceil((s.outH * s.outW * s.outC) / 8));
  const args: Arg[] = [structWords(CONV_SHAPE_FIELDS, s), structWords(QUANT_FIELDS, q), input, w, bias, mult, out];
  args.push(m, i32(r0), i32(r1));
  const ref = (t: TypedArray[]) =>
    REFS[kind](
      s,
      q,
      t[2] as Int8Array,
      t[3] as Int8Array,
      t[4] as Int32Array,
      t[5] as RequantTable,
      t[6] as Int8Array,
      t[7] as Uint8Array,
      r0,
      r1,
    );
  return { name: `mode ${mode} ${kind} ${JSON.stringify(s)} rows ${r0}-${r1}`, fn: `tt_${kind}_s8`, args, ref };
}

/** Random layers of every conv-like kind (wide ones now and then: SIMD blocks of 16, 8, 4 and scalar tails). */
export function requantLayerCases(r: Rand, mode: NonDefaultMode, count: number): FwdCase[] {
  const cases: FwdCase[] = [];
  for (let t = 0; t < count; t++)
    for (const kind of ['pointwise', 'depthwise', 'conv'] as const) {
      const s = randomShape(r, kind, t % 4 === 3 ? 300 : 37);
      cases.push(convCase(r, mode, kind, s, 0, s.outH));
      const r0 = int(r, 0, s.outH - 1);
      cases.push(convCase(r, mode, kind, s, r0, int(r, r0 + 1, s.outH)));
    }
  return cases;
}

/** fc, add (half-even: tt_add_s8; fixed: tt_add_s8_fixed) and mean in one mode. */
export function requantVectorCases(r: Rand, mode: NonDefaultMode): FwdCase[] {
  const cases: FwdCase[] = [];
  for (let t = 0; t < 6; t++) {
    const [inC, outC] = [t === 5 ? 4100 : int(r, 1, 600), int(r, 1, 40)];
    const q = quant(r, mode);
    const w = i8(r, inC * outC, -127, 127);
    const bias = Int32Array.from({ length: outC }, () => int(r, -5000, 5000));
    const mult = table(mode, reals(r, outC, 0.015 / Math.sqrt(inC)));
    const m = bytes(r, Math.ceil(outC / 8));
    const args: Arg[] = [i32(inC), i32(outC), structWords(QUANT_FIELDS, q), i8(r, inC), w, bias, mult, i8(r, outC), m];
    const ref = (x: TypedArray[]) =>
      fw.fcS8(
        inC,
        outC,
        q,
        x[1] as Int8Array,
        x[2] as Int8Array,
        x[3] as Int32Array,
        x[4] as RequantTable,
        x[5] as Int8Array,
        x[6] as Uint8Array,
      );
    cases.push({ name: `mode ${mode} fc ${inC}->${outC}`, fn: 'tt_fc_s8', args, ref });
  }
  for (let t = 0; t < 6; t++) {
    const n = int(r, 1, 300);
    const q = { ...quant(r, mode), actMin: t % 2 ? -128 : -20 };
    const bZp = int(r, -128, 127);
    const m = bytes(r, Math.ceil(n / 8));
    const [a, b, out] = [i8(r, n), i8(r, n), i8(r, n)];
    if (mode === Requant['tflite-fixed']) {
      const sc = () => ({ scale: Math.fround(0.01 + 0.1 * r()), zeroPoint: 0 });
      const mult = fixedAddMultipliers(sc(), sc(), sc());
      const args: Arg[] = [i32(n), structWords(QUANT_FIELDS, q), i32(bZp), mult, a, b, out, m];
      const ref = (x: TypedArray[]) =>
        fw.addS8Fixed(n, q, bZp, mult, x[2] as Int8Array, x[3] as Int8Array, x[4] as Int8Array, x[5] as Uint8Array);
      cases.push({ name: `mode ${mode} add fixed n${n}`, fn: 'tt_add_s8_fixed', args, ref });
    } else {
      const [ma, mb] = [Math.fround(t < 3 ? 0.5 : 0.2 + r()), Math.fround(t < 3 ? 0.25 : 0.2 + r())]; // ties first
      const args: Arg[] = [i32(n), structWords(QUANT_FIELDS, q), i32(bZp), f32(ma), f32(mb), a, b, out, m];
      const ref = (x: TypedArray[]) =>
        fw.addS8(n, q, bZp, ma, mb, x[1] as Int8Array, x[2] as Int8Array, x[3] as Int8Array, x[4] as Uint8Array);
      cases.push({ name: `mode ${mode} add n${n}`, fn: 'tt_add_s8', args, ref });
    }
  }
  for (let t = 0; t < 6; t++) {
    const [h, w, c] = [int(r, 1, 9), int(r, 1, 9), int(r, 1, 150)];
    const q = { ...quant(r, mode), actMin: -128 };
    const real = t < 2 ? 1 : 0.5 + 2 * r();
    const mult =
      mode === Requant['tflite-fixed'] ? Int32Array.from(quantizeMultiplier(real)) : Float32Array.of(real / (h * w));
    const args: Arg[] = [i32(h), i32(w), i32(c), structWords(QUANT_FIELDS, q), mult, i8(r, h * w * c), i8(r, c)];
    const ref = (x: TypedArray[]) => fw.meanS8(h, w, c, q, mult, x[2] as Int8Array, x[3] as Int8Array);
    cases.push({ name: `mode ${mode} mean ${h}x${w}x${c}`, fn: 'tt_mean_s8', args, ref });
  }
  return cases;
}

/**
 * tt_add_s8_fixed in the tflite-xnnpack mode (XNNPACK's add): scale ratios s_a / s_y, s_b / s_y of 1/2 and 1/4 first
 * (every odd sum lands on a tie, which XNNPACK rounds up), then random ones.
 */
export function xnnpackAddCases(r: Rand): FwdCase[] {
  const mode = Requant['tflite-xnnpack'];
  return Array.from({ length: 8 }, (_, t) => {
    const n = int(r, 1, 300);
    const outZp = int(r, -128, 100);
    const q: Quant = { inZp: int(r, -128, 127), outZp, actMin: t % 2 ? -128 : outZp, actMax: 127, requant: mode };
    const bZp = int(r, -128, 127);
    const y = { scale: 0.04, zeroPoint: outZp };
    const sa = t < 3 ? 0.02 : Math.fround(0.004 + 0.3 * r());
    const sb = t < 3 ? 0.01 : Math.fround(0.004 + 0.3 * r());
    const mult = xnnpackAddMultipliers({ scale: sa, zeroPoint: 0 }, { scale: sb, zeroPoint: 0 }, y)!;
    const [a, b, out, m] = [i8(r, n), i8(r, n), i8(r, n), bytes(r, Math.ceil(n / 8))];
    const args: Arg[] = [i32(n), structWords(QUANT_FIELDS, q), i32(bZp), mult, a, b, out, m];
    const ref = (x: TypedArray[]) =>
      fw.addS8Fixed(n, q, bZp, mult, x[2] as Int8Array, x[3] as Int8Array, x[4] as Int8Array, x[5] as Uint8Array);
    return {
      name: `mode ${mode} add xnnpack n${n} ratios ${sa / 0.04} ${sb / 0.04}`,
      fn: 'tt_add_s8_fixed',
      args,
      ref,
    };
  });
}
