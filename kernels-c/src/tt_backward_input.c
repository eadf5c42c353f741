/*
 * tt_backward_input.c - fp32 input gradients: clamp mask, residual add, average pool and the conv family.
 *
 * For a conv-like layer g_in[pixel][i] = sum of t = (g_out[...][o] * s_W[o]) * (float)w[...] over the outputs
 * that read the input element, in the order tt_kernels.h fixes, from 0.0f. Loops run pixel by pixel with the
 * input channel innermost: the partial sums of a chunk of channels sit in a small stack row (gcc vectorizes
 * it), and the SIMD paths keep them in registers. Only independent channels share a vector.
 */
#include "tt_bw_internal.h"
#include "tt_bw_simd.h"

static inline void tt_store_row(float *dst, const float *acc, int32_t n, int32_t accumulate) {
  if (accumulate) {
    for (int32_t j = 0; j < n; j++) dst[j] = dst[j] + acc[j];
  } else {
    for (int32_t j = 0; j < n; j++) dst[j] = acc[j];
  }
}

void tt_clamp_f32_bwd(int32_t n, float *g, const uint8_t *mask) {
  int32_t e = 0;
#ifdef __wasm_simd128__
  /* Eight elements a mask byte: lane k keeps its bits where bit k is set, else becomes 0x00000000 (+0.0f, what
   * the scalar loop writes), so the result is the same bit for bit. */
  const v128_t lo = wasm_i32x4_make(1, 2, 4, 8), hi = wasm_i32x4_make(16, 32, 64, 128), zero = wasm_i32x4_splat(0);
  for (; e + 8 <= n; e += 8) {
    const v128_t m = wasm_i32x4_splat(mask[e >> 3]);
    const v128_t k0 = wasm_i32x4_ne(wasm_v128_and(m, lo), zero), k1 = wasm_i32x4_ne(wasm_v128_and(m, hi), zero);
    wasm_v128_store(g + e, wasm_v128_and(wasm_v128_load(g + e), k0));
    wasm_v128_store(g + e + 4, wasm_v128_and(wasm_v128_load(g + e + 4), k1));
  }
#endif
  for (; e < n; e++) {
    if (!((mask[e >> 3] >> (e & 7)) & 1)) g[e] = 0.0f;
  }
}

void tt_add_f32_bwd_input(int32_t n, const float *g_out, const uint8_t *mask, float *g_in, int32_t accumulate) {
  for (int32_t e = 0; e < n; e++) {
    float v = ((mask[e >> 3] >> (e & 7)) & 1) ? g_out[e] : 0.0f;
    g_in[e] = accumulate ? g_in[e] + v : v;
  }
}

void tt_avgpool_f32_bwd_input(int32_t h, int32_t w, int32_t c, const float *g_out, float *g_in,
                              int32_t accumulate) {
  float hw = (float)(h * w);
  for (int32_t p = 0; p < h * w; p++) {
    float *gi = g_in + (int64_t)p * c;
    for (int32_t j = 0; j < c; j++) {
      float v = g_out[j] / hw;
      gi[j] = accumulate ? gi[j] + v : v;
    }
  }
}

/* One pixel of a pointwise / fc input gradient, channels i0..in_c-1:
 * gi[i] (+)= sum_o (go[o] * ws[o]) * (float)w[o][i]. */
