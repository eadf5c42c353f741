/*
 * tt_dw_input_simd.c - WebAssembly SIMD depthwise input gradient (the body of tt_depthwise_f32_bwd_input).
 *
 * g_in[iy][ix][c] = sum over the outputs (y, x) that read the pixel, y then x ascending, of
 * t = (g_out[y][x][c] * s_W[c]) * (float)w[ky][kx][c], from 0.0f (tt_kernels.h).
 * Register tiling: four neighbouring pixels of one input row (ix + j, j < 4) share their readers: output x feeds
 * pixel j through tap kx = ix + j + pad - stride*x. One pass over the outputs x of a row loads and scales each
 * g_out vector once and adds it into every pixel that reads it (up to four; weights staged as float). Walking x
 * ascending walks each pixel's own terms in its order, so every element is the same float sum as the scalar loop's.
 * At the edges a group skips the outputs that do not exist; the row's last few pixels take a one-pixel path.
 */
#include "tt_bw_internal.h"

#ifdef __wasm_simd128__
#include "tt_bw_simd.h"

#define TT_DW_GROUP 4           /* pixels a pass */
#define TT_DW_STAGE_FLOATS 4096 /* depthwise weights staged as float: kernel*kernel*c <= 4096 (16 KB of stack) */

/* Four weights at `at` as float: from the float stage wf when there is one, else converted from w. */
static inline v128_t tt_dw_w4(const int8_t *w, const float *wf, int64_t at, v128_t cb) {
  return wf ? wasm_v128_load(wf + at) : tt_v_cvt4(w + at, cb);
}

/* Channels [c0, c0+4*NV) of the P pixels ix + j (j < P) of input row iy (weights from the float stage wf).
 * K (kernel), S (stride), K0, P and NV are compile-time constants after inlining: K0 is the tap through which
 * pixel ix reads its first output xf = (ix + pad - K0) / S, and pixel j reads output xf + t through tap
 * K0 + j - S*t when that is in [0, K). P*NV independent accumulator chains (8) hide the adds' latency. */
static inline __attribute__((always_inline)) void tt_dw_group_v(const tt_conv_shape *s, const float *g_out,
                                                                const float *wf, const float *ws, int32_t iy,
                                                                int32_t ix, int32_t c0, float *g_in, int32_t accumulate,
                                                                const int K, const int S, const int K0, const int P,
                                                                const int NV) {
  const int32_t c = s->in_c, T = (K0 + P - 1) / S + 1, ow = s->out_w; /* outputs the P pixels read */
  int32_t y0, y1;
  tt_bw_reader_range(iy, s->out_h, S, s->pad, K, &y0, &y1);
  const int32_t xf = (ix + s->pad - K0) / S;
  v128_t acc[8][2], sv[2];
  for (int v = 0; v < NV; v++)
    sv[v] = wasm_v128_load(ws + c0 + 4 * v);
  for (int j = 0; j < P; j++)
    for (int v = 0; v < NV; v++)
      acc[j][v] = wasm_f32x4_splat(0.0f);
  for (int32_t y = y0; y < y1; y++) {
    const float *wr = wf + (int64_t)(iy + s->pad - y * S) * K * c + c0;
    const float *g = g_out + ((int64_t)y * s->out_w + xf) * c + c0;
#pragma clang loop unroll(full)
    for (int t = 0; t < T; t++) {
      if (xf + t < 0 || xf + t >= ow)
        continue; /* output clipped by the edge: no term */
      v128_t gs[2];
      for (int v = 0; v < NV; v++)
        gs[v] = wasm_f32x4_mul(wasm_v128_load(g + (int64_t)t * c + 4 * v), sv[v]);
#pragma clang loop unroll(full)
      for (int j = 0; j < P; j++) {
        const int kx = K0 + j - S * t;
        if (kx >= 0 && kx < K)
          for (int v = 0; v < NV; v++)
            acc[j][v] = wasm_f32x4_add(acc[j][v], wasm_f32x4_mul(gs[v], wasm_v128_load(wr + (int64_t)kx * c + 4 * v)));
      }
    }
  }
  for (int j = 0; j < P; j++)
    for (int v = 0; v < NV; v++)
      tt_v_store(g_in + ((int64_t)iy * s->in_w + ix + j) * c + c0 + 4 * v, acc[j][v], accumulate);
}

