/*
 * tt_conv.c - general kh x kw conv, any strides (int8 forward; the 3x3 stride-2 stem is the main user, imported
 * models bring rectangular kernels such as micro_speech's 10x8 at stride 2x2).
 *
 * acc[y][x][o] = bias[o] + sum over ky, kx, i of (in[y*sy-pad+ky][x*sx-pad_left+kx][i] - in_zp) * w[o][ky][kx][i],
 * padding contributing 0 (kh = kernel, kw = kernel_w, sy = stride, sx = stride_w). The weights of one output channel
 * are one contiguous row in (ky, kx, i) order, so under WebAssembly SIMD each output pixel's receptive field is
 * gathered into that same order as int16 (x - in_zp, 0 for padding) and the pointwise core tt_fwd_gemm2_simd finishes
 * the job.
 */
#include <string.h>

#include "tt_fwd_internal.h"

/* Taps [*lo, *hi) of one axis that read inside [0, in_len) for the output coordinate whose first tap is at start. */
static inline void tap_range(int32_t start, int32_t in_len, int32_t k, int32_t *lo, int32_t *hi) {
  *lo = start < 0 ? -start : 0;
  *hi = in_len - start < k ? in_len - start : k;
  if (*hi < *lo) *hi = *lo;
}

/* One output pixel (y, x), all output channels: the portable definition. */
static void pixel_portable(const tt_conv_shape *s, const tt_quant *q, const int8_t *in, const int8_t *w,
                           const int32_t *bias, const void *mult, int8_t *out, uint8_t *mask, int32_t y, int32_t x) {
  const int32_t kh = s->kernel, kw = s->kernel_w, in_c = s->in_c;
  const int32_t iy0 = y * s->stride - s->pad, ix0 = x * s->stride_w - s->pad_left;
  int32_t ky0, ky1, kx0, kx1;
  tap_range(iy0, s->in_h, kh, &ky0, &ky1);
  tap_range(ix0, s->in_w, kw, &kx0, &kx1);
  const int32_t e = (y * s->out_w + x) * s->out_c, kk = kh * kw * in_c;
  if (TT_FWD_BLOCKED && kk <= TT_FWD_GATHER_MAX) {
    /* The receptive field as int16 (x - in_zp, 0 for padding) in the weights' (ky, kx, i) order, then four
     * output channels per pass over it: contiguous int8 x int16 dot products that gcc vectorizes. */
    int16_t xs[TT_FWD_GATHER_MAX];
    for (int32_t i = 0; i < kk; i++) xs[i] = 0;
    for (int32_t ky = ky0; ky < ky1; ky++) {
      const int8_t *row = in + ((iy0 + ky) % s->in_ring) * s->in_w * in_c;
      const int8_t *px = row + (ix0 + kx0) * in_c;
      int16_t *d = xs + (ky * kw + kx0) * in_c;
      for (int32_t i = 0; i < (kx1 - kx0) * in_c; i++) d[i] = (int16_t)(px[i] - q->in_zp);
    }
    int32_t o = 0;
    for (; o + 16 <= s->out_c; o += 16) {
      int32_t acc[16];
      for (int32_t j = 0; j < 16; j += 4) tt_fwd_dot4_s16(xs, w + (o + j) * kk, kk, acc + j);
      for (int32_t j = 0; j < 16; j++) acc[j] += bias[o + j];
      tt_fwd_store16(acc, mult, o, q, out + o, mask, e + o);
    }
    for (; o + 4 <= s->out_c; o += 4) {
      int32_t acc[4];
      tt_fwd_dot4_s16(xs, w + o * kk, kk, acc);
      for (int32_t j = 0; j < 4; j++)
        tt_fwd_store(tt_fwd_requant_ch(acc[j] + bias[o + j], mult, o + j, q), q, out + o + j, mask, e + o + j);
    }
    for (; o < s->out_c; o++) {
      const int8_t *wo = w + o * kk;
      int32_t acc = 0;
      for (int32_t i = 0; i < kk; i++) acc += xs[i] * wo[i];
      tt_fwd_store(tt_fwd_requant_ch(acc + bias[o], mult, o, q), q, out + o, mask, e + o);
    }
    return;
  }
  for (int32_t o = 0; o < s->out_c; o++) {
    int32_t acc = bias[o];
    for (int32_t ky = ky0; ky < ky1; ky++) {
      const int8_t *row = in + ((iy0 + ky) % s->in_ring) * s->in_w * in_c;
      for (int32_t kx = kx0; kx < kx1; kx++) {
        const int8_t *px = row + (ix0 + kx) * in_c;
        const int8_t *wt = w + ((o * kh + ky) * kw + kx) * in_c;
        for (int32_t i = 0; i < in_c; i++) acc += (px[i] - q->in_zp) * wt[i];
      }
    }
    tt_fwd_store(tt_fwd_requant_ch(acc, mult, o, q), q, out + o, mask, e + o);
  }
}

