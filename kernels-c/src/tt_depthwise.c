/*
 * tt_depthwise.c - depthwise k x k conv (k in {3, 5, 7}), stride 1 or 2 (int8 forward).
 *
 * acc[y][x][c] = bias[c] + sum over ky, kx of (in[y*s-pad+ky][x*s-pad+kx][c] - in_zp) * w[ky][kx][c].
 * Portable path: per output pixel, an int32 accumulator row over a chunk of channels (vectorizable by gcc).
 *
 * WebAssembly SIMD path, vectorized across channels. Because every product is integer and int32 sums are
 * exact in any order, it uses
 *   acc = (bias[c] - in_zp * sum_t w[t][c]) + sum_t x_t[c] * w[t][c],
 * where a padding tap reads a row filled with in_zp (so its two terms cancel). The taps are taken in pairs
 * (t, t+1): interleaving the two taps' int16 inputs channel by channel lets one i32x4.dot_i16x8_s add both
 * taps for four channels (|x*w| <= 2^14, so the pair sum is exact), against weights repacked once per call
 * into the same interleaved int16 layout. An odd tap count gets a zero-weight dummy tap.
 */
#include "tt_fwd_internal.h"

/* Taps [*lo, *hi) of one axis that read inside [0, in_len) for the output coordinate whose first tap is at start. */
static inline void tap_range(int32_t start, int32_t in_len, int32_t k, int32_t *lo, int32_t *hi) {
  *lo = start < 0 ? -start : 0;
  *hi = in_len - start < k ? in_len - start : k;
  if (*hi < *lo) *hi = *lo;
}

/* Output pixel (y, x): the portable definition. */
static void pixel_portable(const tt_conv_shape *s, const tt_quant *q, const int8_t *in, const int8_t *w,
                           const int32_t *bias, const void *mult, int8_t *out, uint8_t *mask, int32_t y, int32_t x) {
  const int32_t k = s->kernel, ch = s->in_c, iy0 = y * s->stride - s->pad, ix0 = x * s->stride - s->pad;
  const int32_t zp = q->in_zp;
  int32_t ky0, ky1, kx0, kx1, acc[TT_FWD_CHUNK];
  tap_range(iy0, s->in_h, k, &ky0, &ky1);
  tap_range(ix0, s->in_w, k, &kx0, &kx1);
  const int32_t e = (y * s->out_w + x) * ch;
  for (int32_t c0 = 0; c0 < ch; c0 += TT_FWD_CHUNK) {
    const int32_t n = ch - c0 < TT_FWD_CHUNK ? ch - c0 : TT_FWD_CHUNK;
    for (int32_t c = 0; c < n; c++) acc[c] = bias[c0 + c];
    for (int32_t ky = ky0; ky < ky1; ky++) {
      const int8_t *row = in + ((iy0 + ky) % s->in_ring) * s->in_w * ch + c0;
      for (int32_t kx = kx0; kx < kx1; kx++) {
        const int8_t *px = row + (ix0 + kx) * ch;
        const int8_t *wt = w + (ky * k + kx) * ch + c0;
#if TT_FWD_BLOCKED
        /* |(x - zp) * w| <= 255 * 128 < 2^15: the product is exact in int16 (gcc: pmullw, then widen and add) */
        for (int32_t c = 0; c < n; c++) acc[c] += (int16_t)((int16_t)(px[c] - zp) * wt[c]);
#else
        for (int32_t c = 0; c < n; c++) acc[c] += (px[c] - zp) * wt[c];
#endif
      }
    }
    int32_t c = 0;
#if TT_FWD_BLOCKED
    for (; c + 16 <= n; c += 16) tt_fwd_store16(acc + c, mult, c0 + c, q, out + c0 + c, mask, e + c0 + c);
#endif
    for (; c < n; c++)
      tt_fwd_store(tt_fwd_requant_ch(acc[c], mult, c0 + c, q), q, out + c0 + c, mask, e + c0 + c);
  }
}

#ifdef __wasm_simd128__
#define DW_GROUP 128 /* channels per SIMD pass (multiple of 16) */
#define DW_MAX_K 7
#define DW_MAX_TAPS 50 /* 7 x 7 taps rounded up to a pair */

