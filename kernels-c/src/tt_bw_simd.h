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

/* 16 int8 at p minus zp (zp16 = i16x8 splat) as four f32x4, lanes 0-3, 4-7, 8-11, 12-15. */
static inline void tt_v_cvt16(const int8_t *p, v128_t zp16, v128_t out[4]) {
  v128_t v = wasm_v128_load(p);
  v128_t lo = wasm_i16x8_sub(wasm_i16x8_extend_low_i8x16(v), zp16);
  v128_t hi = wasm_i16x8_sub(wasm_i16x8_extend_high_i8x16(v), zp16);
  out[0] = wasm_f32x4_convert_i32x4(wasm_i32x4_extend_low_i16x8(lo));
  out[1] = wasm_f32x4_convert_i32x4(wasm_i32x4_extend_high_i16x8(lo));
  out[2] = wasm_f32x4_convert_i32x4(wasm_i32x4_extend_low_i16x8(hi));
  out[3] = wasm_f32x4_convert_i32x4(wasm_i32x4_extend_high_i16x8(hi));
}

/* 4 int8 at p minus zp (zp32 = i32x4 splat) as one f32x4. */
static inline v128_t tt_v_cvt4(const int8_t *p, v128_t zp32) {
  v128_t v = wasm_i32x4_extend_low_i16x8(wasm_i16x8_extend_low_i8x16(wasm_v128_load32_zero(p)));
  return wasm_f32x4_convert_i32x4(wasm_i32x4_sub(v, zp32));
}

/* dst[0..4) = v, or dst + v when accumulate. */
static inline void tt_v_store(float *dst, v128_t v, int32_t accumulate) {
  if (accumulate) v = wasm_f32x4_add(wasm_v128_load(dst), v);
  wasm_v128_store(dst, v);
}

#endif /* __wasm_simd128__ */
#endif /* TT_BW_SIMD_H */
