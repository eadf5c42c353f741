/**
 * Quantization helpers (PAPER-FACTS sections 1-2). Weights are int8 symmetric per output channel
 * (s_W[c] = max|W[c]| / 127, zero point 0); activations int8 asymmetric per tensor (s, z), real = s * (q - z);
 * biases int32 in units s_W[c] * s_x. Every float the kernels consume is rounded to float32 here, once,
 * from the double-precision formula, so TypeScript, WebAssembly and firmware read the same bits.
 */

/** Per-tensor quantization of an activation: real = scale * (q - zeroPoint). */
export interface QParams {
  scale: number;
  zeroPoint: number;
}

const f = Math.fround;

/** Requantization multipliers m[c] = s_x * s_W[c] / s_y (float32). */
export function requantMultipliers(sx: number, sW: ArrayLike<number>, sy: number): Float32Array {
  const m = new Float32Array(sW.length);
  for (let c = 0; c < sW.length; c++) m[c] = (sx * sW[c]) / sy;
  return m;
}

/**
 * Multipliers f32(f32(s_x * s_W[c]) / s_y): two float32 operations in this order, as ONNX Runtime's QLinearConv and
 * PyTorch's quantized kernels compute them (the half-even mode uses these, so their bits match those runtimes').
 */
export function onnxMultipliers(sx: number, sW: ArrayLike<number>, sy: number): Float32Array {
  const m = new Float32Array(sW.length);
  for (let c = 0; c < sW.length; c++) m[c] = f(f(f(sx) * f(sW[c])) / f(sy));
  return m;
}

/**
 * TFLite's QuantizeMultiplier: the real multiplier m (a double) as a Q31 mantissa M and an exponent S with
 * m ~= M * 2^(S - 31): frexp gives m = q * 2^S with q in [0.5, 1); M = round(q * 2^31) (half away from zero); M = 2^31
 * becomes 2^30 with S + 1; S < -31 flushes to {0, 0}, and m = 0 is {0, 0}.
 */
export function quantizeMultiplier(m: number): [number, number] {
  if (m === 0 || !Number.isFinite(m)) return [0, 0];
  let shift = Math.floor(Math.log2(Math.abs(m))) + 1;
  while (Math.abs(m) / 2 ** shift >= 1) shift++; // frexp exactly: log2 may be off by one near powers of two
  while (Math.abs(m) / 2 ** shift < 0.5) shift--;
  const q = m / 2 ** shift;
  let fixed = Math.sign(q) * Math.floor(Math.abs(q) * 2 ** 31 + 0.5);
  if (Math.abs(fixed) === 2 ** 31) {
    fixed /= 2;
    shift++;
  }
  if (shift < -31) return [0, 0];
  return [fixed, shift];
}

/** {M, S} pairs of the real multipliers s_x * s_W[c] / s_y, computed in double as TFLite's conv kernels do. */
export function fixedMultipliers(sx: number, sW: ArrayLike<number>, sy: number): Int32Array {
  const t = new Int32Array(2 * sW.length);
  for (let c = 0; c < sW.length; c++) t.set(quantizeMultiplier((sx * sW[c]) / sy), 2 * c);
  return t;
}

/**
 * TFLite's int8 ADD parameters {M_a, S_a, M_b, S_b, M_y, S_y} (tt_add_s8_fixed): with t = 2 max(s_a, s_b), the
 * multipliers s_a / t, s_b / t and t / (2^20 s_y), in double.
 */
export function fixedAddMultipliers(a: QParams, b: QParams, y: QParams): Int32Array {
  const twice = 2 * Math.max(a.scale, b.scale);
  return Int32Array.from([
    ...quantizeMultiplier(a.scale / twice),
    ...quantizeMultiplier(b.scale / twice),
    ...quantizeMultiplier(twice / (2 ** 20 * y.scale)),
  ]);
}

/** The exponent e of a positive finite x (2^e <= x < 2^(e + 1)), as the float's exponent bits give it. */
function exponentOf(x: number): number {
  let e = Math.floor(Math.log2(x));
  if (2 ** e > x) e--;
  if (2 ** (e + 1) <= x) e++;
  return e;
}

/** lrintf: the nearest integer, ties to even. */
const rintEven = (v: number) => {
  const r = Math.floor(v);
  const d = v - r;
  return d > 0.5 || (d === 0.5 && r % 2 !== 0) ? r + 1 : r;
};

/**
 * XNNPACK's int8 add parameters {A, B, shift, 0, 0, 0} (tt_add_s8_fixed in the tflite-xnnpack mode): with the
 * float32 ratios r_a = s_a / s_y, r_b = s_b / s_y and e the exponent of max(r_a, r_b), shift = 20 - e and
 * A = lrintf(r_a 2^shift), B likewise (the larger one in [2^20, 2^21)). Null when XNNPACK refuses the add (a ratio
 * outside [2^-10, 2^8): TFLite then runs its own ADD, tt_add_s8_fixed's tflite-fixed form).
 */