/* Everything the SIMD path stages for one group of channels [c0, c0 + g). */
typedef struct {
  _Alignas(16) int16_t wp[DW_MAX_TAPS / 2][DW_GROUP][2]; /* [pair][channel][tap of the pair] */
  int32_t base[DW_GROUP];                                /* bias - in_zp * sum of the channel's weights */
  int8_t zrow[DW_GROUP];                                 /* in_zp: what a padding tap reads */
  const int8_t *taps[DW_MAX_TAPS];                       /* per output pixel: where each tap reads */
} dw_stage;

#define DW_LO(a, b) wasm_i16x8_shuffle(a, b, 0, 8, 1, 9, 2, 10, 3, 11) /* channels 0-3 of taps a, b interleaved */
#define DW_HI(a, b) wasm_i16x8_shuffle(a, b, 4, 12, 5, 13, 6, 14, 7, 15)

/* Stages the group's weights (a call stages them once per group, so a one-row band call pays this every time):
 * 8 channels at a time, each tap pair's two rows widened and interleaved as dot16 reads them, and each channel's
 * weight sum (exact int32) kept in two i32x4; the channels past the last multiple of 8, one by one as below. */
static void stage_group(const tt_conv_shape *s, const tt_quant *q, const int8_t *w, const int32_t *bias, int32_t c0,
                        int32_t g, dw_stage *st) {
  const int32_t taps = s->kernel * s->kernel, ch = s->in_c;
  int32_t c8 = 0;
  for (; c8 + 8 <= g; c8 += 8) {
    v128_t s0 = wasm_i32x4_splat(0), s1 = s0;
    for (int32_t t = 0; t < taps; t += 2) {
      const v128_t a = wasm_i16x8_load8x8(w + t * ch + c0 + c8);
      const v128_t b = t + 1 < taps ? wasm_i16x8_load8x8(w + (t + 1) * ch + c0 + c8) : wasm_i16x8_splat(0);
      s0 = wasm_i32x4_add(s0, wasm_i32x4_extend_low_i16x8(a));
      s1 = wasm_i32x4_add(s1, wasm_i32x4_extend_high_i16x8(a));
      s0 = wasm_i32x4_add(s0, wasm_i32x4_extend_low_i16x8(b));
      s1 = wasm_i32x4_add(s1, wasm_i32x4_extend_high_i16x8(b));
      wasm_v128_store(&st->wp[t >> 1][c8][0], DW_LO(a, b));
      wasm_v128_store(&st->wp[t >> 1][c8 + 4][0], DW_HI(a, b));
    }
    const v128_t zp = wasm_i32x4_splat(q->in_zp);
    wasm_v128_store(st->base + c8, wasm_i32x4_sub(wasm_v128_load(bias + c0 + c8), wasm_i32x4_mul(zp, s0)));
    wasm_v128_store(st->base + c8 + 4, wasm_i32x4_sub(wasm_v128_load(bias + c0 + c8 + 4), wasm_i32x4_mul(zp, s1)));
    wasm_v128_store64_lane(st->zrow + c8, wasm_i8x16_splat((int8_t)q->in_zp), 0);
  }
  for (int32_t c = c8; c < g; c++) {
    int32_t sum = 0;
    for (int32_t t = 0; t < taps; t++) sum += w[t * ch + c0 + c];
    st->base[c] = bias[c0 + c] - q->in_zp * sum;
    st->zrow[c] = (int8_t)q->in_zp;
  }
  for (int32_t t = 0; t < taps + (taps & 1); t++)
    for (int32_t c = c8; c < g; c++) st->wp[t >> 1][c][t & 1] = (int16_t)(t < taps ? w[t * ch + c0 + c] : 0);
}
#define DW_ACC(acc, x, w) acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(x, wasm_v128_load(w)))

