/**
 * Reference requantization: the three tt_requant_mode helpers of tt_kernels.h, in plain TypeScript. The fixed-point
 * ones are integer arithmetic carried exactly in doubles (every intermediate below stays under 2^53), so they return
 * the bits of the C int32/int64 code; the float ones wrap every float32 operation in Math.fround.
 */
import { Requant, type Quant } from '../kernel-abi';
import { round } from './math';

const f = Math.fround;
const LIMIT = 2 ** 30;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** A forward kernel's multiplier table: float32 m per channel, or int32 {M, S} pairs (tflite-fixed). */
export type RequantTable = Float32Array | Int32Array;

/** tt_round_half_even: the nearest integer to v (|v| <= 2^30), ties to the even one. */
export function roundHalfEven(v: number): number {
  const t = Math.trunc(v);
  const d = v - t;
  if (d > 0.5 || (d === 0.5 && t % 2 !== 0)) return t + 1;
  if (d < -0.5 || (d === -0.5 && t % 2 !== 0)) return t - 1;
  return t;
}

/**
 * tt_sat_rounding_doubling_high_mul: floor(a * b / 2^31 + 1/2), INT32_MAX for a == b == INT32_MIN. With b = bh 2^16 + bl
 * (0 <= bl < 2^16) and t = a bl + 2^30 = th 2^16 + tl (0 <= tl < 2^16): a b + 2^30 = (a bh + th) 2^16 + tl, so the
 * result is floor((a bh + th) / 2^15); every product and sum is an integer below 2^48.
 */
export function satRoundingDoublingHighMul(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const bh = Math.floor(b / 65536);
  const bl = b - bh * 65536;
  const t = a * bl + 2 ** 30;
  const th = Math.floor(t / 65536);
  return Math.floor((a * bh + th) / 32768);
}

/** tt_rounding_divide_by_pot: x / 2^e rounded half away from zero (0 <= e <= 31). */
export function roundingDivideByPot(x: number, e: number): number {
  const p = 2 ** e;
  const fl = Math.floor(x / p);
  const remainder = x - fl * p;
  const threshold = Math.floor((p - 1) / 2) + (x < 0 ? 1 : 0);
  return fl + (remainder > threshold ? 1 : 0);
}

/** tt_requant_fixed: x = acc 2^max(S, 0) (saturated to int32), then the doubling high mul by M, then / 2^max(-S, 0). */
export function requantFixed(acc: number, m: number, shift: number): number {
  const x = shift > 0 ? Math.min(INT32_MAX, Math.max(INT32_MIN, acc * 2 ** shift)) : acc;
  return roundingDivideByPot(satRoundingDoublingHighMul(x, m), shift > 0 ? 0 : -shift);
}

const clampLimit = (v: number) => (v > LIMIT ? LIMIT : v < -LIMIT ? -LIMIT : v);

/** The float modes: v = f32(f32(x) * m) clamped to +-2^30, rounded by the mode. */
export function requantFloat(x: number, m: number, even: boolean): number {
  const v = clampLimit(f(f(x) * m));
  return even ? roundHalfEven(v) : round(v);
}

/** Channel c of a forward kernel's table in the mode of q: r + out_zp, before the activation clamp. */
export function requantChannel(acc: number, mult: RequantTable, c: number, q: Quant): number {
  const mode = q.requant ?? Requant['float-half-away'];
  if (mode === Requant['tflite-fixed']) return clampLimit(requantFixed(acc, mult[2 * c], mult[2 * c + 1])) + q.outZp;
  return requantFloat(acc, mult[c], mode === Requant['float-half-even']) + q.outZp;
}
