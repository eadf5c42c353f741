/*
 * tt_fwd_gemm_simd.c - WebAssembly SIMD core of the pointwise, fully connected and general conv kernels.
 *
 * acc[p][o] = bias[o] + sum_i x[p][i] * w[o][i] with x already widened to int16 (x - in_zp, in [-255, 255]).
 * Register block: 2 pixels x 4 output channels, 8 i32x4 accumulators. Per 8 inputs: one int16 load per pixel,
 * one sign-extending load (v128.load8x8_s) per output row, and i32x4.dot_i16x8_s for each pixel/row pair
 * (pmaddwd on x86): the products fit int16 x int16 -> int32 exactly and int32 sums are exact in any order,
 * so the lanes may be summed in any grouping. Requantization then runs 16 outputs at a time (one 16-byte store, 16
 * mask bits at once), four for the remainder.
 */
#include "tt_fwd_internal.h"

#ifdef __wasm_simd128__
#include <string.h>

void tt_fwd_widen_simd(const int8_t *src, int32_t n, int32_t zp, int16_t *dst) {
  v128_t z = wasm_i16x8_splat((int16_t)zp);
  int32_t i = 0;
  for (; i + 8 <= n; i += 8) wasm_v128_store(dst + i, wasm_i16x8_sub(wasm_i16x8_load8x8(src + i), z));
  for (; i < n; i++) dst[i] = (int16_t)(src[i] - zp);
  for (; i & 7; i++) dst[i] = 0;
}

/* 8 int8 weights from w + off sign-extended to int16, never reading past w[total - 1]: the lanes beyond the row
 * belong to the next row (multiplied by the zero padding of x), or are zero past the end of the tensor. */
static inline v128_t load_w8(const int8_t *w, int32_t off, int32_t total) {
  if (off + 8 <= total) return wasm_i16x8_load8x8(w + off);
  int8_t tmp[8] = {0};
  memcpy(tmp, w + off, (size_t)(total - off));
  return wasm_i16x8_load8x8(tmp);
}

/* The fixed-point lanes of tt_simd_requant4: four channels' {M, S} at ms, through the scalar helper. */
v128_t tt_simd_requant4_fixed(v128_t acc, const int32_t *ms, int32_t out_zp) {
  return wasm_i32x4_make(tt_fwd_requant_fixed(wasm_i32x4_extract_lane(acc, 0), ms[0], ms[1], out_zp),
                         tt_fwd_requant_fixed(wasm_i32x4_extract_lane(acc, 1), ms[2], ms[3], out_zp),
                         tt_fwd_requant_fixed(wasm_i32x4_extract_lane(acc, 2), ms[4], ms[5], out_zp),
                         tt_fwd_requant_fixed(wasm_i32x4_extract_lane(acc, 3), ms[6], ms[7], out_zp));
}

void tt_simd_epi_init(const tt_quant *q, const void *mult, int32_t out_c, tt_simd_epi *ep) {
  const int32_t in8 = q->out_zp >= -128 && q->out_zp <= 127 && q->act_min >= -128 && q->act_max <= 127;
  int32_t ok = q->requant != TT_REQUANT_TFLITE_FIXED && in8 && q->act_min <= q->act_max;
  for (int32_t c = 0; ok && c < out_c; c++) {
    uint32_t b;
    memcpy(&b, (const float *)mult + c, 4);
    ok = (b & 0x7f800000u) != 0x7f800000u; /* finite */
  }
  ep->narrow = ok;
  ep->even = q->requant == TT_REQUANT_FLOAT_HALF_EVEN;
  ep->lo = wasm_i16x8_splat((int16_t)q->act_min);
  ep->hi = wasm_i16x8_splat((int16_t)q->act_max);
  ep->kbits = wasm_i32x4_splat(TT_SIMD_MAGIC_BITS - q->out_zp);
}

/* The requantization table entries of four channels, as a table of channels 0..3 (float m or int32 {M, S}). */
typedef union {
  float m[4];
  int32_t ms[8];
} lane_mult;