#ifdef __wasm_simd128__
/* The receptive field of output pixel (y, x) as kp int16 in (ky, kx, i) order: x - in_zp, 0 for padding and
 * past kh*kw*in_c. */
static void gather(const tt_conv_shape *s, int32_t in_zp, const int8_t *in, int32_t y, int32_t x, int32_t kp,
                   int16_t *dst) {
  const int32_t kh = s->kernel, kw = s->kernel_w, in_c = s->in_c;
  const int32_t iy0 = y * s->stride - s->pad, ix0 = x * s->stride_w - s->pad_left;
  for (int32_t ky = 0; ky < kh; ky++) {
    const int32_t iy = iy0 + ky;
    const int8_t *row = iy >= 0 && iy < s->in_h ? in + (iy % s->in_ring) * s->in_w * in_c : 0;
    if (row && ix0 >= 0 && ix0 + kw <= s->in_w) { /* the whole kernel row: kw * in_c contiguous bytes */
      const int8_t *px = row + ix0 * in_c;
      int16_t *d = dst + ky * kw * in_c;
      const v128_t z = wasm_i16x8_splat((int16_t)in_zp);
      int32_t i = 0;
      for (; i + 8 <= kw * in_c; i += 8) wasm_v128_store(d + i, wasm_i16x8_sub(wasm_i16x8_load8x8(px + i), z));
      for (; i < kw * in_c; i++) d[i] = (int16_t)(px[i] - in_zp);
      continue;
    }
    for (int32_t kx = 0; kx < kw; kx++) {
      const int32_t ix = ix0 + kx;
      int16_t *d = dst + (ky * kw + kx) * in_c;
      if (row && ix >= 0 && ix < s->in_w) {
        const int8_t *px = row + ix * in_c;
        for (int32_t i = 0; i < in_c; i++) d[i] = (int16_t)(px[i] - in_zp);
      } else {
        for (int32_t i = 0; i < in_c; i++) d[i] = 0;
      }
    }
  }
  for (int32_t i = kh * kw * in_c; i < kp; i++) dst[i] = 0;
}

/* One output row's columns [x0, x1), two pixels at a time through the SIMD core. */
static void row_simd(const tt_conv_shape *s, const tt_quant *q, const int8_t *in, const int8_t *w, const int32_t *bias,
                     const void *mult, int8_t *out, uint8_t *mask, int32_t y, int32_t x0, int32_t x1) {
  _Alignas(16) int16_t xs[2][TT_SIMD_MAX_K];
  const int32_t kk = s->kernel * s->kernel_w * s->in_c, kp = (kk + 7) & ~7, oc = s->out_c;
  int8_t *orow = out + (y % s->out_ring) * s->out_w * oc;
  tt_simd_epi ep;
  tt_simd_epi_init(q, mult, oc, &ep);
  for (int32_t x = x0; x < x1; x += 2) {
    const int32_t two = x + 1 < x1;
    gather(s, q->in_zp, in, y, x, kp, xs[0]);
    if (two) gather(s, q->in_zp, in, y, x + 1, kp, xs[1]);
    const int32_t e = (y * s->out_w + x) * oc;
    tt_fwd_gemm2_simd(xs[0], two ? xs[1] : xs[0], kp, w, kk, oc, bias, mult, q, &ep, orow + x * oc,
                      two ? orow + (x + 1) * oc : 0, mask, e, e + oc);
  }
}

