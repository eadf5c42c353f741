/*
 * tt_fwd_internal.h - helpers shared by the forward kernels (not part of the public API).
 *
 * The scalar requantization and mask helpers are the single definition of "one output element" for the
 * portable paths; the SIMD helpers (WebAssembly only) compute the same bits four lanes at a time.
 */
#ifndef TT_FWD_INTERNAL_H
#define TT_FWD_INTERNAL_H

#include "tt_kernels.h"

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

/* Channel chunk for portable kernels that keep an int32 accumulator row on the stack (256 bytes). */
#define TT_FWD_CHUNK 64

/* Largest reduction length (in_c, or k*k*in_c for a general conv) the SIMD paths stage on the stack as int16;
 * longer layers take the portable path. 2 pixels x 4096 x 2 bytes = 16 KB of stack. */
#define TT_SIMD_MAX_K 4096

/* The blocked forward loops below (four outputs per pass, 16 requantized at once, gathered conv field) exist for
 * auto-vectorizing builds (native gcc, WebAssembly scalar). Cortex-M builds (no vector unit; ARM DSP does the
 * pointwise dot product) keep the plain per-output loops: the blocked ones add ~2 KB of code there, beyond the
 * code-size bound the firmware fit estimate is calibrated with (src/compiler/codegen/fit.ts). Same bits either way. */
#if defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'M'
#define TT_FWD_BLOCKED 0
#else
#define TT_FWD_BLOCKED 1
#endif

/* Longest receptive field (k*k*in_c) the portable general conv gathers as int16 on the stack (2 KB); longer
 * layers take its plain per-tap loop. */
#define TT_FWD_GATHER_MAX 1024

/* Four dot products sharing one input row: acc[j] = sum_i (x[i] - zp) * w[j*n + i], j < 4. x - zp lies in
 * [-255, 255] and so fits int16; written this way gcc vectorizes the four int32 reductions (pmaddwd on x86).
 * Every product and partial sum is an exact int32, so the order does not matter. */
static inline void tt_fwd_dot4_s8(const int8_t *x, const int8_t *w, int32_t n, int32_t zp, int32_t acc[4]) {
  const int8_t *w0 = w, *w1 = w + n, *w2 = w1 + n, *w3 = w2 + n;
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  for (int32_t i = 0; i < n; i++) {
    const int16_t xi = (int16_t)(x[i] - zp);
    a0 += xi * w0[i];
    a1 += xi * w1[i];
    a2 += xi * w2[i];
    a3 += xi * w3[i];
  }
  acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}

/* The same against an input already widened to int16 (x - zp). */
static inline void tt_fwd_dot4_s16(const int16_t *x, const int8_t *w, int32_t n, int32_t acc[4]) {
  const int8_t *w0 = w, *w1 = w + n, *w2 = w1 + n, *w3 = w2 + n;
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  for (int32_t i = 0; i < n; i++) {
    a0 += x[i] * w0[i];
    a1 += x[i] * w1[i];
    a2 += x[i] * w2[i];
    a3 += x[i] * w3[i];
  }
  acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}

/* The requantization modes of tt_kernels.h, one helper each; every one returns y = r + out_zp unclamped. */

/* TT_REQUANT_FLOAT_HALF_AWAY: v = (float)acc * m clamped to [-2^30, 2^30]; r = tt_round(v). */
static inline int32_t tt_fwd_requant(int32_t acc, float m, int32_t out_zp) {
  float v = (float)acc * m;
  if (v > 0x1p30f) v = 0x1p30f;
  if (v < -0x1p30f) v = -0x1p30f;
  return tt_round(v) + out_zp;
}

/* TT_REQUANT_FLOAT_HALF_EVEN: the same v; r = tt_round_half_even(v). */
static inline int32_t tt_fwd_requant_even(int32_t acc, float m, int32_t out_zp) {
  float v = (float)acc * m;
  if (v > 0x1p30f) v = 0x1p30f;
  if (v < -0x1p30f) v = -0x1p30f;
  return tt_round_half_even(v) + out_zp;
}

