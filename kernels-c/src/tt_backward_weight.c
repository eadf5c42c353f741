/*
 * tt_backward_weight.c - fp32 weight and bias gradients, restricted to the first k input channels.
 *
 * Every weight-gradient element is s_x * S, S = sum over output pixels (y, x ascending) of
 * g_out[y][x][o] * (float)(x_q - z_x), from 0.0f, padding skipped: dL/dW in real units, because the saved
 * input is real = s_x * (x_q - z_x). The row functions below are shared with the fused update kernels.
 * SIMD paths vectorize across input channels (pointwise, depthwise) or output channels (conv) only.
 */
#include "tt_bw_internal.h"
#include "tt_bw_simd.h"

/* Columns [i0, k) of pointwise weight-gradient row o. */
static void tt_pw_weight_cols(const tt_conv_shape *shape, const float *g_out, const int8_t *in, int32_t in_stride,
                              int32_t in_zp, float in_scale, int32_t k, int32_t o, float *row, int32_t i0) {
  int32_t pixels = shape->in_h * shape->in_w, oc = shape->out_c;
#ifdef __wasm_simd128__
  const v128_t cb16 = tt_v_cvt_bias(in_zp), sc = wasm_f32x4_splat(in_scale);
  for (; i0 + 16 <= k; i0 += 16) {
    v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0, xv[4];
    for (int32_t p = 0; p < pixels; p++) {
      v128_t g = wasm_f32x4_splat(g_out[(int64_t)p * oc + o]);
      tt_v_cvt16(in + (int64_t)p * in_stride + i0, cb16, xv);
      a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(g, xv[0]));
      a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(g, xv[1]));
      a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(g, xv[2]));
      a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(g, xv[3]));
    }
    wasm_v128_store(row + i0, wasm_f32x4_mul(sc, a0));
    wasm_v128_store(row + i0 + 4, wasm_f32x4_mul(sc, a1));
    wasm_v128_store(row + i0 + 8, wasm_f32x4_mul(sc, a2));
    wasm_v128_store(row + i0 + 12, wasm_f32x4_mul(sc, a3));
  }
  const v128_t cb4 = tt_v_cvt_bias(in_zp);
  for (; i0 + 4 <= k; i0 += 4) {
    v128_t a = wasm_f32x4_splat(0.0f);
    for (int32_t p = 0; p < pixels; p++) {
      v128_t g = wasm_f32x4_splat(g_out[(int64_t)p * oc + o]);
      a = wasm_f32x4_add(a, wasm_f32x4_mul(g, tt_v_cvt4(in + (int64_t)p * in_stride + i0, cb4)));
    }
    wasm_v128_store(row + i0, wasm_f32x4_mul(sc, a));
  }
#endif
  for (int32_t i = i0; i < k; i++) row[i] = 0.0f;
  for (int32_t p = 0; p < pixels && i0 < k; p++) {
    float g = g_out[(int64_t)p * oc + o];
    const int8_t *xr = in + (int64_t)p * in_stride;
    for (int32_t i = i0; i < k; i++) row[i] += g * (float)(xr[i] - in_zp);
  }
  for (int32_t i = i0; i < k; i++) row[i] = in_scale * row[i];
}

void tt_bw_pointwise_weight_row(const tt_conv_shape *shape, const float *g_out, const int8_t *in, int32_t in_stride,
                                int32_t in_zp, float in_scale, int32_t k, int32_t o, float *row) {
  tt_pw_weight_cols(shape, g_out, in, in_stride, in_zp, in_scale, k, o, row, 0);
}

#ifdef __wasm_simd128__
/* Pixels whose 16 converted input channels are staged at once: 8 KB of stack, so with the strided gradient lines
 * they meet, a chunk stays in a 32 KB L1. */
#define TT_PW_STAGE_PIXELS 128