static inline void gather_mult(const void *mult, const tt_quant *q, const int32_t ch[4], lane_mult *t) {
  for (int32_t j = 0; j < 4; j++) {
    if (q->requant == TT_REQUANT_TFLITE_FIXED) {
      t->ms[2 * j] = ((const int32_t *)mult)[2 * ch[j]];
      t->ms[2 * j + 1] = ((const int32_t *)mult)[2 * ch[j] + 1];
    } else {
      t->m[j] = ((const float *)mult)[ch[j]];
    }
  }
}

/* Requantizes the 4 sums of outputs o..o+3 (n of them valid) of one pixel, stores them, queues their mask bits.
 * mult: a requantization table whose channels 0..3 are those of the four lanes. */
static inline void finish4(v128_t sum, v128_t b, const void *mult, const tt_quant *q, int8_t *out,
                           tt_fwd_mask_acc *mask, int32_t n) {
  v128_t pass;
  v128_t y = tt_simd_requant4(wasm_i32x4_add(sum, b), mult, 0, q, &pass);
  v128_t packed = tt_simd_pack16(y, y, y, y);
  if (n == 4) {
    wasm_v128_store32_lane(out, packed, 0);
  } else {
    int8_t tmp[16];
    wasm_v128_store(tmp, packed);
    memcpy(out, tmp, (size_t)n);
  }
  if (mask->mask) tt_fwd_mask_push(mask, (uint32_t)wasm_i32x4_bitmask(pass) & ((1u << n) - 1u), n);
}

/* Requantizes 16 sums (outputs o..o+15 of one pixel, four vectors; bias from output o, or NULL when the sums hold
 * it; mult the whole table), stores 16 bytes, queues 16 mask bits. */
static inline void finish16(const v128_t sum[4], const int32_t *bias, const void *mult, int32_t o, const tt_quant *q,
                            const tt_simd_epi *ep, int8_t *out, tt_fwd_mask_acc *mask) {
  v128_t acc[4];
  for (int j = 0; j < 4; j++) acc[j] = bias ? wasm_i32x4_add(sum[j], wasm_v128_load(bias + 4 * j)) : sum[j];
  tt_simd_finish16(acc, mult, o, q, ep, out, mask);
}

/* Sums of output rows r0..r3 (weight offsets) for both pixels: returns [sum o0..o3] of x0 in *s0, of x1 in *s1. */
static inline void dot2x4(const int16_t *x0, const int16_t *x1, int32_t kfull, int32_t kp, const int8_t *w, int32_t total,
                          int32_t r0, int32_t r1, int32_t r2, int32_t r3, v128_t *s0, v128_t *s1) {
  v128_t a0 = wasm_i32x4_splat(0), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
  int32_t i = 0;
  for (; i < kfull; i += 8) {
    v128_t xa = wasm_v128_load(x0 + i), xb = wasm_v128_load(x1 + i);
    v128_t w0 = wasm_i16x8_load8x8(w + r0 + i), w1 = wasm_i16x8_load8x8(w + r1 + i);
    a0 = wasm_i32x4_add(a0, wasm_i32x4_dot_i16x8(xa, w0));
    b0 = wasm_i32x4_add(b0, wasm_i32x4_dot_i16x8(xb, w0));
    a1 = wasm_i32x4_add(a1, wasm_i32x4_dot_i16x8(xa, w1));
    b1 = wasm_i32x4_add(b1, wasm_i32x4_dot_i16x8(xb, w1));
    v128_t w2 = wasm_i16x8_load8x8(w + r2 + i), w3 = wasm_i16x8_load8x8(w + r3 + i);
    a2 = wasm_i32x4_add(a2, wasm_i32x4_dot_i16x8(xa, w2));
    b2 = wasm_i32x4_add(b2, wasm_i32x4_dot_i16x8(xb, w2));
    a3 = wasm_i32x4_add(a3, wasm_i32x4_dot_i16x8(xa, w3));
    b3 = wasm_i32x4_add(b3, wasm_i32x4_dot_i16x8(xb, w3));
  }
  if (i < kp) { /* last partial chunk: x is zero past k */
    v128_t xa = wasm_v128_load(x0 + i), xb = wasm_v128_load(x1 + i);
    v128_t w0 = load_w8(w, r0 + i, total), w1 = load_w8(w, r1 + i, total);
    v128_t w2 = load_w8(w, r2 + i, total), w3 = load_w8(w, r3 + i, total);
    a0 = wasm_i32x4_add(a0, wasm_i32x4_dot_i16x8(xa, w0));
    b0 = wasm_i32x4_add(b0, wasm_i32x4_dot_i16x8(xb, w0));
    a1 = wasm_i32x4_add(a1, wasm_i32x4_dot_i16x8(xa, w1));
    b1 = wasm_i32x4_add(b1, wasm_i32x4_dot_i16x8(xb, w1));
    a2 = wasm_i32x4_add(a2, wasm_i32x4_dot_i16x8(xa, w2));
    b2 = wasm_i32x4_add(b2, wasm_i32x4_dot_i16x8(xb, w2));
    a3 = wasm_i32x4_add(a3, wasm_i32x4_dot_i16x8(xa, w3));
    b3 = wasm_i32x4_add(b3, wasm_i32x4_dot_i16x8(xb, w3));
  }
  *s0 = tt_simd_hsum4(a0, a1, a2, a3);
  *s1 = tt_simd_hsum4(b0, b1, b2, b3);
}