/* TT_REQUANT_TFLITE_FIXED: r = tt_requant_fixed(acc, m, shift) clamped to [-2^30, 2^30] (integer only). */
static inline int32_t tt_fwd_requant_fixed(int32_t acc, int32_t m, int32_t shift, int32_t out_zp) {
  int32_t r = tt_requant_fixed(acc, m, shift);
  r = r > (1 << 30) ? (1 << 30) : r < -(1 << 30) ? -(1 << 30) : r;
  return r + out_zp;
}

/* tt_fwd_requant_fixed(acc, ms[0], ms[1], out_zp), out of line (tt_elementwise.c): the 64-bit arithmetic inlined at
 * every epilogue would cost the firmware kilobytes of code. */
int32_t tt_fwd_requant_fixed_at(int32_t acc, const int32_t *ms, int32_t out_zp);

/* Channel c of a forward kernel's `mult` table in the layer's mode (float[c], or int32 {M, S} at [2c, 2c+1]). */
static inline int32_t tt_fwd_requant_ch(int32_t acc, const void *mult, int32_t c, const tt_quant *q) {
  if (q->requant == TT_REQUANT_TFLITE_FIXED)
    return tt_fwd_requant_fixed_at(acc, (const int32_t *)mult + 2 * c, q->out_zp);
  const float m = ((const float *)mult)[c];
  return q->requant == TT_REQUANT_FLOAT_HALF_EVEN ? tt_fwd_requant_even(acc, m, q->out_zp)
                                                  : tt_fwd_requant(acc, m, q->out_zp);
}

/* Clamps y to [act_min, act_max], stores it, and records in the mask (if any) whether the clamp let it through. */
static inline void tt_fwd_store(int32_t y, const tt_quant *q, int8_t *out, uint8_t *mask, int32_t e) {
  int32_t pass = y >= q->act_min && y <= q->act_max;
  *out = (int8_t)(y < q->act_min ? q->act_min : y > q->act_max ? q->act_max : y);
  if (mask) {
    uint8_t bit = (uint8_t)(1u << (e & 7));
    mask[e >> 3] = (uint8_t)(pass ? mask[e >> 3] | bit : mask[e >> 3] & ~bit);
  }
}

/* Writes the n (1..32) low bits of `bits` as mask bits e .. e+n-1, leaving every other bit as it was. */
static inline void tt_fwd_mask_bits(uint8_t *mask, int32_t e, uint32_t bits, int32_t n) {
  const uint32_t sh = (uint32_t)e & 7u;
  const uint64_t keep = (((uint64_t)1 << n) - 1u) << sh;
  const uint64_t val = ((uint64_t)bits << sh) & keep;
  uint8_t *p = mask + (e >> 3);
  if (sh == 0 && (n & 7) == 0) { /* whole bytes */
    for (int32_t b = 0; b < n >> 3; b++) p[b] = (uint8_t)(bits >> (8 * b));
    return;
  }
  for (int32_t b = 0; keep >> (8 * b); b++) {
    const uint8_t k = (uint8_t)(keep >> (8 * b));
    p[b] = (uint8_t)((p[b] & ~k) | ((uint8_t)(val >> (8 * b)) & k));
  }
}

/* tt_fwd_store(tt_fwd_requant_ch(acc[j], mult, c + j, q)) for j < 16 (elements e .. e+15). In the default mode
 * the same float steps (multiply, clamp to [-2^30, 2^30], add +-0.5 by the sign test of tt_round, truncate), split
 * into loops without branches so gcc vectorizes them, and the 16 mask bits written at once. */
static inline void tt_fwd_store16(const int32_t *acc, const void *mult, int32_t c, const tt_quant *q, int8_t *out,
                                  uint8_t *mask, int32_t e) {
  float v[16];
  int32_t yv[16];
  if (q->requant != TT_REQUANT_FLOAT_HALF_AWAY) {
    for (int32_t j = 0; j < 16; j++) tt_fwd_store(tt_fwd_requant_ch(acc[j], mult, c + j, q), q, out + j, mask, e + j);
    return;
  }
  const float *m = (const float *)mult + c;
  for (int32_t j = 0; j < 16; j++) {
    float t = (float)acc[j] * m[j];
    t = t > 0x1p30f ? 0x1p30f : t;
    v[j] = t < -0x1p30f ? -0x1p30f : t;
  }
  for (int32_t j = 0; j < 16; j++) yv[j] = (int32_t)(v[j] + (v[j] >= 0.0f ? 0.5f : -0.5f)) + q->out_zp;
  const int32_t lo = q->act_min, hi = q->act_max;
  for (int32_t j = 0; j < 16; j++) out[j] = (int8_t)(yv[j] < lo ? lo : yv[j] > hi ? hi : yv[j]);
  if (mask) {
    uint32_t bits = 0;
    for (int32_t j = 0; j < 16; j++) bits |= (uint32_t)(yv[j] >= lo && yv[j] <= hi) << j;
    tt_fwd_mask_bits(mask, e, bits, 16);
  }
}