static void tt_pw_input_pixel(int32_t in_c, int32_t out_c, const float *go, const int8_t *w, const float *ws,
                              float *gi, int32_t accumulate, int32_t i0) {
#ifdef __wasm_simd128__
  const v128_t cb16 = tt_v_cvt_bias(0);
  for (; i0 + 16 <= in_c; i0 += 16) {
    v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0, wv[4];
    for (int32_t o = 0; o < out_c; o++) {
      v128_t gs = wasm_f32x4_splat(go[o] * ws[o]);
      tt_v_cvt16(w + (int64_t)o * in_c + i0, cb16, wv);
      a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(gs, wv[0]));
      a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(gs, wv[1]));
      a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(gs, wv[2]));
      a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(gs, wv[3]));
    }
    tt_v_store(gi + i0, a0, accumulate);
    tt_v_store(gi + i0 + 4, a1, accumulate);
    tt_v_store(gi + i0 + 8, a2, accumulate);
    tt_v_store(gi + i0 + 12, a3, accumulate);
  }
  const v128_t cb4 = tt_v_cvt_bias(0);
  for (; i0 + 4 <= in_c; i0 += 4) {
    v128_t a = wasm_f32x4_splat(0.0f);
    for (int32_t o = 0; o < out_c; o++) {
      v128_t gs = wasm_f32x4_splat(go[o] * ws[o]);
      a = wasm_f32x4_add(a, wasm_f32x4_mul(gs, tt_v_cvt4(w + (int64_t)o * in_c + i0, cb4)));
    }
    tt_v_store(gi + i0, a, accumulate);
  }
#endif
  for (; i0 < in_c; i0 += TT_BW_CHUNK) {
    int32_t n = in_c - i0 < TT_BW_CHUNK ? in_c - i0 : TT_BW_CHUNK;
    float acc[TT_BW_CHUNK];
    for (int32_t i = 0; i < n; i++) acc[i] = 0.0f;
    for (int32_t o = 0; o < out_c; o++) {
      float gs = go[o] * ws[o];
      const int8_t *wr = w + (int64_t)o * in_c + i0;
      for (int32_t i = 0; i < n; i++) acc[i] += gs * (float)wr[i];
    }
    tt_store_row(gi + i0, acc, n, accumulate);
  }
}

#ifdef __wasm_simd128__
#define TT_PW_STAGE_FLOATS 8192 /* converted weights of one 16-channel block: out_c <= 512 (32 KB of stack) */

/* Channels [i0, i0+16) of pixels p and p+1 (one pixel when !two), weights of the block staged as float in wf[o]:
 * the sums go over o ascending in registers, so each element is the same float sum as the portable loop's. */
static void tt_pw_input_staged(int32_t in_c, int32_t oc, const float *g0, int32_t two, const float (*wf)[16],
                               const float *ws, float *gi0, int32_t accumulate, int32_t i0) {
  const float *g1 = two ? g0 + oc : g0;
  v128_t a[4], b[4];
  for (int j = 0; j < 4; j++) a[j] = b[j] = wasm_f32x4_splat(0.0f);
  for (int32_t o = 0; o < oc; o++) {
    const v128_t s0 = wasm_f32x4_splat(g0[o] * ws[o]), s1 = wasm_f32x4_splat(g1[o] * ws[o]);
    for (int j = 0; j < 4; j++) {
      const v128_t w = wasm_v128_load(&wf[o][4 * j]);
      a[j] = wasm_f32x4_add(a[j], wasm_f32x4_mul(s0, w));
      b[j] = wasm_f32x4_add(b[j], wasm_f32x4_mul(s1, w));
    }
  }
  for (int j = 0; j < 4; j++) tt_v_store(gi0 + i0 + 4 * j, a[j], accumulate);
  if (two)
    for (int j = 0; j < 4; j++) tt_v_store(gi0 + in_c + i0 + 4 * j, b[j], accumulate);
}

/* Channels [i0, i0+16) of pixels p and p+1 from their scaled gradients gs0[o] = g_out[p][o] * s_W[o] (and gs1),
 * weights of the block staged as float in wf[o]: the same terms, summed over o ascending, as the portable loop. */