void tt_fwd_gemm2_simd(const int16_t *x0, const int16_t *x1, int32_t kp, const int8_t *w, int32_t k, int32_t out_c,
                       const int32_t *bias, const void *mult, const tt_quant *qp, const tt_simd_epi *epp, int8_t *out0,
                       int8_t *out1, uint8_t *mask, int32_t e0, int32_t e1) {
  const tt_quant ql = *qp, *q = &ql;
  const tt_simd_epi el = *epp, *ep = &el;
  const int32_t total = out_c * k;
  const int32_t kfull = k & ~7; /* chunks that never read past their own row */
  tt_fwd_mask_acc m0 = {mask, e0, 0, 0}, m1 = {mask, e1, 0, 0};
  int32_t o = 0;
  for (; o + 16 <= out_c; o += 16) { /* 16 outputs requantized, stored and masked together */
    v128_t s0[4], s1[4];
    for (int32_t j = 0; j < 4; j++) {
      const int32_t r = (o + 4 * j) * k;
      dot2x4(x0, x1, kfull, kp, w, total, r, r + k, r + 2 * k, r + 3 * k, &s0[j], &s1[j]);
    }
    finish16(s0, bias + o, mult, o, q, ep, out0 + o, &m0);
    if (out1) finish16(s1, bias + o, mult, o, q, ep, out1 + o, &m1);
  }
  for (; o < out_c; o += 4) {
    const int32_t n = out_c - o < 4 ? out_c - o : 4;
    /* Lanes past out_c repeat row o; they are computed and dropped. */
    const int32_t r0 = o * k, r1 = (n > 1 ? o + 1 : o) * k, r2 = (n > 2 ? o + 2 : o) * k, r3 = (n > 3 ? o + 3 : o) * k;
    v128_t s0, s1;
    dot2x4(x0, x1, kfull, kp, w, total, r0, r1, r2, r3, &s0, &s1);
    const int32_t ch[4] = {o, r1 / k, r2 / k, r3 / k};
    const v128_t bv = wasm_i32x4_make(bias[ch[0]], bias[ch[1]], bias[ch[2]], bias[ch[3]]);
    lane_mult lm;
    gather_mult(mult, q, ch, &lm);
    finish4(s0, bv, &lm, q, out0 + o, &m0, n);
    if (out1) finish4(s1, bv, &lm, q, out1 + o, &m1, n);
  }
  if (mask) {
    tt_fwd_mask_flush(&m0);
    if (out1) tt_fwd_mask_flush(&m1);
  }
}
/* Packed-weight variant (pointwise): lanes are output channels, so no horizontal sums. wp holds the weights as
 * int16, per group of 16 outputs and per input pair i, i+1: four vectors [w[o][i], w[o][i+1], w[o+1][i], ...]
 * for outputs o = g, g+4, g+8, g+12 (zeros past out_c and past k). i32x4.dot_i16x8_s of such a vector with the
 * pixel's pair (x[i], x[i+1]) splat to every lane gives x[i]*w[o+l][i] + x[i+1]*w[o+l][i+1] in lane l: exact int32
 * partial sums of four outputs at once. */