/* Mask bits gathered a few at a time and written 32 at once (the SIMD paths produce 4 or 16 per step). */
typedef struct {
  uint8_t *mask; /* NULL: inference, nothing recorded */
  int32_t e;     /* element of the first pending bit */
  uint32_t bits; /* pending bits, element e at bit 0 */
  int32_t n;     /* pending count */
} tt_fwd_mask_acc;

static inline void tt_fwd_mask_flush(tt_fwd_mask_acc *m) {
  if (m->n) tt_fwd_mask_bits(m->mask, m->e, m->bits, m->n);
  m->e += m->n;
  m->bits = 0;
  m->n = 0;
}

/* Appends n (<= 16) bits for the next elements. */
static inline void tt_fwd_mask_push(tt_fwd_mask_acc *m, uint32_t bits, int32_t n) {
  if (m->n + n > 32) tt_fwd_mask_flush(m);
  m->bits |= bits << m->n;
  m->n += n;
}

#ifdef __wasm_simd128__
/* Requantizes four int32 accumulators, channels c .. c+3 of the `mult` table: the same bits as tt_fwd_requant_ch
 * followed by the clamp. Default mode: tt_round's "v >= 0 ? v + 0.5 : v - 0.5" becomes v + copysign(0.5, v),
 * identical for every v except -0.0, where both round to 0. Half to even: f32x4.nearest is roundeven. Fixed:
 * lane by lane through the scalar helper (integer only, 64-bit products). Returns the clamped values; *pass gets
 * the all-ones lanes of the mask. */
v128_t tt_simd_requant4_fixed(v128_t acc, const int32_t *ms, int32_t out_zp);

__attribute__((always_inline)) static inline v128_t tt_simd_requant4(v128_t acc, const void *mult, int32_t c,
                                                                     const tt_quant *q, v128_t *pass) {
  const v128_t out_zp = wasm_i32x4_splat(q->out_zp);
  const v128_t lo = wasm_i32x4_splat(q->act_min), hi = wasm_i32x4_splat(q->act_max);
  v128_t y;
  if (q->requant == TT_REQUANT_TFLITE_FIXED) { /* out of line: keeps this helper small enough to inline */
    y = tt_simd_requant4_fixed(acc, (const int32_t *)mult + 2 * c, q->out_zp);
  } else {
    v128_t v = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc), wasm_v128_load((const float *)mult + c));
    v = wasm_f32x4_pmax(v, wasm_f32x4_splat(-0x1p30f)); /* v < -2^30 ? -2^30 : v */
    v = wasm_f32x4_pmin(v, wasm_f32x4_splat(0x1p30f));  /* 2^30 < v ? 2^30 : v */
    if (q->requant == TT_REQUANT_FLOAT_HALF_EVEN) {
      v = wasm_f32x4_nearest(v);
    } else {
      v128_t half = wasm_v128_or(wasm_v128_and(v, wasm_i32x4_splat((int32_t)0x80000000u)), wasm_f32x4_splat(0.5f));
      v = wasm_f32x4_add(v, half);
    }
    y = wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(v), out_zp);
  }
  v128_t clamped = wasm_i32x4_min(wasm_i32x4_max(y, lo), hi);
  *pass = wasm_i32x4_eq(y, clamped); /* act_min <= y <= act_max */
  return clamped;
}