/* ---------------------------------------------------------------------------------------------------------------
 * First layers (the stem: 3x3 x 3 channels = 27 taps; out_c a multiple of 16): output channels in the lanes.
 * The gemm core above puts the reduction in the lanes, which for 27 taps wastes 5 of 32 and pays a horizontal sum
 * per 4 outputs. Here each kernel row's kw*in_c inputs are taken in pairs (x[2q], x[2q+1]) straight from the input
 * rows widened to int16 once per output row (x - in_zp, 0 in the padding), splatted to all lanes, and
 * i32x4.dot_i16x8_s against 4 outputs' weight pairs adds x[2q]*w[o][2q] + x[2q+1]*w[o][2q+1] to lane o: no
 * horizontal sums, no per-pixel gather. An odd row's last pair reads one input past the row's taps against a zero
 * weight. Every product and partial sum is an exact int32, so the result equals the portable definition.
 * ------------------------------------------------------------------------------------------------------------- */
#define TT_TAPS_MAX_W 4096  /* int16 weight pairs staged per call: pairs * out_c * 2 <= 4096 (8 KB of stack) */
#define TT_TAPS_MAX_X 8192  /* widened input rows of one output row: kernel * row length <= 8192 (16 KB) */
#define TT_TAPS_MAX_RED 512 /* reductions up to this many taps take this path; longer ones the gemm core */
/* First layers only: measured (bench harness, this machine) the lanes-as-outputs path wins on 1 and 3 input channels
 * with 16 or 32 outputs (stem 3x3x3: 6.2 -> 7.5-10 GMAC/s; 10x8x1 -> 16: 8.9 -> 11.2) and loses from 8 channels
 * (3x3x8 -> 16: 15.6 -> 12.3) or 8 outputs (10x8x1 -> 8: 5.0 -> 4.0), where the gemm core keeps it. */
#define TT_TAPS_MAX_IN_C 4

typedef struct {
  int32_t npr;  /* pairs per kernel row: ceil(kernel_w * in_c / 2) */
  int32_t rlen; /* int16 per widened row: ((out_w - 1) * stride_w + kernel_w) * in_c + 2 */
} taps_geom;

static int taps_geometry(const tt_conv_shape *s, taps_geom *g) {
  const int32_t kk = s->kernel * s->kernel_w * s->in_c;
  g->npr = (s->kernel_w * s->in_c + 1) / 2;
  g->rlen = ((s->out_w - 1) * s->stride_w + s->kernel_w) * s->in_c + 2;
  return kk <= TT_TAPS_MAX_RED && s->in_c <= TT_TAPS_MAX_IN_C && s->out_c % 16 == 0 &&
         s->kernel * g->npr * s->out_c * 2 <= TT_TAPS_MAX_W && s->kernel * g->rlen <= TT_TAPS_MAX_X;
}

/* wt[((ky * npr + q) * out_c + o) * 2 + h] = w[o][ky][2q + h] (0 past the kernel row). */
static void taps_stage_weights(const tt_conv_shape *s, const taps_geom *g, const int8_t *w, int16_t *wt) {
  const int32_t row = s->kernel_w * s->in_c;
  for (int32_t ky = 0; ky < s->kernel; ky++)
    for (int32_t q = 0; q < g->npr; q++)
      for (int32_t o = 0; o < s->out_c; o++)
        for (int32_t h = 0; h < 2; h++) {
          const int32_t r = 2 * q + h;
          wt[((ky * g->npr + q) * s->out_c + o) * 2 + h] =
              r < row ? w[((int64_t)o * s->kernel + ky) * row + r] : (int16_t)0;
        }
}