static void tt_pw_input_scaled(int32_t in_c, int32_t oc, const float *gs0, const float *gs1, int32_t two,
                               const float (*wf)[16], float *gi0, int32_t accumulate, int32_t i0) {
  v128_t a[4], b[4];
  for (int j = 0; j < 4; j++) a[j] = b[j] = wasm_f32x4_splat(0.0f);
  /* stepped pointers rather than indices: emcc builds without loop strength reduction, so an index costs a shift
   * and an add per address in the loop */
  const float *p0 = gs0, *p1 = gs1, *wp = wf[0], *const end = wf[oc];
  for (; wp != end; wp += 16, p0++, p1++) {
    const v128_t s0 = wasm_v128_load32_splat(p0), s1 = wasm_v128_load32_splat(p1);
    for (int j = 0; j < 4; j++) {
      const v128_t w = wasm_v128_load(wp + 4 * j);
      a[j] = wasm_f32x4_add(a[j], wasm_f32x4_mul(s0, w));
      b[j] = wasm_f32x4_add(b[j], wasm_f32x4_mul(s1, w));
    }
  }
  for (int j = 0; j < 4; j++) tt_v_store(gi0 + i0 + 4 * j, a[j], accumulate);
  if (two)
    for (int j = 0; j < 4; j++) tt_v_store(gi0 + in_c + i0 + 4 * j, b[j], accumulate);
}

#define TT_PW_SCALED_MAX 512 /* output channels whose scaled gradients of two pixels are staged (4 KB of stack) */

/* Every pixel, channels [0, in_c & ~15), when every 16-channel block's float weights fit the stage at once: per
 * pixel pair the scaled gradients g_out * s_W are computed once (four lanes at a time, the same products) and
 * serve every block. Returns 0 (nothing done) when the weights do not fit. */
static int tt_pw_input_all_blocks(int32_t pixels, int32_t ic, int32_t oc, const float *g_out, const int8_t *w,
                                  const float *ws, float *g_in, int32_t accumulate) {
  const int32_t nb = ic >> 4;
  if (nb * oc * 16 > TT_PW_STAGE_FLOATS || oc > TT_PW_SCALED_MAX) return 0;
  _Alignas(16) float wf[TT_PW_STAGE_FLOATS / 16][16];
  _Alignas(16) float gs[2][TT_PW_SCALED_MAX];
  const v128_t cb16 = tt_v_cvt_bias(0);
  for (int32_t bk = 0; bk < nb; bk++)
    for (int32_t o = 0; o < oc; o++) {
      v128_t wv[4];
      tt_v_cvt16(w + (int64_t)o * ic + 16 * bk, cb16, wv);
      for (int j = 0; j < 4; j++) wasm_v128_store(&wf[bk * oc + o][4 * j], wv[j]);
    }
  for (int32_t p = 0; p < pixels; p += 2) {
    const int32_t two = p + 1 < pixels;
    for (int32_t q = 0; q <= two; q++) {
      const float *g = g_out + (int64_t)(p + q) * oc;
      int32_t o = 0;
      for (; o + 4 <= oc; o += 4)
        wasm_v128_store(gs[q] + o, wasm_f32x4_mul(wasm_v128_load(g + o), wasm_v128_load(ws + o)));
      for (; o < oc; o++) gs[q][o] = g[o] * ws[o];
    }
    for (int32_t bk = 0; bk < nb; bk++)
      tt_pw_input_scaled(ic, oc, gs[0], two ? gs[1] : gs[0], two, (const float (*)[16])wf + bk * oc,
                         g_in + (int64_t)p * ic, accumulate, 16 * bk);
  }
  return 1;
}

/* Every pixel, channels [0, in_c & ~15): per 16-channel block the weights are converted to float once. */
static void tt_pw_input_blocks(int32_t pixels, int32_t ic, int32_t oc, const float *g_out, const int8_t *w,
                               const float *ws, float *g_in, int32_t accumulate) {
  _Alignas(16) float wf[TT_PW_STAGE_FLOATS / 16][16];
  const v128_t cb16 = tt_v_cvt_bias(0);
  for (int32_t i0 = 0; i0 + 16 <= ic; i0 += 16) {
    for (int32_t o = 0; o < oc; o++) {
      v128_t wv[4];
      tt_v_cvt16(w + (int64_t)o * ic + i0, cb16, wv);
      for (int j = 0; j < 4; j++) wasm_v128_store(&wf[o][4 * j], wv[j]);
    }
    for (int32_t p = 0; p < pixels; p += 2)
      tt_pw_input_staged(ic, oc, g_out + (int64_t)p * oc, p + 1 < pixels, (const float (*)[16])wf, ws,
                         g_in + (int64_t)p * ic, accumulate, i0);
  }
}
#endif