/* Rows [o0, o1) of the pointwise weight gradient, columns [0, k & ~15), as raw sums S (no s_x yet), dst [o1-o0][k].
 * Pixels go in chunks; per chunk and 16-column block the input is converted to float once into a stack stage and
 * then serves every row: two rows at a time, 8 f32x4 partial sums in registers, each element's sum still over p
 * ascending from 0.0f (a partial sum is stored to dst between chunks and reloaded: no rounding in between). */
static void tt_pw_weight_rows_v16(const tt_conv_shape *shape, const float *g_out, const int8_t *in, int32_t in_stride,
                                  int32_t in_zp, int32_t k, int32_t o0, int32_t o1, float *dst) {
  _Alignas(16) float xf[TT_PW_STAGE_PIXELS][16];
  const int32_t pixels = shape->in_h * shape->in_w, oc = shape->out_c, k16 = k & ~15;
  const v128_t cb16 = tt_v_cvt_bias(in_zp);
  for (int32_t o = o0; o < o1; o++)
    for (int32_t i = 0; i < k16; i++) dst[(int64_t)(o - o0) * k + i] = 0.0f;
  for (int32_t p0 = 0; p0 < pixels; p0 += TT_PW_STAGE_PIXELS) {
    const int32_t np = pixels - p0 < TT_PW_STAGE_PIXELS ? pixels - p0 : TT_PW_STAGE_PIXELS;
    for (int32_t i0 = 0; i0 < k16; i0 += 16) {
      for (int32_t q = 0; q < np; q++) {
        v128_t xv[4];
        tt_v_cvt16(in + (int64_t)(p0 + q) * in_stride + i0, cb16, xv);
        for (int j = 0; j < 4; j++) wasm_v128_store(&xf[q][4 * j], xv[j]);
      }
      for (int32_t o = o0; o < o1; o += 2) {
        const int32_t two = o + 1 < o1;
        float *ra = dst + (int64_t)(o - o0) * k + i0, *rb = two ? ra + k : ra;
        const float *g = g_out + (int64_t)p0 * oc + o, *g1 = two ? g + 1 : g;
        v128_t a[4], b[4];
        for (int j = 0; j < 4; j++) a[j] = wasm_v128_load(ra + 4 * j), b[j] = wasm_v128_load(rb + 4 * j);
        /* stepped pointers rather than indices: emcc builds without loop strength reduction, so an index costs a
         * multiply or shift and an add per address in the loop */
        const float *ga_p = g, *gb_p = g1, *xp = xf[0], *const xend = xf[np];
        for (; xp != xend; xp += 16, ga_p += oc, gb_p += oc) {
          const v128_t ga = wasm_v128_load32_splat(ga_p), gb = wasm_v128_load32_splat(gb_p);
          for (int j = 0; j < 4; j++) {
            const v128_t x = wasm_v128_load(xp + 4 * j);
            a[j] = wasm_f32x4_add(a[j], wasm_f32x4_mul(ga, x));
            b[j] = wasm_f32x4_add(b[j], wasm_f32x4_mul(gb, x));
          }
        }
        for (int j = 0; j < 4; j++) wasm_v128_store(ra + 4 * j, a[j]);
        if (two)
          for (int j = 0; j < 4; j++) wasm_v128_store(rb + 4 * j, b[j]);
      }
    }
  }
}
#endif

void tt_bw_pointwise_weight_rows(const tt_conv_shape *shape, const float *g_out, const int8_t *in, int32_t in_stride,
                                 int32_t in_zp, float in_scale, int32_t k, int32_t o0, int32_t o1, float *dst) {
  int32_t i0 = 0;
#ifdef __wasm_simd128__
  i0 = k & ~15;
  tt_pw_weight_rows_v16(shape, g_out, in, in_stride, in_zp, k, o0, o1, dst);
  const v128_t sc = wasm_f32x4_splat(in_scale);
  for (int32_t o = o0; o < o1; o++) {
    float *row = dst + (int64_t)(o - o0) * k;
    for (int32_t i = 0; i < i0; i += 4) wasm_v128_store(row + i, wasm_f32x4_mul(sc, wasm_v128_load(row + i)));
  }
#endif
  for (int32_t o = o0; o < o1; o++)
    tt_pw_weight_cols(shape, g_out, in, in_stride, in_zp, in_scale, k, o, dst + (int64_t)(o - o0) * k, i0);
}

