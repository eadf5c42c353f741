/*
 * tt_update.c - QAS-scaled SGD written straight into int8 weights and int32 biases (PAPER-FACTS section 2).
 *
 * Per element: d = lr * (g * gscale[ch]) in float32; NaN counts as 0 and d is clamped to [-2^30, 2^30];
 * q_new = saturate(q - R(d)) with R = truncate, round-to-nearest or stochastic rounding floor(d + u).
 * gscale carries QAS: 1/s_W (weights) or 1/(s_W*s_x) (biases), so lr * g * gscale is an fp32 SGD step in
 * real units expressed in integer LSBs. The update is serial in element order (the rng draws are).
 */
#include "tt_bw_internal.h"

#include "tt_relaxed.h"

#define TT_D_LIMIT 1073741824.0f /* 2^30 */

/* floor for |v| <= 2^30 + 1 without libm: truncate, then step down for negative non-integers. */
static inline int32_t tt_floor_i32(float v) {
  int32_t t = (int32_t)v;
  return (float)t > v ? t - 1 : t;
}

/* R(d): the integer step for one element. Draws one uniform when stochastic. */
static inline int32_t tt_step(float d, int32_t rounding, tt_rng *rng) {
  if (!(d == d)) d = 0.0f; /* NaN: no step (and no trap in WebAssembly's float->int) */
  if (d > TT_D_LIMIT) d = TT_D_LIMIT;
  if (d < -TT_D_LIMIT) d = -TT_D_LIMIT;
  if (rounding == TT_ROUND_NEAREST) return tt_round(d);
  if (rounding == TT_ROUND_STOCHASTIC) return tt_floor_i32(d + tt_rng_uniform(rng));
  return (int32_t)d; /* truncate toward zero: the original MCU code's float->int conversion */
}

#ifdef __wasm_simd128__
/* Elements [0, n & ~3) of tt_bw_update_row_s8 four at a time, truncate or nearest (no rng): the same float steps
 * (two multiplies, NaN to 0, clamp, +-0.5 by the sign for nearest, truncate) and the same saturation.
 * tt_round's "d >= 0 ? d + 0.5 : d - 0.5" is d + copysign(0.5, d): equal except at -0.0, where both give 0. */
static int32_t tt_update_row4(int32_t n, const float *g, const float *gscale, int32_t per_element, float lr,
                              int32_t rounding, int8_t *dst) {
  const v128_t lv = wasm_f32x4_splat(lr), lim = wasm_f32x4_splat(TT_D_LIMIT), nlim = wasm_f32x4_splat(-TT_D_LIMIT);
  const v128_t sign = wasm_i32x4_splat((int32_t)0x80000000u), half = wasm_f32x4_splat(0.5f);
  const v128_t qmax = wasm_i32x4_splat(127), qmin = wasm_i32x4_splat(-127);
  int32_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const v128_t gs = per_element ? wasm_v128_load(gscale + j) : wasm_f32x4_splat(gscale[0]);
    v128_t d = wasm_f32x4_mul(lv, wasm_f32x4_mul(wasm_v128_load(g + j), gs));
    d = wasm_v128_and(d, wasm_f32x4_eq(d, d)); /* NaN: 0 */
    d = wasm_f32x4_pmax(wasm_f32x4_pmin(d, lim), nlim);
    if (rounding == TT_ROUND_NEAREST) d = wasm_f32x4_add(d, wasm_v128_or(wasm_v128_and(d, sign), half));
    const v128_t q0 = wasm_i32x4_extend_low_i16x8(wasm_i16x8_extend_low_i8x16(wasm_v128_load32_zero(dst + j)));
    const v128_t q = wasm_i32x4_max(wasm_i32x4_min(wasm_i32x4_sub(q0, TT_TRUNC_IN_RANGE_F32X4(d)), qmax), qmin);
    const v128_t h = wasm_i16x8_narrow_i32x4(q, q);
    wasm_v128_store32_lane(dst + j, wasm_i8x16_narrow_i16x8(h, h), 0);
  }
  return j;
}
#endif

void tt_bw_update_row_s8(int32_t n, const float *g, const float *gscale, int32_t per_element, float lr,
                         int32_t rounding, int8_t *dst, tt_rng *rng) {
  int32_t j0 = 0;
#ifdef __wasm_simd128__
  if (rounding != TT_ROUND_STOCHASTIC) j0 = tt_update_row4(n, g, gscale, per_element, lr, rounding, dst);
#endif
  for (int32_t j = j0; j < n; j++) {
    float gs = per_element ? gscale[j] : gscale[0];
    float d = lr * (g[j] * gs);
    int32_t q = (int32_t)dst[j] - tt_step(d, rounding, rng); /* |step| <= 2^30: no overflow */
    if (q > 127) q = 127;
    if (q < -127) q = -127;
    dst[j] = (int8_t)q;
  }
}

void tt_update_s8(const tt_update_params *p, const float *g, const float *gscale, float lr, int8_t *dst,
                  tt_rng *rng) {
  for (int32_t r = 0; r < p->rows; r++) {
    const float *gs = p->channel_is_col ? gscale : gscale + r / p->rows_per_channel;
    tt_bw_update_row_s8(p->cols, g + (int64_t)r * p->cols, gs, p->channel_is_col, lr, p->rounding,
                        dst + (int64_t)r * p->row_stride, rng);
  }
}

void tt_update_s32(int32_t n, int32_t bound, int32_t rounding, const float *g, const float *gscale, float lr,
                   int32_t *dst, tt_rng *rng) {
  for (int32_t j = 0; j < n; j++) {
    float d = lr * (g[j] * gscale[j]);
    int64_t q = (int64_t)dst[j] - tt_step(d, rounding, rng);
    if (q > bound) q = bound;
    if (q < -(int64_t)bound) q = -(int64_t)bound;
    dst[j] = (int32_t)q;
  }
}
