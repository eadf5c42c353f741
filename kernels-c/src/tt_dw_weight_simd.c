/*
 * tt_dw_weight_simd.c - WebAssembly SIMD depthwise weight gradient, stride 1 or 2, kernel 3, 5 or 7.
 *
 * g_w[ky][kx][c] = s_x * S, S = sum over output pixels (y, x ascending) of g_out[y][x][c] * (float)(x_q - z_x),
 * from 0.0f (tt_kernels.h). The taps kx of one kernel row read neighbouring input pixels of the same input rows:
 * input pixel ix feeds tap kx through output x = (ix + pad - kx) / stride when that divides (at stride 2, the taps
 * of one parity). So one pass over the input pixels, four channels at a time, converts each input vector to float
 * once and adds it into its taps of the kernel row (one f32x4 accumulator per tap, in registers). Walking ix
 * ascending walks every tap's x ascending, so each element is the same float sum, in the same order, as
 * tt_bw_depthwise_weight_row's. When a 4-channel chunk of the whole input fits a stack stage as float (the usual
 * case), it is converted once per chunk and the pass walks the outputs x instead: one g_out load serves every tap,
 * which reads the stage at a constant offset (dw_weight_outputs); each tap's x still ascends.
 */
#include "tt_bw_internal.h"

#ifdef __wasm_simd128__
#include "tt_bw_simd.h"

#define TT_DW_XSTAGE_FLOATS 16384 /* converted input: pixels * 16 floats, or pixels * 4 (64 KB of stack) */

/* Taps Q, Q+S, ... < K of the input vectors xv[v < NV]: tap kx reads output x = xq - (kx - Q) / S of the output
 * row gr (xq: the output tap Q reads). checked: skip outputs outside [0, ow). */
static inline __attribute__((always_inline)) void dw_weight_taps(const float *gr, int32_t c, int32_t ow, int32_t xq,
                                                                 const v128_t *xv, v128_t (*acc)[2], const int K,
                                                                 const int S, const int Q, const int NV,
                                                                 const int checked) {
  for (int kx = Q; kx < K; kx += S) {
    const int32_t x = xq - (kx - Q) / S;
    if (!checked || (x >= 0 && x < ow))
      for (int v = 0; v < NV; v++)
        acc[kx][v] = wasm_f32x4_add(acc[kx][v], wasm_f32x4_mul(wasm_v128_load(gr + (int64_t)x * c + 4 * v), xv[v]));
  }
}

/* Kernel row ky, channels [c0, c0+4*NV), the taps kx = Q, Q+S, ... < K: acc[kx] += g_out[y][x][c] * x[iy][ix][c]
 * with ix = x*S - pad + kx. Walks the input pixels of each row that feed those taps ((ix + pad) % S == Q) once,
 * one conversion each, ascending. */
static inline __attribute__((always_inline)) void dw_weight_pass(const tt_conv_shape *s, const float *g_out,
                                                                 const int8_t *in, int32_t in_stride, v128_t cb,
                                                                 int32_t ky, int32_t c0, v128_t (*acc)[2],
                                                                 const int K, const int S, const int Q,
                                                                 const int NV) {
  const int32_t c = s->out_c, pad = s->pad, ow = s->out_w, iw = s->in_w;
  int32_t y0, y1;
  tt_bw_tap_range(s->in_h, s->out_h, S, pad, ky, &y0, &y1);
  const int32_t first = ((Q - pad) % S + S) % S; /* smallest ix with (ix + pad) % S == Q */
  for (int32_t y = y0; y < y1; y++) {
    const int8_t *xr = in + (int64_t)(y * S - pad + ky) * iw * in_stride + c0;
    const float *gr = g_out + (int64_t)y * ow * c + c0;
    for (int32_t ix = first; ix < iw; ix += S) {
      v128_t xv[2];
      for (int v = 0; v < NV; v++)
        xv[v] = tt_v_cvt4(xr + (int64_t)ix * in_stride + 4 * v, cb);
      const int32_t xq = (ix + pad - Q) / S;
      if (xq < ow && xq - (K - 1 - Q) / S >= 0) /* every tap's output exists */
        dw_weight_taps(gr, c, ow, xq, xv, acc, K, S, Q, NV, 0);
      else
        dw_weight_taps(gr, c, ow, xq, xv, acc, K, S, Q, NV, 1);
    }
  }
}

/* Kernel row ky, channels [c0, c0+4), every tap, from the chunk's input staged as float (xs: [pixel][4]): walks
 * the outputs x of each row ascending, loads g_out[y][x] once and adds it into every tap (tap kx reads the staged
 * input at column x*S - pad + kx, a constant offset from the first). */
static inline __attribute__((always_inline)) void dw_weight_outputs(const tt_conv_shape *s, const float *g_out,
                                                                    const float *xs, int32_t ky, int32_t c0,
                                                                    v128_t (*acc)[2], const int K, const int S) {
  const int32_t c = s->out_c, pad = s->pad, ow = s->out_w, iw = s->in_w;
  int32_t y0, y1;
  tt_bw_tap_range(s->in_h, s->out_h, S, pad, ky, &y0, &y1);
  for (int32_t y = y0; y < y1; y++) {
    const float *xrow = xs + (int64_t)(y * S - pad + ky) * iw * 4;
    const float *gr = g_out + (int64_t)y * ow * c + c0;
    for (int32_t x = 0; x < ow; x++) {
      const int32_t left = x * S - pad; /* input column of tap 0 */
      const v128_t g = wasm_v128_load(gr + (int64_t)x * c);
      const float *xp = xrow + (int64_t)left * 4;
      if (left >= 0 && left + K <= iw) {
        for (int kx = 0; kx < K; kx++)
          acc[kx][0] = wasm_f32x4_add(acc[kx][0], wasm_f32x4_mul(g, wasm_v128_load(xp + 4 * kx)));
      } else {
        for (int kx = 0; kx < K; kx++)
          if (left + kx >= 0 && left + kx < iw)
            acc[kx][0] = wasm_f32x4_add(acc[kx][0], wasm_f32x4_mul(g, wasm_v128_load(xp + 4 * kx)));
      }
    }
  }
}