void tt_bw_depthwise_weight_row(const tt_conv_shape *shape, const float *g_out, const int8_t *in,
                                int32_t in_stride, int32_t in_zp, float in_scale, int32_t k, int32_t ky,
                                int32_t kx, float *row) {
  const tt_conv_shape *s = shape;
  int32_t c = s->out_c, y0, y1, x0, x1, c0 = 0;
  tt_bw_tap_range(s->in_h, s->out_h, s->stride, s->pad, ky, &y0, &y1);
  tt_bw_tap_range(s->in_w, s->out_w, s->stride, s->pad, kx, &x0, &x1);
#ifdef __wasm_simd128__
  const v128_t cb16 = tt_v_cvt_bias(in_zp), sc = wasm_f32x4_splat(in_scale);
  for (; c0 + 16 <= k; c0 += 16) {
    v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0, xv[4];
    for (int32_t y = y0; y < y1; y++) {
      int32_t iy = y * s->stride - s->pad + ky;
      for (int32_t x = x0; x < x1; x++) {
        int32_t ix = x * s->stride - s->pad + kx;
        const float *go = g_out + ((int64_t)y * s->out_w + x) * c + c0;
        tt_v_cvt16(in + ((int64_t)iy * s->in_w + ix) * in_stride + c0, cb16, xv);
        a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(go), xv[0]));
        a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load(go + 4), xv[1]));
        a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(wasm_v128_load(go + 8), xv[2]));
        a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(wasm_v128_load(go + 12), xv[3]));
      }
    }
    wasm_v128_store(row + c0, wasm_f32x4_mul(sc, a0));
    wasm_v128_store(row + c0 + 4, wasm_f32x4_mul(sc, a1));
    wasm_v128_store(row + c0 + 8, wasm_f32x4_mul(sc, a2));
    wasm_v128_store(row + c0 + 12, wasm_f32x4_mul(sc, a3));
  }
#endif
  for (int32_t j = c0; j < k; j++) row[j] = 0.0f;
  for (int32_t y = y0; y < y1 && c0 < k; y++) {
    int32_t iy = y * s->stride - s->pad + ky;
    for (int32_t x = x0; x < x1; x++) {
      int32_t ix = x * s->stride - s->pad + kx;
      const float *go = g_out + ((int64_t)y * s->out_w + x) * c;
      const int8_t *xr = in + ((int64_t)iy * s->in_w + ix) * in_stride;
      for (int32_t j = c0; j < k; j++) row[j] += go[j] * (float)(xr[j] - in_zp);
    }
  }
  for (int32_t j = c0; j < k; j++) row[j] = in_scale * row[j];
}

/* acc[j] += g * (float)(x[j] - zp), j < n: independent elements, so 4 lanes at a time keep each sum's order. */
static void tt_axpy_s8(float *acc, const int8_t *x, int32_t n, float g, int32_t zp) {
  int32_t j = 0;
#ifdef __wasm_simd128__
  const v128_t gv = wasm_f32x4_splat(g), cb4 = tt_v_cvt_bias(zp);
  for (; j + 4 <= n; j += 4) {
    v128_t a = wasm_v128_load(acc + j);
    wasm_v128_store(acc + j, wasm_f32x4_add(a, wasm_f32x4_mul(gv, tt_v_cvt4(x + j, cb4))));
  }
#endif
  for (; j < n; j++) acc[j] += g * (float)(x[j] - zp);
}

/* Row o = [kernel][kernel][k], summed over output pixels (y, x) ascending. When the saved input is packed
 * (in_stride == k) the taps kx0..kx1 of one kernel row are contiguous in both the input and the row, so they
 * form one run of (kx1 - kx0) * k independent elements (the 3-channel stem would otherwise run loops of 3). */
