/**
 * Reference float32 math of the kernels: tt_round, and tt_expf / tt_logf repeated operation for operation from
 * kernels-c/src/tt_math.c with Math.fround after every float32 operation (a float32 +, -, *, / computed in double
 * and rounded once is the correctly rounded float32 result), so they return the same bits as every C build.
 */

const f = Math.fround;

const scratch = new DataView(new ArrayBuffer(4));
const fromBits = (u: number): number => {
  scratch.setUint32(0, u >>> 0);
  return scratch.getFloat32(0);
};
const toBits = (x: number): number => {
  scratch.setFloat32(0, x);
  return scratch.getUint32(0);
};

/** tt_round: (int32)(v >= 0 ? v + 0.5f : v - 0.5f), the add in float32, then truncation toward zero (|v| < 2^31). */
export function round(v: number): number {
  return (v >= 0 ? f(v + 0.5) : f(v - 0.5)) | 0;
}

// Constants: the exact float32 values of the C hex-float literals.
const LN2_HI = 0.693145751953125; // 0x1.62e4p-1
const LN2_LO = 1.428606765330187e-6; // 0x1.7f7d1cp-20
const LOG2E = 1.4426950216293335; // 0x1.715476p0
const ROUND_MAGIC = 12582912; // 1.5 * 2^23
const EXP_MAX = 88.72283935546875; // 0x1.62e430p6
const E2 = 0.5;
const E3 = 0.1666666716337204; // 0x1.555556p-3
const E4 = 0.0416666679084301; // 0x1.555556p-5
const E5 = 0.008333333767950535; // 0x1.111112p-7
const E6 = 0.0013888889225199819; // 0x1.6c16c2p-10
const E7 = 0.00019841270113829523; // 0x1.a01a02p-13
const L3 = 0.6666666865348816; // 0x1.555556p-1
const L5 = 0.4000000059604645; // 0x1.99999ap-2
const L7 = 0.2857142984867096; // 0x1.24924ap-2
const L9 = 0.2222222238779068; // 0x1.c71c72p-3

/** tt_expf: 2^k e^r with k = round-to-even(x log2 e), r = (x - k ln2_hi) - k ln2_lo, e^r = 1 + (r + r^2 q(r)). */
export function expf(xIn: number): number {
  const x = f(xIn);
  if (Number.isNaN(x)) return x;
  if (x > EXP_MAX) return Infinity;
  if (x < -104) return 0;
  const kf = f(f(f(x * LOG2E) + ROUND_MAGIC) - ROUND_MAGIC);
  const r = f(f(x - f(kf * LN2_HI)) - f(kf * LN2_LO));
  let q = f(E6 + f(r * E7));
  q = f(E5 + f(r * q));
  q = f(E4 + f(r * q));
  q = f(E3 + f(r * q));
  q = f(E2 + f(r * q));
  const p = f(1 + f(r + f(f(r * r) * q)));
  if (kf > 127) return f(f(p * 2) * 2 ** 127);
  if (kf < -126) return f(f(p * 2 ** (kf + 100)) * 2 ** -100);
  return f(p * 2 ** kf);
}

/** tt_logf: e ln2 + log(m), m in [sqrt(1/2), sqrt(2)); log(m) = f - s (f - R(s^2)), f = m - 1, s = f / (2 + f). */
export function logf(xIn: number): number {
  const x = f(xIn);
  if (Number.isNaN(x) || x < 0) return NaN;
  if (x === Infinity) return Infinity;
  if (x === 0) return -Infinity;
  let ix = toBits(x);
  let e = 0;
  if (ix < 0x00800000) {
    ix = toBits(f(x * 2 ** 23));
    e = -23;
  }
  e += (ix >>> 23) - 127;
  let mb = (ix & 0x007fffff) | 0x3f800000;
  if (mb > 0x3fb504f3) {
    mb -= 0x00800000;
    e += 1;
  }
  const fm = f(fromBits(mb) - 1);
  const s = f(fm / f(2 + fm));
  const z = f(s * s);
  let rr = f(L7 + f(z * L9));
  rr = f(L5 + f(z * rr));
  rr = f(L3 + f(z * rr));
  rr = f(z * rr);
  const logm = f(fm - f(s * f(fm - rr)));
  return f(f(e * LN2_HI) + f(f(e * LN2_LO) + logm));
}