/* Channels [c0, c0+4*NV) of one pixel, NV independent accumulators (NV is 4 or 1 after inlining). */
static inline __attribute__((always_inline)) void tt_dw_pixel_v(const tt_conv_shape *s, const float *g_out,
                                                                const int8_t *w, const float *wf, const float *ws,
                                                                int32_t iy, int32_t ix, int32_t c0, float *gi,
                                                                int32_t accumulate, const int NV) {
  const int32_t c = s->in_c, K = s->kernel, S = s->stride;
  int32_t y0, y1, x0, x1;
  tt_bw_reader_range(iy, s->out_h, S, s->pad, K, &y0, &y1);
  tt_bw_reader_range(ix, s->out_w, S, s->pad, K, &x0, &x1);
  const v128_t cb = tt_v_cvt_bias(0);
  v128_t a[4], sv[4];
  for (int v = 0; v < NV; v++)
    a[v] = wasm_f32x4_splat(0.0f), sv[v] = wasm_v128_load(ws + c0 + 4 * v);
  for (int32_t y = y0; y < y1; y++) {
    const int32_t ky = iy + s->pad - y * S;
    for (int32_t x = x0; x < x1; x++) {
      const int64_t at = ((int64_t)ky * K + ix + s->pad - x * S) * c + c0;
      const float *g = g_out + ((int64_t)y * s->out_w + x) * c + c0;
      for (int v = 0; v < NV; v++) {
        const v128_t gs = wasm_f32x4_mul(wasm_v128_load(g + 4 * v), sv[v]);
        a[v] = wasm_f32x4_add(a[v], wasm_f32x4_mul(gs, tt_dw_w4(w, wf, at + 4 * v, cb)));
      }
    }
  }
  for (int v = 0; v < NV; v++)
    tt_v_store(gi + c0 + 4 * v, a[v], accumulate);
}

/* One pixel, channels [c_from, c): sixteen, then four channels a pass, then one at a time. */
static void tt_dw_pixel(const tt_conv_shape *s, const float *g_out, const int8_t *w, const float *wf, const float *ws,
                        int32_t iy, int32_t ix, int32_t c_from, float *g_in, int32_t accumulate) {
  const int32_t c = s->in_c, K = s->kernel, S = s->stride;
  int32_t y0, y1, x0, x1, c0 = c_from;
  float *gi = g_in + ((int64_t)iy * s->in_w + ix) * c;
  for (; c0 + 16 <= c; c0 += 16)
    tt_dw_pixel_v(s, g_out, w, wf, ws, iy, ix, c0, gi, accumulate, 4);
  for (; c0 + 4 <= c; c0 += 4)
    tt_dw_pixel_v(s, g_out, w, wf, ws, iy, ix, c0, gi, accumulate, 1);
  tt_bw_reader_range(iy, s->out_h, S, s->pad, K, &y0, &y1);
  tt_bw_reader_range(ix, s->out_w, S, s->pad, K, &x0, &x1);
  for (; c0 < c; c0++) {
    float a = 0.0f;
    for (int32_t y = y0; y < y1; y++)
      for (int32_t x = x0; x < x1; x++) {
        const int32_t ky = iy + s->pad - y * S, kx = ix + s->pad - x * S;
        a += (g_out[((int64_t)y * s->out_w + x) * c + c0] * ws[c0]) * (float)w[((int64_t)ky * K + kx) * c + c0];
      }
    gi[c0] = accumulate ? gi[c0] + a : a;
  }
}

/* True when tt_dw_group_v may take the TT_DW_GROUP pixels ix + j: all in the row and all read by some output
 * (reader runs only move right from pixel to pixel, so the first and last pixels decide); *k0 gets its K0. */
static int tt_dw_group_ok(const tt_conv_shape *s, int32_t ix, int32_t *k0) {
  const int32_t K = s->kernel, S = s->stride, last = ix + TT_DW_GROUP - 1;
  int32_t x0, x1, u0, u1;
  if (!(K == 3 || K == 5 || K == 7) || (S != 1 && S != 2) || s->in_c < 8 || last >= s->in_w)
    return 0;
  tt_bw_reader_range(ix, s->out_w, S, s->pad, K, &x0, &x1);
  tt_bw_reader_range(last, s->out_w, S, s->pad, K, &u0, &u1);
  if (x1 <= x0 || u1 <= u0)
    return 0;
  /* first output pixel ix would read without clipping: ceil((ix + pad - K + 1) / S), for a negative numerator too */
  const int32_t a = ix + s->pad - K + 1, xf = a >= 0 ? (a + S - 1) / S : -((-a) / S);
  *k0 = ix + s->pad - xf * S; /* in [K - S, K - 1] */
  return 1;
}