int32_t tt_fwd_pack_bytes(int32_t k, int32_t out_c) { return ((out_c + 15) & ~15) * ((k + 7) & ~7) * 2; }

/* Outputs 16g .. 16g+15 and inputs p0 .. p0+7 (all present) of the packing below, 128 weights at once: row o's 8
 * weights widened to int16 are four int32 lanes (pair j = weights p0+2j, p0+2j+1, the first in the low half), and
 * the vector of pair j for outputs 4v .. 4v+3 is column j of rows 4v .. 4v+3: a 4x4 transpose of int32 lanes. */
static void pack_block(const int8_t *w, int32_t k, int32_t kp, int32_t g, int32_t p0, int16_t *wp) {
  for (int32_t v = 0; v < 4; v++) {
    const int8_t *r = w + (int64_t)(g * 16 + 4 * v) * k + p0;
    const v128_t r0 = wasm_i16x8_extend_low_i8x16(wasm_v128_load64_zero(r));
    const v128_t r1 = wasm_i16x8_extend_low_i8x16(wasm_v128_load64_zero(r + k));
    const v128_t r2 = wasm_i16x8_extend_low_i8x16(wasm_v128_load64_zero(r + 2 * k));
    const v128_t r3 = wasm_i16x8_extend_low_i8x16(wasm_v128_load64_zero(r + 3 * k));
    const v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
    const v128_t t2 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
    int16_t *d = wp + ((int64_t)g * kp + p0) * 16 + v * 8;
    wasm_v128_store(d, wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5));
    wasm_v128_store(d + 32, wasm_i32x4_shuffle(t0, t1, 2, 3, 6, 7));
    wasm_v128_store(d + 64, wasm_i32x4_shuffle(t2, t3, 0, 1, 4, 5));
    wasm_v128_store(d + 96, wasm_i32x4_shuffle(t2, t3, 2, 3, 6, 7));
  }
}

void tt_fwd_pack_simd(const int8_t *w, int32_t k, int32_t out_c, int16_t *wp) {
  const int32_t kp = (k + 7) & ~7, groups = (out_c + 15) >> 4;
  for (int32_t g = 0; g < groups; g++)
    for (int32_t p = 0; p < kp; p += 2) {
      if ((p & 7) == 0 && p + 8 <= k && g * 16 + 16 <= out_c) { /* a whole block: 4 pairs at once */
        pack_block(w, k, kp, g, p, wp);
        p += 6;
        continue;
      }
      for (int32_t l = 0; l < 16; l++) { /* output g*16 + l goes to vector l/4, lane l%4 */
        const int32_t o = g * 16 + l;
        int16_t *d = wp + ((int64_t)g * kp + p) * 16 + (l >> 2) * 8 + (l & 3) * 2;
        d[0] = o < out_c && p < k ? w[(int64_t)o * k + p] : 0;
        d[1] = o < out_c && p + 1 < k ? w[(int64_t)o * k + p + 1] : 0;
      }
    }
}

/* Requantizes the four vectors of a group of 16 outputs of one pixel (n of them valid, bias included), in output
 * order. */
static void finish_group(const v128_t s[4], int32_t o, int32_t n, const void *mult, const tt_quant *q,
                         const tt_simd_epi *ep, int8_t *out, tt_fwd_mask_acc *mask) {
  if (n == 16) {
    finish16(s, 0, mult, o, q, ep, out + o, mask);
    return;
  }
  for (int32_t j = 0; j * 4 < n; j++) {
    const int32_t m = n - 4 * j < 4 ? n - 4 * j : 4, c0 = o + 4 * j;
    /* lanes past n repeat the group's first channel: computed and dropped */
    const int32_t ch[4] = {c0, m > 1 ? c0 + 1 : c0, m > 2 ? c0 + 2 : c0, m > 3 ? c0 + 3 : c0};
    lane_mult lm;
    gather_mult(mult, q, ch, &lm);
    finish4(s[j], wasm_i32x4_splat(0), &lm, q, out + c0, mask, m);
  }
}