void tt_bw_conv_weight_row(const tt_conv_shape *shape, const float *g_out, const int8_t *in, int32_t in_stride,
                           int32_t in_zp, float in_scale, int32_t k, int32_t o, float *row) {
  const tt_conv_shape *s = shape;
  int32_t kh = s->kernel, kw = s->kernel_w, n = kh * kw * k;
  for (int32_t j = 0; j < n; j++) row[j] = 0.0f;
  for (int32_t y = 0; y < s->out_h; y++) {
    int32_t top = y * s->stride - s->pad;
    int32_t ky0 = top < 0 ? -top : 0, ky1 = s->in_h - top < kh ? s->in_h - top : kh;
    for (int32_t x = 0; x < s->out_w; x++) {
      int32_t left = x * s->stride_w - s->pad_left;
      int32_t kx0 = left < 0 ? -left : 0, kx1 = s->in_w - left < kw ? s->in_w - left : kw;
      float g = g_out[((int64_t)y * s->out_w + x) * s->out_c + o];
      int32_t step = in_stride == k && kx1 > kx0 ? kx1 - kx0 : 1; /* taps per contiguous run */
      for (int32_t ky = ky0; ky < ky1; ky++) {
        for (int32_t kx = kx0; kx < kx1; kx += step) {
          const int8_t *xr = in + ((int64_t)(top + ky) * s->in_w + left + kx) * in_stride;
          tt_axpy_s8(row + (ky * kw + kx) * k, xr, step * k, g, in_zp);
        }
      }
    }
  }
  for (int32_t j = 0; j < n; j++) row[j] = in_scale * row[j];
}

void tt_pointwise_f32_bwd_weight(const tt_conv_shape *shape, const float *g_out, const int8_t *in,
                                 int32_t in_stride, int32_t in_zp, float in_scale, int32_t k, float *g_w) {
  tt_bw_pointwise_weight_rows(shape, g_out, in, in_stride, in_zp, in_scale, k, 0, shape->out_c, g_w);
}

/* Conv weight gradient with the output channel innermost (contiguous in g_out): for each tap (ky, kx) and
 * input channel i, output channels [o0, o0+n) accumulate over the pixels that read in-bounds input; row o0 + j
 * goes to dst + j * kernel * kernel * k. */
static void tt_conv_weight_block(const tt_conv_shape *s, const float *g_out, const int8_t *in, int32_t in_stride,
                                 int32_t in_zp, float in_scale, int32_t k, int32_t ky, int32_t kx, int32_t i,
                                 int32_t o0, int32_t n, float *dst) {
  int32_t kh = s->kernel, kw = s->kernel_w, oc = s->out_c, y0, y1, x0, x1, o = 0;
  tt_bw_tap_range(s->in_h, s->out_h, s->stride, s->pad, ky, &y0, &y1);
  tt_bw_tap_range(s->in_w, s->out_w, s->stride_w, s->pad_left, kx, &x0, &x1);
  float acc[TT_BW_CHUNK];
  for (int32_t j = 0; j < n; j++) acc[j] = 0.0f;
#ifdef __wasm_simd128__
  for (; o + 16 <= n; o += 16) {
    v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
    for (int32_t y = y0; y < y1; y++) {
      int64_t xb = ((int64_t)(y * s->stride - s->pad + ky) * s->in_w - s->pad_left + kx) * in_stride + i;
      const float *gr = g_out + (int64_t)y * s->out_w * oc + o0 + o;
      /* stepped pointers rather than indices: emcc builds without loop strength reduction */
      const int64_t xstep = (int64_t)s->stride_w * in_stride;
      const int8_t *xp = in + xb + x0 * xstep;
      for (const float *go = gr + (int64_t)x0 * oc, *gend = gr + (int64_t)x1 * oc; go < gend; go += oc, xp += xstep) {
        v128_t xv = wasm_f32x4_splat((float)(*xp - in_zp));
        a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(go), xv));
        a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load(go + 4), xv));
        a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(wasm_v128_load(go + 8), xv));
        a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(wasm_v128_load(go + 12), xv));
      }
    }
    wasm_v128_store(acc + o, a0);
    wasm_v128_store(acc + o + 4, a1);
    wasm_v128_store(acc + o + 8, a2);
    wasm_v128_store(acc + o + 12, a3);
  }