/* Every vector channel block of a group, one instantiation of tt_dw_group4 per (kernel, stride, K0). */
static void tt_dw_group(const tt_conv_shape *s, const float *g_out, const int8_t *w, const float *wf, const float *ws,
                        int32_t iy, int32_t ix, int32_t k0, float *g_in, int32_t accumulate) {
  const int32_t c = s->in_c, key = s->kernel * 100 + s->stride * 10 + (s->kernel - 1 - k0);
  for (int32_t c0 = 0; c0 + 8 <= c; c0 += 8) {
    switch (key) {
#define TT_DW_CASE(K, S, D)                                                                                            \
  case K * 100 + S * 10 + D:                                                                                           \
    tt_dw_group_v(s, g_out, wf, ws, iy, ix, c0, g_in, accumulate, K, S, K - 1 - D, TT_DW_GROUP, 2);                    \
    break;
      TT_DW_CASE(3, 1, 0)
      TT_DW_CASE(5, 1, 0)
      TT_DW_CASE(7, 1, 0)
      TT_DW_CASE(3, 2, 0)
      TT_DW_CASE(3, 2, 1)
      TT_DW_CASE(5, 2, 0)
      TT_DW_CASE(5, 2, 1)
      TT_DW_CASE(7, 2, 0)
      TT_DW_CASE(7, 2, 1)
#undef TT_DW_CASE
    default: /* not reached: tt_dw_group_ok admits only the cases above */
      break;
    }
  }
  if (c & 7)
    for (int32_t j = 0; j < TT_DW_GROUP; j++)
      tt_dw_pixel(s, g_out, w, wf, ws, iy, ix + j, c & ~7, g_in, accumulate);
}

/* The walk over one input row, the same for every row that some output row reads: per step, the pixel ix and what
 * to do there (the reader ranges need divisions by the stride, so they are worked out once a call). */
#define TT_DW_MAX_STEPS 512
enum { TT_DW_UNREAD, TT_DW_GROUPED, TT_DW_ALONE };
typedef struct {
  int16_t ix;
  int8_t what; /* TT_DW_UNREAD, TT_DW_GROUPED (TT_DW_GROUP pixels from ix) or TT_DW_ALONE */
  int8_t k0;   /* tt_dw_group_v's K0 when grouped */
} tt_dw_step;

static int32_t tt_dw_plan_row(const tt_conv_shape *s, int32_t grouping, tt_dw_step *steps) {
  int32_t n = 0;
  for (int32_t ix = 0; ix < s->in_w; n++) {
    int32_t x0, x1, k0 = 0;
    tt_bw_reader_range(ix, s->out_w, s->stride, s->pad, s->kernel, &x0, &x1);
    const int32_t what =
        x1 <= x0 ? TT_DW_UNREAD : grouping && tt_dw_group_ok(s, ix, &k0) ? TT_DW_GROUPED : TT_DW_ALONE;
    steps[n] = (tt_dw_step){(int16_t)ix, (int8_t)what, (int8_t)k0};
    ix += what == TT_DW_GROUPED ? TT_DW_GROUP : 1;
  }
  return n;
}

void tt_bw_depthwise_input_simd(const tt_conv_shape *s, const float *g_out, const int8_t *w, const float *wscale,
                                float *g_in, int32_t accumulate, int32_t r0, int32_t r1) {
  /* Every input pixel reads up to kernel^2 weight vectors: convert them to float once (exact) for the call. */
  _Alignas(16) float stage[TT_DW_STAGE_FLOATS];
  const int32_t c = s->in_c, nw = s->kernel * s->kernel * c;
  const float *wf = nw <= TT_DW_STAGE_FLOATS ? stage : 0;
  for (int32_t j = 0; wf && j < nw; j++)
    stage[j] = (float)w[j];
  tt_dw_step steps[TT_DW_MAX_STEPS];
  const int32_t fits = s->in_w <= TT_DW_MAX_STEPS, n = fits ? tt_dw_plan_row(s, wf != 0, steps) : 0;
  for (int32_t iy = r0; iy < r1; iy++) {
    int32_t y0, y1;
    tt_bw_reader_range(iy, s->out_h, s->stride, s->pad, s->kernel, &y0, &y1);
    for (int32_t t = 0; t < (fits ? n : s->in_w); t++) {
      const int32_t ix = fits ? steps[t].ix : t, what = fits ? steps[t].what : TT_DW_ALONE;
      int32_t x0 = 0, x1 = 1;
      if (!fits)
        tt_bw_reader_range(ix, s->out_w, s->stride, s->pad, s->kernel, &x0, &x1);
      if (y1 <= y0 || what == TT_DW_UNREAD || x1 <= x0) { /* nobody reads the pixel(s): 0, or g_in kept */
        const int32_t np = what == TT_DW_GROUPED ? TT_DW_GROUP : 1;
        for (int32_t j = 0; j < np && !accumulate; j++)
          for (int32_t i = 0; i < c; i++)
            g_in[((int64_t)iy * s->in_w + ix + j) * c + i] = 0.0f;
      } else if (what == TT_DW_GROUPED) {
        tt_dw_group(s, g_out, w, wf, wscale, iy, ix, steps[t].k0, g_in, accumulate);
      } else {
        tt_dw_pixel(s, g_out, w, wf, wscale, iy, ix, 0, g_in, accumulate);
      }
    }
  }
}
#endif