export function xnnpackAddMultipliers(a: QParams, b: QParams, y: QParams): Int32Array | null {
  const ra = f(f(a.scale) / f(y.scale));
  const rb = f(f(b.scale) / f(y.scale));
  const inRange = (r: number) => r >= 2 ** -10 && r < 2 ** 8;
  if (!inRange(ra) || !inRange(rb)) return null;
  const shift = 20 - exponentOf(Math.max(ra, rb));
  return Int32Array.from([rintEven(ra * 2 ** shift), rintEven(rb * 2 ** shift), shift, 0, 0, 0]);
}

/** TFLite's int8 MEAN over h and w (tt_mean_s8, fixed mode): {M, S} of s_in / s_out; the division by h*w is the
 * kernel's. */
export function fixedMeanMultiplier(input: QParams, output: QParams): Int32Array {
  return Int32Array.from(quantizeMultiplier(input.scale / output.scale));
}

/**
 * QAS gradient scale of a weight tensor, per output channel. With W = s_W * W_q the step on the stored integer
 * is lr * G_W / s_W with QAS (G~_Wq = G_Wq * s_W^-2, G_Wq = s_W * G_W) and lr * s_W * G_W without.
 */
export function weightGradScale(sW: ArrayLike<number>, qas: boolean): Float32Array {
  const g = new Float32Array(sW.length);
  for (let c = 0; c < sW.length; c++) g[c] = qas ? 1 / f(sW[c]) : sW[c];
  return g;
}

/**
 * QAS gradient scale of an int32 bias in units u = s_W[c] * s_x (u rounded to float32 first): 1 / u with QAS,
 * u without.
 */
export function biasGradScale(sW: ArrayLike<number>, sx: number, qas: boolean): Float32Array {
  const g = new Float32Array(sW.length);
  for (let c = 0; c < sW.length; c++) {
    const unit = f(f(sW[c]) * f(sx));
    g[c] = qas ? 1 / unit : unit;
  }
  return g;
}

/** Residual add multipliers ma = s_a / s_y, mb = s_b / s_y (float32). */
export function addMultipliers(a: QParams, b: QParams, y: QParams): { ma: number; mb: number } {
  return { ma: f(a.scale / y.scale), mb: f(b.scale / y.scale) };
}

/** Average-pool multiplier m = s_in / (s_out * h * w) (float32). */
export function avgpoolMultiplier(input: QParams, output: QParams, h: number, w: number): number {
  return f(input.scale / (output.scale * h * w));
}

/** Symmetric per-channel quantization of real weights laid out [outC][rest] (depthwise: [taps][C]). */
export function quantizeWeights(
  real: ArrayLike<number>,
  channels: number,
  channelOf: (i: number) => number,
): { q: Int8Array; scale: Float32Array } {
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < real.length; i++) maxAbs[channelOf(i)] = Math.max(maxAbs[channelOf(i)], Math.abs(real[i]));
  const scale = new Float32Array(channels);
  for (let c = 0; c < channels; c++) scale[c] = maxAbs[c] > 0 ? maxAbs[c] / 127 : 1e-8;
  const q = new Int8Array(real.length);
  for (let i = 0; i < real.length; i++) {
    const v = Math.round(real[i] / scale[channelOf(i)]);
    q[i] = Math.max(-127, Math.min(127, v));
  }
  return { q, scale };
}

/** Bias quantization b_q = round(b / (s_W[c] * s_x)). */
export function quantizeBias(real: ArrayLike<number>, sW: ArrayLike<number>, sx: number): Int32Array {
  const b = new Int32Array(real.length);
  for (let c = 0; c < real.length; c++) b[c] = Math.round(real[c] / (sW[c] * sx));
  return b;
}

/** Quantization covering the real range [lo, hi] (lo <= 0 <= hi widened if needed), zero point exact. */
export function rangeQParams(lo: number, hi: number): QParams {
  const a = Math.min(lo, 0);
  const b = Math.max(hi, a + 1e-6);
  const scale = f((b - a) / 255);
  const zeroPoint = Math.max(-128, Math.min(127, Math.round(-128 - a / scale))) || 0; // never -0
  return { scale, zeroPoint };
}

/** Clamp bounds of a layer output: ReLU-like layers clamp at z_y, linear ones at the int8 range. */
export function activationRange(out: QParams, relu: boolean): { actMin: number; actMax: number } {
  return { actMin: relu ? out.zeroPoint : -128, actMax: 127 };
}

/** Quantize a real value with the given parameters (round half away from zero, saturate). */
export function quantize(v: number, q: QParams): number {
  const r = v / q.scale;
  const n = (r >= 0 ? Math.floor(r + 0.5) : Math.ceil(r - 0.5)) + q.zeroPoint;
  return Math.max(-128, Math.min(127, n));
}

export function dequantize(v: number, q: QParams): number {
  return q.scale * (v - q.zeroPoint);
}