void tt_pointwise_f32_bwd_input(const tt_conv_shape *shape, const float *g_out, const int8_t *w,
                                const float *wscale, float *g_in, int32_t accumulate) {
  int32_t pixels = shape->in_h * shape->in_w, ic = shape->in_c, oc = shape->out_c, i0 = 0;
#ifdef __wasm_simd128__
  if (tt_pw_input_all_blocks(pixels, ic, oc, g_out, w, wscale, g_in, accumulate)) {
    i0 = ic & ~15;
  } else if (oc * 16 <= TT_PW_STAGE_FLOATS) {
    tt_pw_input_blocks(pixels, ic, oc, g_out, w, wscale, g_in, accumulate);
    i0 = ic & ~15;
  }
#endif
  for (int32_t p = 0; p < pixels; p++) {
    tt_pw_input_pixel(ic, oc, g_out + (int64_t)p * oc, w, wscale, g_in + (int64_t)p * ic, accumulate, i0);
  }
}

void tt_fc_f32_bwd_input(int32_t in_c, int32_t out_c, const float *g_out, const int8_t *w, const float *wscale,
                         float *g_in, int32_t accumulate) {
  tt_pw_input_pixel(in_c, out_c, g_out, w, wscale, g_in, accumulate, 0);
}

#ifndef __wasm_simd128__
/* True when some output reads input pixel (iy, ix). Pixels nobody reads (stride-2 edges) get 0, or keep
 * g_in bit for bit when accumulating. */
static int tt_pixel_is_read(const tt_conv_shape *s, int32_t iy, int32_t ix) {
  int32_t y0, y1, x0, x1;
  tt_bw_reader_range(iy, s->out_h, s->stride, s->pad, s->kernel, &y0, &y1);
  tt_bw_reader_range(ix, s->out_w, s->stride, s->pad, s->kernel, &x0, &x1);
  return y1 > y0 && x1 > x0;
}

/* One channel chunk [c0, c0+n) of one depthwise input pixel: sum over the outputs (y, x) that read it. */
static void tt_dw_input_chunk(const tt_conv_shape *s, const float *g_out, const int8_t *w, const float *ws,
                              int32_t iy, int32_t ix, int32_t c0, int32_t n, float *gi, int32_t accumulate) {
  int32_t c = s->in_c, y0, y1, x0, x1;
  tt_bw_reader_range(iy, s->out_h, s->stride, s->pad, s->kernel, &y0, &y1);
  tt_bw_reader_range(ix, s->out_w, s->stride, s->pad, s->kernel, &x0, &x1);
  float acc[TT_BW_CHUNK];
  for (int32_t j = 0; j < n; j++) acc[j] = 0.0f;
  for (int32_t y = y0; y < y1; y++) {
    int32_t ky = iy + s->pad - y * s->stride;
    for (int32_t x = x0; x < x1; x++) {
      int32_t kx = ix + s->pad - x * s->stride;
      const float *go = g_out + ((int64_t)y * s->out_w + x) * c + c0;
      const int8_t *wr = w + ((int64_t)ky * s->kernel + kx) * c + c0;
      for (int32_t j = 0; j < n; j++) acc[j] += (go[j] * ws[c0 + j]) * (float)wr[j];
    }
  }
  tt_store_row(gi + c0, acc, n, accumulate);
}
#endif

void tt_depthwise_f32_bwd_input(const tt_conv_shape *shape, const float *g_out, const int8_t *w,
                                const float *wscale, float *g_in, int32_t accumulate) {
  tt_depthwise_f32_bwd_input_rows(shape, g_out, w, wscale, g_in, accumulate, 0, shape->in_h);
}