/* The kernel rows output row y reads, widened: xw[ky][j] = input (iy0 + ky, column j / in_c - pad_left) - in_zp,
 * 0 outside the input; rlen values a row. */
static void taps_widen_rows(const tt_conv_shape *s, const taps_geom *g, int32_t in_zp, const int8_t *in, int32_t y,
                            int16_t *xw) {
  const int32_t c = s->in_c, iy0 = y * s->stride - s->pad;
  for (int32_t ky = 0; ky < s->kernel; ky++) {
    int16_t *d = xw + ky * g->rlen;
    const int32_t iy = iy0 + ky;
    for (int32_t j = 0; j < g->rlen; j++) d[j] = 0;
    if (iy < 0 || iy >= s->in_h) continue;
    const int8_t *row = in + (int64_t)(iy % s->in_ring) * s->in_w * c;
    const int32_t c0 = s->pad_left, c1 = (g->rlen - 2) / c; /* widened columns [c0, c0 + in_w) hold the input */
    const int32_t last = c0 + s->in_w < c1 ? c0 + s->in_w : c1;
    const int32_t n = last > c0 ? (last - c0) * c : 0;
    const v128_t z = wasm_i16x8_splat((int16_t)in_zp);
    int16_t *dc = d + c0 * c;
    int32_t i = 0;
    for (; i + 8 <= n; i += 8) wasm_v128_store(dc + i, wasm_i16x8_sub(wasm_i16x8_load8x8(row + i), z));
    for (; i < n; i++) dc[i] = (int16_t)(row[i] - in_zp);
  }
}

/* Outputs [o, o + 16) of pixels x and x + 1 (two == 0: x twice) of output row y, bias included, kernel rows of npr
 * tap pairs. Inlined, so the eight accumulators stay in registers (and the loops unroll when kh, npr are known). */
static inline __attribute__((always_inline)) void taps_block(const tt_conv_shape *s, const taps_geom *g,
                                                             const int16_t *xw, const int16_t *wt, const int32_t *bias,
                                                             int32_t x, int32_t two, int32_t o, int32_t kh, int32_t npr,
                                                             v128_t *a, v128_t *b) {
  const int32_t oc = s->out_c, xa = x * s->stride_w * s->in_c, xb = two ? xa + s->stride_w * s->in_c : xa;
  for (int32_t j = 0; j < 4; j++) a[j] = b[j] = wasm_v128_load(bias + o + 4 * j);
  for (int32_t ky = 0; ky < kh; ky++) {
    const int16_t *r = xw + ky * g->rlen;
    const int16_t *wr = wt + ((int64_t)ky * npr * oc + o) * 2;
    for (int32_t q = 0; q < npr; q++, wr += oc * 2) {
      const v128_t va = wasm_v128_load32_splat(r + xa + 2 * q);
      const v128_t vb = wasm_v128_load32_splat(r + xb + 2 * q);
      for (int32_t j = 0; j < 4; j++) {
        const v128_t wv = wasm_v128_load(wr + 8 * j);
        a[j] = wasm_i32x4_add(a[j], wasm_i32x4_dot_i16x8(va, wv));
        b[j] = wasm_i32x4_add(b[j], wasm_i32x4_dot_i16x8(vb, wv));
      }
    }
  }
}