/* Sums over the tap pairs for channels c .. c+15 of the group, four channels per i32x4. */
static inline void dot16(const dw_stage *st, int32_t pairs, int32_t c, v128_t a[4]) {
  v128_t a0 = wasm_i32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
  /* stepped pointers rather than an index: emcc builds without loop strength reduction */
  const int8_t *const *tp = st->taps, *const *tend = st->taps + 2 * pairs;
  for (const int16_t *wj = &st->wp[0][c][0]; tp != tend; tp += 2, wj += DW_GROUP * 2) {
    const int8_t *p0 = tp[0] + c, *p1 = tp[1] + c;
    v128_t x0 = wasm_i16x8_load8x8(p0), x1 = wasm_i16x8_load8x8(p1);
    v128_t x2 = wasm_i16x8_load8x8(p0 + 8), x3 = wasm_i16x8_load8x8(p1 + 8);
    DW_ACC(a0, DW_LO(x0, x1), wj);
    DW_ACC(a1, DW_HI(x0, x1), wj + 8);
    DW_ACC(a2, DW_LO(x2, x3), wj + 16);
    DW_ACC(a3, DW_HI(x2, x3), wj + 24);
  }
  a[0] = a0, a[1] = a1, a[2] = a2, a[3] = a3;
}

/* The same for channels c .. c+7. */
static inline void dot8(const dw_stage *st, int32_t pairs, int32_t c, v128_t a[2]) {
  v128_t a0 = wasm_i32x4_splat(0), a1 = a0;
  const int8_t *const *tp = st->taps, *const *tend = st->taps + 2 * pairs;
  for (const int16_t *wj = &st->wp[0][c][0]; tp != tend; tp += 2, wj += DW_GROUP * 2) {
    v128_t x0 = wasm_i16x8_load8x8(tp[0] + c), x1 = wasm_i16x8_load8x8(tp[1] + c);
    DW_ACC(a0, DW_LO(x0, x1), wj);
    DW_ACC(a1, DW_HI(x0, x1), wj + 8);
  }
  a[0] = a0, a[1] = a1;
}

/* One output pixel, channels [c0, c0 + g): 16 channels a pass, then 8, then scalar. */
static void pixel_simd(const dw_stage *st, int32_t pairs, int32_t taps, int32_t g, const int8_t *w, int32_t ch,
                       int32_t c0, const void *mult, const tt_quant *qp, const tt_simd_epi *epp, int8_t *out,
                       tt_fwd_mask_acc *mask) {
  const tt_quant ql = *qp, *q = &ql; /* local copies: the int8 stores below cannot alias them */
  const tt_simd_epi el = *epp, *ep = &el;
  int32_t c = 0;
  for (; c + 16 <= g; c += 16) {
    v128_t a[4];
    dot16(st, pairs, c, a);
    for (int32_t v = 0; v < 4; v++) a[v] = wasm_i32x4_add(a[v], wasm_v128_load(st->base + c + 4 * v));
    tt_simd_finish16(a, mult, c0 + c, q, ep, out + c, mask);
  }
  if (c + 8 <= g) { /* 8 channels left */
    v128_t a[2], y[2], pass[2];
    dot8(st, pairs, c, a);
    for (int32_t v = 0; v < 2; v++)
      y[v] = tt_simd_requant4(wasm_i32x4_add(a[v], wasm_v128_load(st->base + c + 4 * v)), mult, c0 + c + 4 * v, q,
                              &pass[v]);
    wasm_v128_store64_lane(out + c, tt_simd_pack16(y[0], y[1], y[0], y[1]), 0);
    if (mask->mask)
      tt_fwd_mask_push(mask, (uint32_t)wasm_i8x16_bitmask(tt_simd_pack16(pass[0], pass[1], pass[0], pass[1])) & 0xffu,
                       8);
    c += 8;
  }
  for (; c < g; c++) {
    int32_t acc = st->base[c];
    for (int32_t t = 0; t < taps; t++) acc += st->taps[t][c] * w[t * ch + c0 + c];
    const int32_t yv = tt_fwd_requant_ch(acc, mult, c0 + c, q);
    out[c] = (int8_t)(yv < q->act_min ? q->act_min : yv > q->act_max ? q->act_max : yv);
    if (mask->mask) tt_fwd_mask_push(mask, yv >= q->act_min && yv <= q->act_max, 1);
  }
}

