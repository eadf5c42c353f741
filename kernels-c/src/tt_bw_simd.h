/*
 * tt_bw_simd.h - WebAssembly SIMD helpers for the backward kernels (only under __wasm_simd128__).
 *
 * Conversions int8 -> float32 are exact (integers below 2^24), so converting 4 or 16 lanes at once gives the
 * same values as the scalar (float)(x - zp). The kernels use f32x4 only across independent outputs.
 */
#ifndef TT_BW_SIMD_H
#define TT_BW_SIMD_H
#ifdef __wasm_simd128__
#include <wasm_simd128.h>

#include <stdint.h>

/* int8 -> float32 without f32x4.convert: LLVM 14 turns sitofp(sext(v)) into one scalar conversion per lane.
 * Instead build the float 1.5*2^23 + x from its bits (exact for |x| < 2^22) and subtract the float
 * 1.5*2^23 + zp: both are integers below 2^24, so the difference is exactly (float)(x - zp), +0.0 when equal.
 * tt_v_cvt_bias(zp) gives the subtrahend. */
#define TT_V_MAGIC 0x4B400000 /* bits of 12582912.0f = 1.5 * 2^23 */
static inline v128_t tt_v_cvt_bias(int32_t zp) { return wasm_f32x4_splat(12582912.0f + (float)zp); }
static inline v128_t tt_v_i32_to_f32(v128_t v, v128_t bias) {
  return wasm_f32x4_sub(wasm_i32x4_add(v, wasm_i32x4_splat(TT_V_MAGIC)), bias);
}

/* 16 int8 at p minus zp as four f32x4, lanes 0-3, 4-7, 8-11, 12-15 (bias = tt_v_cvt_bias(zp)). */
static inline void tt_v_cvt16(const int8_t *p, v128_t bias, v128_t out[4]) {
  v128_t v = wasm_v128_load(p);
  v128_t lo = wasm_i16x8_extend_low_i8x16(v), hi = wasm_i16x8_extend_high_i8x16(v);
  out[0] = tt_v_i32_to_f32(wasm_i32x4_extend_low_i16x8(lo), bias);
  out[1] = tt_v_i32_to_f32(wasm_i32x4_extend_high_i16x8(lo), bias);
  out[2] = tt_v_i32_to_f32(wasm_i32x4_extend_low_i16x8(hi), bias);
  out[3] = tt_v_i32_to_f32(wasm_i32x4_extend_high_i16x8(hi), bias);
}

/* 4 int8 at p minus zp as one f32x4 (bias = tt_v_cvt_bias(zp)). */
static inline v128_t tt_v_cvt4(const int8_t *p, v128_t bias) {
  v128_t v = wasm_i32x4_extend_low_i16x8(wasm_i16x8_extend_low_i8x16(wasm_v128_load32_zero(p)));
  return tt_v_i32_to_f32(v, bias);
}

/* dst[0..4) = v, or dst + v when accumulate. */
static inline void tt_v_store(float *dst, v128_t v, int32_t accumulate) {
  if (accumulate) v = wasm_f32x4_add(wasm_v128_load(dst), v);
  wasm_v128_store(dst, v);
}

#endif /* __wasm_simd128__ */
#endif /* TT_BW_SIMD_H */