void tt_depthwise_f32_bwd_input_rows(const tt_conv_shape *shape, const float *g_out, const int8_t *w,
                                     const float *wscale, float *g_in, int32_t accumulate, int32_t r0, int32_t r1) {
#ifdef __wasm_simd128__
  tt_bw_depthwise_input_simd(shape, g_out, w, wscale, g_in, accumulate, r0, r1);
#else
  int32_t c = shape->in_c;
  for (int32_t iy = r0; iy < r1; iy++) {
    for (int32_t ix = 0; ix < shape->in_w; ix++) {
      float *gi = g_in + ((int64_t)iy * shape->in_w + ix) * c;
      if (!tt_pixel_is_read(shape, iy, ix)) {
        for (int32_t j = 0; j < c && !accumulate; j++) gi[j] = 0.0f;
        continue;
      }
      for (int32_t c0 = 0; c0 < c; c0 += TT_BW_CHUNK) {
        int32_t n = c - c0 < TT_BW_CHUNK ? c - c0 : TT_BW_CHUNK;
        tt_dw_input_chunk(shape, g_out, w, wscale, iy, ix, c0, n, gi, accumulate);
      }
    }
  }
#endif
}

/* One channel chunk of one general-conv input pixel: outputs (y, x) that read it, then o ascending. */
static void tt_conv_input_chunk(const tt_conv_shape *s, const float *g_out, const int8_t *w, const float *ws,
                                int32_t iy, int32_t ix, int32_t i0, int32_t n, float *gi, int32_t accumulate) {
  int32_t kh = s->kernel, kw = s->kernel_w, y0, y1, x0, x1;
  tt_bw_reader_range(iy, s->out_h, s->stride, s->pad, kh, &y0, &y1);
  tt_bw_reader_range(ix, s->out_w, s->stride_w, s->pad_left, kw, &x0, &x1);
  float acc[TT_BW_CHUNK];
  for (int32_t j = 0; j < n; j++) acc[j] = 0.0f;
  for (int32_t y = y0; y < y1; y++) {
    int32_t ky = iy + s->pad - y * s->stride;
    for (int32_t x = x0; x < x1; x++) {
      int32_t kx = ix + s->pad_left - x * s->stride_w;
      const float *go = g_out + ((int64_t)y * s->out_w + x) * s->out_c;
      for (int32_t o = 0; o < s->out_c; o++) {
        float gs = go[o] * ws[o];
        const int8_t *wr = w + (((int64_t)o * kh + ky) * kw + kx) * s->in_c + i0;
        for (int32_t j = 0; j < n; j++) acc[j] += gs * (float)wr[j];
      }
    }
  }
  tt_store_row(gi + i0, acc, n, accumulate);
}

/* tt_pixel_is_read with the general conv's own width geometry (kernel_w, stride_w, pad_left). */
static int tt_conv_pixel_is_read(const tt_conv_shape *s, int32_t iy, int32_t ix) {
  int32_t y0, y1, x0, x1;
  tt_bw_reader_range(iy, s->out_h, s->stride, s->pad, s->kernel, &y0, &y1);
  tt_bw_reader_range(ix, s->out_w, s->stride_w, s->pad_left, s->kernel_w, &x0, &x1);
  return y1 > y0 && x1 > x0;
}

void tt_conv_f32_bwd_input(const tt_conv_shape *shape, const float *g_out, const int8_t *w, const float *wscale,
                           float *g_in, int32_t accumulate) {
  int32_t c = shape->in_c;
  for (int32_t iy = 0; iy < shape->in_h; iy++) {
    for (int32_t ix = 0; ix < shape->in_w; ix++) {
      float *gi = g_in + ((int64_t)iy * shape->in_w + ix) * c;
      if (!tt_conv_pixel_is_read(shape, iy, ix)) {
        for (int32_t j = 0; j < c && !accumulate; j++) gi[j] = 0.0f;
        continue;
      }
      for (int32_t i0 = 0; i0 < c; i0 += TT_BW_CHUNK) {
        int32_t n = c - i0 < TT_BW_CHUNK ? c - i0 : TT_BW_CHUNK;
        tt_conv_input_chunk(shape, g_out, w, wscale, iy, ix, i0, n, gi, accumulate);
      }
    }
  }
}