/* Kernel row ky, channels [c0, c0+4*NV), every tap: one pass at stride 1, one per parity class at stride 2 (the
 * classes feed disjoint taps, so each tap still sums its outputs in order). */
static inline __attribute__((always_inline)) void
dw_weight_row(const tt_conv_shape *s, const float *g_out, const int8_t *in, int32_t in_stride, v128_t cb,
              const float *xs, int32_t ky, int32_t c0, v128_t (*acc)[2], const int K, const int S, const int NV) {
  if (xs) {
    dw_weight_outputs(s, g_out, xs, ky, c0, acc, K, S);
    return;
  }
  dw_weight_pass(s, g_out, in, in_stride, cb, ky, c0, acc, K, S, 0, NV);
  if (S == 2)
    dw_weight_pass(s, g_out, in, in_stride, cb, ky, c0, acc, K, S, 1, NV);
}

int tt_bw_depthwise_weight_simd(const tt_conv_shape *shape, const float *g_out, const int8_t *in, int32_t in_stride,
                                int32_t in_zp, float in_scale, int32_t k, float *g_w) {
  const int32_t kk = shape->kernel, st = shape->stride;
  if ((st != 1 && st != 2) || (k & 3) || !(kk == 3 || kk == 5 || kk == 7))
    return 0;
  const v128_t cb = tt_v_cvt_bias(in_zp), sc = wasm_f32x4_splat(in_scale);
  const int32_t pixels = shape->in_h * shape->in_w;
  _Alignas(16) float stage[TT_DW_XSTAGE_FLOATS];
  /* Sixteen channels staged at once when they fit: one 16-byte load converts a pixel's four 4-channel chunks,
   * each kept as its own [pixel][4] stage (stage + j * pixels * 4), then the chunks run one after another as
   * below. The same values, so the same sums. */
  int32_t staged16 = -1; /* the first channel of the sixteen in the stage, or -1 */
  /* eight channels a pass at stride 2 (at most four taps a pass: 8 accumulators), four at stride 1 (7 taps) */
  for (int32_t c0 = 0, nv; c0 < k; c0 += 4 * nv) {
    /* The chunk's input converted to float once (exact) when it fits, instead of once per kernel row and pixel. */
    const float *xs = pixels * 4 <= TT_DW_XSTAGE_FLOATS ? stage : 0;
    nv = !xs && st == 2 && c0 + 8 <= k ? 2 : 1;
    if (xs && (c0 & 15) == 0 && c0 + 16 <= k && pixels * 16 <= TT_DW_XSTAGE_FLOATS) {
      for (int32_t p = 0; p < pixels; p++) {
        v128_t f[4];
        tt_v_cvt16(in + (int64_t)p * in_stride + c0, cb, f);
        for (int32_t j = 0; j < 4; j++)
          wasm_v128_store(stage + ((int64_t)j * pixels + p) * 4, f[j]);
      }
      staged16 = c0;
    }
    if (xs && staged16 >= 0 && c0 >= staged16 && c0 < staged16 + 16)
      xs = stage + (int64_t)((c0 - staged16) >> 2) * pixels * 4;
    else
      for (int32_t p = 0; xs && p < pixels; p++)
        for (int32_t v = 0; v < nv; v++)
          wasm_v128_store(stage + ((int64_t)p * nv + v) * 4, tt_v_cvt4(in + (int64_t)p * in_stride + c0 + 4 * v, cb));
    for (int32_t ky = 0; ky < kk; ky++) {
      v128_t acc[7][2];
      for (int32_t kx = 0; kx < 7; kx++)
        acc[kx][0] = acc[kx][1] = wasm_f32x4_splat(0.0f);
      switch (kk * 100 + st * 10 + nv) {
#define TT_DW_ROW(K, S, NV)                                                                                            \
  case K * 100 + S * 10 + NV:                                                                                          \
    dw_weight_row(shape, g_out, in, in_stride, cb, xs, ky, c0, acc, K, S, NV);                                         \
    break;
        TT_DW_ROW(3, 1, 1)
        TT_DW_ROW(5, 1, 1)
        TT_DW_ROW(7, 1, 1)
        TT_DW_ROW(3, 2, 1)
        TT_DW_ROW(5, 2, 1)
        TT_DW_ROW(7, 2, 1)
        TT_DW_ROW(3, 2, 2)
        TT_DW_ROW(5, 2, 2)
        TT_DW_ROW(7, 2, 2)
#undef TT_DW_ROW
      default: /* not reached: the cases above are every admitted (kernel, stride, nv) */
        break;
      }
      for (int32_t kx = 0; kx < kk; kx++)
        for (int32_t v = 0; v < nv; v++)
          wasm_v128_store(g_w + ((int64_t)ky * kk + kx) * k + c0 + 4 * v, wasm_f32x4_mul(sc, acc[kx][v]));
    }
  }
  return 1;
}
#endif