/* The float requantization of a whole call without i32x4.trunc_sat_f32x4_s (seven x86 instructions in V8 without
 * relaxed SIMD), chosen once a call by tt_simd_epi_init when its preconditions hold: a float mode, every multiplier
 * finite (so v is never NaN), and out_zp, act_min <= act_max all in [-128, 127]. The rounded integer t is exact in
 * the float t + 0x1.8p23 while |t| < 2^22, whose bits are then 0x4B400000 + t, so y = t + out_zp =
 * bits - (0x4B400000 - out_zp); for half to even that sum is itself the rounding (the float spacing there is 1,
 * ties to even). Beyond, the reference's y lies beyond the int8 range (|v| > 2^12 is enough), so only the side
 * matters: v is clamped below at -2^12 (a sum at or below 0 would have a sign bit), and above the bits of the
 * positive sum grow with it, up to +inf, so y stays above 2^22 there. y then narrows to int16 with saturation
 * (exact when |y| < 2^15, on the right side otherwise), and the clamp and the mask test run on 8 lanes at a
 * time: the same output and the same mask bit as the reference. */
#define TT_SIMD_NARROW_C 0x1p12f
#define TT_SIMD_MAGIC 0x1.8p23f
#define TT_SIMD_MAGIC_BITS 0x4B400000

typedef struct {
  int32_t narrow; /* the preconditions above hold for this call */
  int32_t even;   /* TT_REQUANT_FLOAT_HALF_EVEN (else half away from zero) */
  v128_t lo, hi;  /* act_min, act_max in int16 lanes */
  v128_t kbits;   /* TT_SIMD_MAGIC_BITS - out_zp in int32 lanes */
} tt_simd_epi;

/* Fills *ep for a call with requantization q and table mult of out_c channels (tt_fwd_gemm_simd.c). */
void tt_simd_epi_init(const tt_quant *q, const void *mult, int32_t out_c, tt_simd_epi *ep);

/* y = r + out_zp (int32 lanes, before the clamp; exact when |y| < 2^15, else of the same sign and at least 2^15 in
 * magnitude) of four accumulators, channels m[0..3], on the narrow path. */
__attribute__((always_inline)) static inline v128_t tt_simd_narrow4(v128_t acc, const float *m, const tt_simd_epi *ep) {
  v128_t v = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc), wasm_v128_load(m));
  v = wasm_f32x4_pmax(v, wasm_f32x4_splat(-TT_SIMD_NARROW_C)); /* v < -2^12 ? -2^12 : v */
  if (!ep->even) { /* tt_round: v + copysign(0.5, v) (the same for every v but -0.0, where both give 0), truncated */
    const v128_t half = wasm_v128_or(wasm_v128_and(v, wasm_i32x4_splat((int32_t)0x80000000u)), wasm_f32x4_splat(0.5f));
    v = wasm_f32x4_trunc(wasm_f32x4_add(v, half));
  }
  return wasm_i32x4_sub(wasm_f32x4_add(v, wasm_f32x4_splat(TT_SIMD_MAGIC)), ep->kbits);
}

/* 16 outputs (channels m[0..15], accumulators with bias) on the narrow path: returns the clamped int8 lanes and
 * sets *bits to their 16 mask bits (act_min <= y <= act_max). */
__attribute__((always_inline)) static inline v128_t tt_simd_narrow16(const v128_t acc[4], const float *m,
                                                                     const tt_simd_epi *ep, uint32_t *bits) {
  const v128_t ya = wasm_i16x8_narrow_i32x4(tt_simd_narrow4(acc[0], m, ep), tt_simd_narrow4(acc[1], m + 4, ep));
  const v128_t yb = wasm_i16x8_narrow_i32x4(tt_simd_narrow4(acc[2], m + 8, ep), tt_simd_narrow4(acc[3], m + 12, ep));
  const v128_t ca = wasm_i16x8_min(wasm_i16x8_max(ya, ep->lo), ep->hi);
  const v128_t cb = wasm_i16x8_min(wasm_i16x8_max(yb, ep->lo), ep->hi);
  *bits = (uint32_t)wasm_i8x16_bitmask(wasm_i8x16_narrow_i16x8(wasm_i16x8_eq(ya, ca), wasm_i16x8_eq(yb, cb)));
  return wasm_i8x16_narrow_i16x8(ca, cb);
}

/* Queues 16 mask bits; whole bytes go straight to the mask when nothing is pending. */
static inline void tt_fwd_mask_push16(tt_fwd_mask_acc *m, uint32_t bits) {
  if (m->n == 0 && (m->e & 7) == 0) {
    m->mask[m->e >> 3] = (uint8_t)bits;
    m->mask[(m->e >> 3) + 1] = (uint8_t)(bits >> 8);
    m->e += 16;
  } else {
    tt_fwd_mask_push(m, bits, 16);
  }
}

