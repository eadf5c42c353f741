/*
 * tt_elementwise.c - residual add, global average pool and mean, channel slicing and concatenation.
 *
 * Plain loops over independent elements: the -msimd128 build and gcc vectorize them as they are, which keeps
 * the float operation order of every element (no reassociation happens across elements).
 */
#include <string.h>

#include "tt_fwd_internal.h"

/* v = (float)(a - a_zp) * ma + (float)(b - b_zp) * mb; y = clamp(R(v) + out_zp). The +-2^30 clamp of v
 * (the requantization convention) only keeps the conversion defined: such values fail the mask either way. */
#ifdef __wasm_simd128__
/* 16 elements of tt_add_s8 from e (a multiple of 16): the same float steps lane by lane (two products, their sum,
 * the +-2^30 clamp as pmin/pmax, tt_round as v + copysign(0.5, v) truncated, half to even as f32x4.nearest: see
 * tt_simd_requant4), the clamp to [act_min, act_max] and the 16 mask bits at once. */
static inline void add_s8_simd16(const tt_quant *q, v128_t a_zp, v128_t b_zp, v128_t ma, v128_t mb, int even,
                                 const int8_t *a, const int8_t *b, int8_t *out, uint8_t *mask, int32_t e) {
  const v128_t va = wasm_v128_load(a + e), vb = wasm_v128_load(b + e);
  const v128_t a16[2] = {wasm_i16x8_extend_low_i8x16(va), wasm_i16x8_extend_high_i8x16(va)};
  const v128_t b16[2] = {wasm_i16x8_extend_low_i8x16(vb), wasm_i16x8_extend_high_i8x16(vb)};
  const v128_t out_zp = wasm_i32x4_splat(q->out_zp);
  const v128_t lo = wasm_i32x4_splat(q->act_min), hi = wasm_i32x4_splat(q->act_max);
  v128_t y[4], pass[4];
  for (int j = 0; j < 4; j++) {
    const v128_t ai = (j & 1) ? wasm_i32x4_extend_high_i16x8(a16[j >> 1]) : wasm_i32x4_extend_low_i16x8(a16[j >> 1]);
    const v128_t bi = (j & 1) ? wasm_i32x4_extend_high_i16x8(b16[j >> 1]) : wasm_i32x4_extend_low_i16x8(b16[j >> 1]);
    v128_t v = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_sub(ai, a_zp)), ma),
                              wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_sub(bi, b_zp)), mb));
    v = wasm_f32x4_pmin(v, wasm_f32x4_splat(0x1p30f));  /* 2^30 < v ? 2^30 : v */
    v = wasm_f32x4_pmax(v, wasm_f32x4_splat(-0x1p30f)); /* v < -2^30 ? -2^30 : v */
    if (even) {
      v = wasm_f32x4_nearest(v);
    } else {
      v = wasm_f32x4_add(v, wasm_v128_or(wasm_v128_and(v, wasm_i32x4_splat((int32_t)0x80000000u)), wasm_f32x4_splat(0.5f)));
    }
    const v128_t r = wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(v), out_zp);
    y[j] = wasm_i32x4_min(wasm_i32x4_max(r, lo), hi);
    pass[j] = wasm_i32x4_eq(r, y[j]);
  }
  wasm_v128_store(out + e, tt_simd_pack16(y[0], y[1], y[2], y[3]));
  if (mask) {
    const uint32_t bits = (uint32_t)wasm_i8x16_bitmask(tt_simd_pack16(pass[0], pass[1], pass[2], pass[3]));
    mask[e >> 3] = (uint8_t)bits;
    mask[(e >> 3) + 1] = (uint8_t)(bits >> 8);
  }
}
#endif

void tt_add_s8(int32_t n, const tt_quant *q, int32_t b_zp, float ma, float mb, const int8_t *a, const int8_t *b,
               int8_t *out, uint8_t *mask) {
  const int even = q->requant == TT_REQUANT_FLOAT_HALF_EVEN;
  int32_t e = 0;
#ifdef __wasm_simd128__
  {
    const v128_t azp = wasm_i32x4_splat(q->in_zp), bzp = wasm_i32x4_splat(b_zp);
    const v128_t vma = wasm_f32x4_splat(ma), vmb = wasm_f32x4_splat(mb);
    for (; e + 16 <= n; e += 16) add_s8_simd16(q, azp, bzp, vma, vmb, even, a, b, out, mask, e);
  }
#endif
  for (; e < n; e++) {
    float v = (float)(a[e] - q->in_zp) * ma + (float)(b[e] - b_zp) * mb;
    if (v > 0x1p30f) v = 0x1p30f;
    if (v < -0x1p30f) v = -0x1p30f;
    tt_fwd_store((even ? tt_round_half_even(v) : tt_round(v)) + q->out_zp, q, out + e, mask, e);
  }
}

int32_t tt_fwd_requant_fixed_at(int32_t acc, const int32_t *ms, int32_t out_zp) {
  return tt_fwd_requant_fixed(acc, ms[0], ms[1], out_zp);
}

/* XNNPACK's int8 add: both inputs times a multiplier below 2^21, summed in int32 (|acc| < 2^30), one rounding
 * shift (arithmetic, as tt_rounding_divide_by_pot's: floor(acc / 2^shift)). */