void tt_fwd_gemm2_packed_simd(const int16_t *x0, const int16_t *x1, int32_t kp, const int16_t *wp, int32_t out_c,
                              const int32_t *bias, const void *mult, const tt_quant *qp, const tt_simd_epi *epp,
                              int8_t *out0, int8_t *out1, uint8_t *mask, int32_t e0, int32_t e1) {
  const tt_quant ql = *qp, *q = &ql; /* local copies: the int8 stores below cannot alias them */
  const tt_simd_epi el = *epp, *ep = &el;
  tt_fwd_mask_acc m0 = {mask, e0, 0, 0}, m1 = {mask, e1, 0, 0};
  for (int32_t o = 0; o < out_c; o += 16) {
    const int16_t *wg = wp + (int64_t)(o >> 4) * kp * 16;
    const int32_t n = out_c - o < 16 ? out_c - o : 16;
    /* The sums start at the bias (int32 sums are exact in any order); lanes past out_c start at 0. */
    _Alignas(16) int32_t bpad[16];
    const int32_t *bg = bias + o;
    if (n < 16) {
      memset(bpad, 0, sizeof bpad);
      memcpy(bpad, bg, (size_t)n * 4);
      bg = bpad;
    }
    v128_t a0 = wasm_v128_load(bg), a1 = wasm_v128_load(bg + 4), a2 = wasm_v128_load(bg + 8);
    v128_t a3 = wasm_v128_load(bg + 12), b0 = a0, b1 = a1, b2 = a2, b3 = a3;
    /* stepped pointers rather than an index: emcc builds without loop strength reduction */
    const int16_t *xa_p = x0, *xb_p = x1, *const wend = wg + (int64_t)kp * 16;
    for (; wg != wend; wg += 32, xa_p += 2, xb_p += 2) {
      const v128_t xa = wasm_v128_load32_splat(xa_p), xb = wasm_v128_load32_splat(xb_p);
      const v128_t w0 = wasm_v128_load(wg), w1 = wasm_v128_load(wg + 8);
      a0 = wasm_i32x4_add(a0, wasm_i32x4_dot_i16x8(xa, w0));
      b0 = wasm_i32x4_add(b0, wasm_i32x4_dot_i16x8(xb, w0));
      a1 = wasm_i32x4_add(a1, wasm_i32x4_dot_i16x8(xa, w1));
      b1 = wasm_i32x4_add(b1, wasm_i32x4_dot_i16x8(xb, w1));
      const v128_t w2 = wasm_v128_load(wg + 16), w3 = wasm_v128_load(wg + 24);
      a2 = wasm_i32x4_add(a2, wasm_i32x4_dot_i16x8(xa, w2));
      b2 = wasm_i32x4_add(b2, wasm_i32x4_dot_i16x8(xb, w2));
      a3 = wasm_i32x4_add(a3, wasm_i32x4_dot_i16x8(xa, w3));
      b3 = wasm_i32x4_add(b3, wasm_i32x4_dot_i16x8(xb, w3));
    }
    const v128_t sa[4] = {a0, a1, a2, a3}, sb[4] = {b0, b1, b2, b3};
    if (n == 16 && ep->narrow) { /* the common case inline: no call, the sums stay in registers */
      uint32_t bits;
      wasm_v128_store(out0 + o, tt_simd_narrow16(sa, (const float *)mult + o, ep, &bits));
      if (mask) tt_fwd_mask_push16(&m0, bits);
      if (out1) {
        wasm_v128_store(out1 + o, tt_simd_narrow16(sb, (const float *)mult + o, ep, &bits));
        if (mask) tt_fwd_mask_push16(&m1, bits);
      }
    } else {
      finish_group(sa, o, n, mult, q, ep, out0, &m0);
      if (out1) finish_group(sb, o, n, mult, q, ep, out1, &m1);
    }
  }
  if (mask) {
    tt_fwd_mask_flush(&m0);
    if (out1) tt_fwd_mask_flush(&m1);
  }
}
#endif