/* Packs 16 int32 lanes (already in int8 range) into one int8x16 vector, a0 lanes first. */
static inline v128_t tt_simd_pack16(v128_t a0, v128_t a1, v128_t a2, v128_t a3) {
  return wasm_i8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(a0, a1), wasm_i16x8_narrow_i32x4(a2, a3));
}

/* Horizontal sums of four i32x4 vectors: returns [sum a, sum b, sum c, sum d]. */
static inline v128_t tt_simd_hsum4(v128_t a, v128_t b, v128_t c, v128_t d) {
  v128_t ab = wasm_i32x4_add(wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), wasm_i32x4_shuffle(a, b, 2, 6, 3, 7));
  v128_t cd = wasm_i32x4_add(wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), wasm_i32x4_shuffle(c, d, 2, 6, 3, 7));
  return wasm_i32x4_add(wasm_i32x4_shuffle(ab, cd, 0, 1, 4, 5), wasm_i32x4_shuffle(ab, cd, 2, 3, 6, 7));
}

/* Requantizes, stores and masks outputs [o, o + 16) of one pixel from 4 accumulator vectors (bias included):
 * the narrow path when the call allows it (ep), else tt_simd_requant4. */
__attribute__((always_inline)) static inline void tt_simd_finish16(const v128_t acc[4], const void *mult, int32_t o,
                                                                   const tt_quant *q, const tt_simd_epi *ep,
                                                                   int8_t *out, tt_fwd_mask_acc *m) {
  uint32_t bits;
  if (ep->narrow) {
    wasm_v128_store(out, tt_simd_narrow16(acc, (const float *)mult + o, ep, &bits));
  } else {
    v128_t y[4], pass[4];
    for (int j = 0; j < 4; j++) y[j] = tt_simd_requant4(acc[j], mult, o + 4 * j, q, &pass[j]);
    wasm_v128_store(out, tt_simd_pack16(y[0], y[1], y[2], y[3]));
    bits = (uint32_t)wasm_i8x16_bitmask(tt_simd_pack16(pass[0], pass[1], pass[2], pass[3]));
  }
  if (m->mask) tt_fwd_mask_push16(m, bits);
}

/* Shared SIMD core of pointwise, fc and general conv (tt_fwd_gemm_simd.c): two pixels x all outputs.
 * x0, x1: kp int16 values (x - in_zp), kp a multiple of 8, zero beyond k. w: out_c rows of k int8. mult: the
 * kernel's requantization table (tt_kernels.h), ep its tt_simd_epi_init.
 * Writes out0[o] (and out1[o] when out1 != NULL) with mask elements e0 + o (e1 + o). */
void tt_fwd_gemm2_simd(const int16_t *x0, const int16_t *x1, int32_t kp, const int8_t *w, int32_t k, int32_t out_c,
                       const int32_t *bias, const void *mult, const tt_quant *q, const tt_simd_epi *ep, int8_t *out0,
                       int8_t *out1, uint8_t *mask, int32_t e0, int32_t e1);

/* The pointwise core with weights packed by tt_fwd_pack_simd (output channels in lanes, tt_fwd_gemm_simd.c): the
 * same outputs as tt_fwd_gemm2_simd. tt_fwd_pack_bytes gives the size of the packing of out_c rows of k. */
int32_t tt_fwd_pack_bytes(int32_t k, int32_t out_c);
void tt_fwd_pack_simd(const int8_t *w, int32_t k, int32_t out_c, int16_t *wp);
void tt_fwd_gemm2_packed_simd(const int16_t *x0, const int16_t *x1, int32_t kp, const int16_t *wp, int32_t out_c,
                              const int32_t *bias, const void *mult, const tt_quant *q, const tt_simd_epi *ep,
                              int8_t *out0, int8_t *out1, uint8_t *mask, int32_t e0, int32_t e1);

/* dst[i] = src[i] - zp for i < n, then zeros up to a multiple of 8 (the staging of tt_fwd_gemm2_simd). */
void tt_fwd_widen_simd(const int8_t *src, int32_t n, int32_t zp, int16_t *dst);
#endif

#endif /* TT_FWD_INTERNAL_H */
