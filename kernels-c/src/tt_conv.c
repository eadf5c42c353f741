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

/* One output row, two pixels at a time through the SIMD core. */
static void row_simd(const tt_conv_shape *s, const tt_quant *q, const int8_t *in, const int8_t *w, const int32_t *bias,
                     const void *mult, int8_t *out, uint8_t *mask, int32_t y) {
  _Alignas(16) int16_t xs[2][TT_SIMD_MAX_K];
  const int32_t kk = s->kernel * s->kernel_w * s->in_c, kp = (kk + 7) & ~7, oc = s->out_c;
  int8_t *orow = out + (y % s->out_ring) * s->out_w * oc;
  for (int32_t x = 0; x < s->out_w; x += 2) {
    const int32_t two = x + 1 < s->out_w;
    gather(s, q->in_zp, in, y, x, kp, xs[0]);
    if (two) gather(s, q->in_zp, in, y, x + 1, kp, xs[1]);
    const int32_t e = (y * s->out_w + x) * oc;
    tt_fwd_gemm2_simd(xs[0], two ? xs[1] : xs[0], kp, w, kk, oc, bias, mult, q, orow + x * oc,
                      two ? orow + (x + 1) * oc : 0, mask, e, e + oc);
  }
}
#endif

void tt_conv_s8(const tt_conv_shape *shape, const tt_quant *q, const int8_t *in, const int8_t *w, const int32_t *bias,
                const void *mult, int8_t *out, uint8_t *mask, int32_t r0, int32_t r1) {
  for (int32_t y = r0; y < r1; y++) {
#ifdef __wasm_simd128__
    if (shape->kernel * shape->kernel_w * shape->in_c <= TT_SIMD_MAX_K) {
      row_simd(shape, q, in, w, bias, mult, out, mask, y);
      continue;
    }
#endif
    int8_t *orow = out + (y % shape->out_ring) * shape->out_w * shape->out_c;
    for (int32_t x = 0; x < shape->out_w; x++)
      pixel_portable(shape, q, in, w, bias, mult, orow + x * shape->out_c, mask, y, x);
  }
}