static void taps_row(const tt_conv_shape *s, const taps_geom *g, const tt_quant *qp, const tt_simd_epi *epp,
                     const int8_t *in, const int16_t *wt, const int32_t *bias, const void *mult, int8_t *out,
                     uint8_t *mask, int32_t y, int32_t x0, int32_t x1) {
  const tt_quant ql = *qp, *q = &ql; /* local copies: the int8 stores below cannot alias them */
  const tt_simd_epi el = *epp, *ep = &el;
  _Alignas(16) int16_t xw[TT_TAPS_MAX_X];
  const int32_t oc = s->out_c;
  taps_widen_rows(s, g, q->in_zp, in, y, xw);
  int8_t *orow = out + (int64_t)(y % s->out_ring) * s->out_w * oc;
  for (int32_t x = x0; x < x1; x += 2) {
    const int32_t two = x + 1 < x1, e = (y * s->out_w + x) * oc;
    tt_fwd_mask_acc m0 = {mask, e, 0, 0}, m1 = {mask, e + oc, 0, 0};
    for (int32_t o = 0; o < oc; o += 16) {
      v128_t a[4], b[4];
      if (s->kernel == 3 && g->npr == 5) /* the 3x3 stem on 3 channels: loops unrolled (kh, npr known) */
        taps_block(s, g, xw, wt, bias, x, two, o, 3, 5, a, b);
      else
        taps_block(s, g, xw, wt, bias, x, two, o, s->kernel, g->npr, a, b);
      tt_simd_finish16(a, mult, o, q, ep, orow + x * oc + o, &m0);
      if (two) tt_simd_finish16(b, mult, o, q, ep, orow + (x + 1) * oc + o, &m1);
    }
    if (mask) {
      tt_fwd_mask_flush(&m0);
      if (two) tt_fwd_mask_flush(&m1);
    }
  }
}

/* Rows [r0, r1), columns [x0, x1) with output channels in the lanes; returns 0 (nothing written) when the shape
 * does not fit it. */
static int taps_rows(const tt_conv_shape *s, const tt_quant *q, const int8_t *in, const int8_t *w, const int32_t *bias,
                     const void *mult, int8_t *out, uint8_t *mask, int32_t r0, int32_t r1, int32_t x0, int32_t x1) {
  taps_geom g;
  if (!taps_geometry(s, &g)) return 0;
  _Alignas(16) int16_t wt[TT_TAPS_MAX_W];
  taps_stage_weights(s, &g, w, wt);
  tt_simd_epi ep;
  tt_simd_epi_init(q, mult, s->out_c, &ep);
  for (int32_t y = r0; y < r1; y++) taps_row(s, &g, q, &ep, in, wt, bias, mult, out, mask, y, x0, x1);
  return 1;
}
#endif

void tt_conv_s8(const tt_conv_shape *shape, const tt_quant *q, const int8_t *in, const int8_t *w, const int32_t *bias,
                const void *mult, int8_t *out, uint8_t *mask, int32_t r0, int32_t r1) {
  tt_conv_s8_cols(shape, q, in, w, bias, mult, out, mask, r0, r1, 0, shape->out_w);
}

void tt_conv_s8_cols(const tt_conv_shape *shape, const tt_quant *q, const int8_t *in, const int8_t *w,
                     const int32_t *bias, const void *mult, int8_t *out, uint8_t *mask, int32_t r0, int32_t r1,
                     int32_t x0, int32_t x1) {
#ifdef __wasm_simd128__
  if (taps_rows(shape, q, in, w, bias, mult, out, mask, r0, r1, x0, x1)) return;
#endif
  for (int32_t y = r0; y < r1; y++) {
#ifdef __wasm_simd128__
    if (shape->kernel * shape->kernel_w * shape->in_c <= TT_SIMD_MAX_K) {
      row_simd(shape, q, in, w, bias, mult, out, mask, y, x0, x1);
      continue;
    }
#endif
    int8_t *orow = out + (y % shape->out_ring) * shape->out_w * shape->out_c;
    for (int32_t x = x0; x < x1; x++)
      pixel_portable(shape, q, in, w, bias, mult, orow + x * shape->out_c, mask, y, x);
  }
}