static void add_s8_xnnpack(int32_t n, const tt_quant *q, int32_t b_zp, const int32_t *mult, const int8_t *a,
                           const int8_t *b, int8_t *out, uint8_t *mask) {
  const int32_t ma = mult[0], mb = mult[1], shift = mult[2];
  const int32_t half = (int32_t)(UINT32_C(1) << (shift - 1));
  for (int32_t e = 0; e < n; e++) {
    const int32_t acc = (a[e] - q->in_zp) * ma + (b[e] - b_zp) * mb + half;
    tt_fwd_store((acc >> shift) + q->out_zp, q, out + e, mask, e);
  }
}

/* TFLite's int8 ADD: both inputs scaled up by 2^20, brought to a common scale, summed, rescaled to the output. */
void tt_add_s8_fixed(int32_t n, const tt_quant *q, int32_t b_zp, const int32_t *mult, const int8_t *a,
                     const int8_t *b, int8_t *out, uint8_t *mask) {
  if (q->requant == TT_REQUANT_TFLITE_XNNPACK) {
    add_s8_xnnpack(n, q, b_zp, mult, a, b, out, mask);
    return;
  }
  for (int32_t e = 0; e < n; e++) {
    const int32_t ya = tt_requant_fixed((a[e] - q->in_zp) * (1 << 20), mult[0], mult[1]);
    const int32_t yb = tt_requant_fixed((b[e] - b_zp) * (1 << 20), mult[2], mult[3]);
    tt_fwd_store(tt_fwd_requant_fixed(ya + yb, mult[4], mult[5], q->out_zp), q, out + e, mask, e);
  }
}

/* The rounded mean of one channel's zero-point-free sum over n pixels, in the layer's mode (tt_mean_s8). */
static int32_t mean_requant(int32_t sum, int32_t n, const tt_quant *q, const void *mult) {
  if (q->requant == TT_REQUANT_TFLITE_FIXED) {
    const int32_t *ms = (const int32_t *)mult;
    /* (t +- n/2) / n on |t| in uint32 (no overflow, and no 64-bit division for the firmware to link), then the sign */
    const int32_t t = tt_requant_fixed(sum, ms[0], ms[1]);
    const uint32_t a = t > 0 ? (uint32_t)t : 0u - (uint32_t)t;
    uint32_t r = (a + (uint32_t)(n / 2)) / (uint32_t)n;
    r = r > (1u << 30) ? (1u << 30) : r;
    return (t > 0 ? (int32_t)r : -(int32_t)r) + q->out_zp;
  }
  const float m = *(const float *)mult;
  return q->requant == TT_REQUANT_FLOAT_HALF_EVEN ? tt_fwd_requant_even(sum, m, q->out_zp)
                                                  : tt_fwd_requant(sum, m, q->out_zp);
}

void tt_mean_s8(int32_t h, int32_t w, int32_t c, const tt_quant *q, const void *mult, const int8_t *in,
                int8_t *out) {
  const int32_t pixels = h * w;
  int32_t sum[TT_FWD_CHUNK];
  for (int32_t c0 = 0; c0 < c; c0 += TT_FWD_CHUNK) {
    const int32_t n = c - c0 < TT_FWD_CHUNK ? c - c0 : TT_FWD_CHUNK;
    for (int32_t i = 0; i < n; i++) sum[i] = 0;
    for (int32_t p = 0; p < pixels; p++)
      for (int32_t i = 0; i < n; i++) sum[i] += in[p * c + c0 + i];
    for (int32_t i = 0; i < n; i++) {
      const int32_t y = mean_requant(sum[i] - pixels * q->in_zp, pixels, q, mult);
      out[c0 + i] = (int8_t)(y < q->act_min ? q->act_min : y > q->act_max ? q->act_max : y);
    }
  }
}

/* sum = sum_p in[p][c]; v = (float)(sum - h*w*in_zp) * m; y = clamp(tt_round(v) + out_zp, -128, 127). */
void tt_avgpool_s8(int32_t h, int32_t w, int32_t c, int32_t in_zp, int32_t out_zp, float m, const int8_t *in,
                   int8_t *out) {
  const int32_t pixels = h * w;
  int32_t sum[TT_FWD_CHUNK];
  for (int32_t c0 = 0; c0 < c; c0 += TT_FWD_CHUNK) {
    const int32_t n = c - c0 < TT_FWD_CHUNK ? c - c0 : TT_FWD_CHUNK;
    for (int32_t i = 0; i < n; i++) sum[i] = 0;
    for (int32_t p = 0; p < pixels; p++)
      for (int32_t i = 0; i < n; i++) sum[i] += in[p * c + c0 + i];
    for (int32_t i = 0; i < n; i++) {
      float v = (float)(sum[i] - pixels * in_zp) * m;
      if (v > 0x1p30f) v = 0x1p30f;
      if (v < -0x1p30f) v = -0x1p30f;
      int32_t y = tt_round(v) + out_zp;
      out[c0 + i] = (int8_t)(y < -128 ? -128 : y > 127 ? 127 : y);
    }
  }
}

void tt_slice_channels_s8(int32_t pixels, int32_t c, int32_t k, const int8_t *in, int8_t *out) {
  /* memmove: slicing in place (out == in) copies each pixel down over bytes already read. */
  for (int32_t p = 0; p < pixels; p++) memmove(out + p * k, in + p * c, (size_t)k);
}

void tt_concat_channels_s8(int32_t pixels, int32_t ka, int32_t kb, const int8_t *a, const int8_t *b, int8_t *out) {
  const int32_t c = ka + kb;
  for (int32_t p = 0; p < pixels; p++) {
    memcpy(out + (int64_t)p * c, a + (int64_t)p * ka, (size_t)ka);
    memcpy(out + (int64_t)p * c + ka, b + (int64_t)p * kb, (size_t)kb);
  }
}