#endif
  for (int32_t y = y0; y < y1 && o < n; y++) {
    int64_t xb = ((int64_t)(y * s->stride - s->pad + ky) * s->in_w - s->pad_left + kx) * in_stride + i;
    const float *gr = g_out + (int64_t)y * s->out_w * oc + o0;
    for (int32_t x = x0; x < x1; x++) {
      float xv = (float)(in[xb + (int64_t)x * s->stride_w * in_stride] - in_zp);
      const float *go = gr + (int64_t)x * oc;
      for (int32_t j = o; j < n; j++) acc[j] += go[j] * xv;
    }
  }
  for (int32_t j = 0; j < n; j++) dst[(((int64_t)j * kh + ky) * kw + kx) * k + i] = in_scale * acc[j];
}

void tt_bw_conv_weight_rows(const tt_conv_shape *shape, const float *g_out, const int8_t *in, int32_t in_stride,
                            int32_t in_zp, float in_scale, int32_t k, int32_t o0, int32_t o1, float *dst) {
  const int32_t row = shape->kernel * shape->kernel_w * k;
  for (int32_t ky = 0; ky < shape->kernel; ky++) {
    for (int32_t kx = 0; kx < shape->kernel_w; kx++) {
      for (int32_t i = 0; i < k; i++) {
        for (int32_t o = o0; o < o1; o += TT_BW_CHUNK) {
          int32_t n = o1 - o < TT_BW_CHUNK ? o1 - o : TT_BW_CHUNK;
          tt_conv_weight_block(shape, g_out, in, in_stride, in_zp, in_scale, k, ky, kx, i, o, n,
                               dst + (int64_t)(o - o0) * row);
        }
      }
    }
  }
}

void tt_conv_f32_bwd_weight(const tt_conv_shape *shape, const float *g_out, const int8_t *in, int32_t in_stride,
                            int32_t in_zp, float in_scale, int32_t k, float *g_w) {
  tt_bw_conv_weight_rows(shape, g_out, in, in_stride, in_zp, in_scale, k, 0, shape->out_c, g_w);
}

void tt_depthwise_f32_bwd_weight(const tt_conv_shape *shape, const float *g_out, const int8_t *in,
                                 int32_t in_stride, int32_t in_zp, float in_scale, int32_t k, float *g_w) {
#ifdef __wasm_simd128__
  if (tt_bw_depthwise_weight_simd(shape, g_out, in, in_stride, in_zp, in_scale, k, g_w)) return;
#endif
  for (int32_t ky = 0; ky < shape->kernel; ky++) {
    for (int32_t kx = 0; kx < shape->kernel; kx++) {
      float *row = g_w + ((int64_t)ky * shape->kernel + kx) * k;
      tt_bw_depthwise_weight_row(shape, g_out, in, in_stride, in_zp, in_scale, k, ky, kx, row);
    }
  }
}

void tt_fc_f32_bwd_weight(int32_t in_c, int32_t out_c, const float *g_out, const int8_t *in, int32_t in_zp,
                          float in_scale, int32_t k, float *g_w) {
  tt_conv_shape one = {1, 1, in_c, 1, 1, out_c, 1, 1, 0, 1, 1, 1, 1, 0};
  tt_pointwise_f32_bwd_weight(&one, g_out, in, in_c, in_zp, in_scale, k, g_w);
}

void tt_bias_f32_bwd(int32_t pixels, int32_t channels, const float *g_out, float *g_b) {
  for (int32_t o = 0; o < channels; o++) g_b[o] = 0.0f;
  for (int32_t p = 0; p < pixels; p++) {
    const float *go = g_out + (int64_t)p * channels;
    for (int32_t o = 0; o < channels; o++) g_b[o] += go[o];
  }
}