/* Where each tap of output pixel x reads, given where each kernel row reads (NULL: a padding row). */
static inline void place_taps(const tt_conv_shape *s, const int8_t *const *rows, int32_t x, dw_stage *st) {
  const int32_t k = s->kernel, ch = s->in_c, ix0 = x * s->stride - s->pad;
  const int interior = ix0 >= 0 && ix0 + k <= s->in_w;
  for (int32_t ky = 0; ky < k; ky++) {
    const int8_t **t = st->taps + ky * k;
    if (!rows[ky]) {
      for (int32_t kx = 0; kx < k; kx++) t[kx] = st->zrow;
    } else if (interior) {
      for (int32_t kx = 0; kx < k; kx++) t[kx] = rows[ky] + (ix0 + kx) * ch;
    } else {
      for (int32_t kx = 0; kx < k; kx++) {
        const int32_t ix = ix0 + kx;
        t[kx] = ix >= 0 && ix < s->in_w ? rows[ky] + ix * ch : st->zrow;
      }
    }
  }
}

/* Output rows [r0, r1), columns [x0, x1), one channel group at a time. */
static void rows_simd(const tt_conv_shape *s, const tt_quant *q, const int8_t *in, const int8_t *w, const int32_t *bias,
                      const void *mult, int8_t *out, uint8_t *mask, int32_t r0, int32_t r1, int32_t x0, int32_t x1) {
  dw_stage st;
  const int32_t k = s->kernel, ch = s->in_c, taps = k * k, pairs = (taps + 1) / 2;
  tt_simd_epi ep;
  tt_simd_epi_init(q, mult, ch, &ep);
  for (int32_t c0 = 0; c0 < ch; c0 += DW_GROUP) {
    const int32_t g = ch - c0 < DW_GROUP ? ch - c0 : DW_GROUP;
    stage_group(s, q, w, bias, c0, g, &st);
    st.taps[taps] = st.zrow; /* the dummy tap of an odd count: weight 0, any readable row */
    for (int32_t y = r0; y < r1; y++) {
      const int8_t *rows[DW_MAX_K];
      for (int32_t ky = 0; ky < k; ky++) {
        const int32_t iy = y * s->stride - s->pad + ky;
        rows[ky] = iy >= 0 && iy < s->in_h ? in + (iy % s->in_ring) * s->in_w * ch + c0 : 0;
      }
      int8_t *orow = out + (y % s->out_ring) * s->out_w * ch + c0;
      tt_fwd_mask_acc m = {mask, (y * s->out_w + x0) * ch + c0, 0, 0};
      for (int32_t x = x0; x < x1; x++) {
        place_taps(s, rows, x, &st);
        pixel_simd(&st, pairs, taps, g, w, ch, c0, mult, q, &ep, orow + x * ch, &m);
        if (mask && g < ch) { /* the next pixel's bits of this group are not contiguous with these */
          tt_fwd_mask_flush(&m);
          m.e += ch - g;
        }
      }
      if (mask) tt_fwd_mask_flush(&m);
    }
  }
}
#endif

void tt_depthwise_s8(const tt_conv_shape *shape, const tt_quant *q, const int8_t *in, const int8_t *w,
                     const int32_t *bias, const void *mult, int8_t *out, uint8_t *mask, int32_t r0, int32_t r1) {
  tt_depthwise_s8_cols(shape, q, in, w, bias, mult, out, mask, r0, r1, 0, shape->out_w);
}

void tt_depthwise_s8_cols(const tt_conv_shape *shape, const tt_quant *q, const int8_t *in, const int8_t *w,
                          const int32_t *bias, const void *mult, int8_t *out, uint8_t *mask, int32_t r0, int32_t r1,
                          int32_t x0, int32_t x1) {
#ifdef __wasm_simd128__
  if (shape->kernel <= DW_MAX_K) {
    rows_simd(shape, q, in, w, bias, mult, out, mask, r0, r1, x0, x1);
    return;
  }
#endif
  for (int32_t y = r0; y < r1; y++) {
    int8_t *orow = out + (y % shape->out_ring) * shape->out_w * shape->out_c;
    for (int32_t x = x0; x < x1; x++)
      pixel_portable(shape, q, in, w, bias, mult, orow + x * shape->out_c, mask, y, x);
  }
}
