/*
 * tt_dw_weight_simd.c - WebAssembly SIMD depthwise weight gradient, stride 1, kernel 3, 5 or 7.
 *
 * g_w[ky][kx][c] = s_x * S, S = sum over output pixels (y, x ascending) of g_out[y][x][c] * (float)(x_q - z_x),
 * from 0.0f (tt_kernels.h). With stride 1 the taps kx of one kernel row read neighbouring input pixels of the same
 * input rows: input pixel ix feeds tap kx through output x = ix + pad - kx. So one pass over the input pixels,
 * four channels at a time, converts each input vector to float once and adds it into all kernel-row taps (one
 * f32x4 accumulator per tap, in registers). Walking ix ascending walks every tap's x ascending, so each element
 * is the same float sum, in the same order, as tt_bw_depthwise_weight_row's.
 */
#include "tt_bw_internal.h"

#ifdef __wasm_simd128__
#include "tt_bw_simd.h"

/* Kernel row ky, channels [c0, c0+4), taps kx < kk: acc[kx] += g_out[y][ix+pad-kx][c] * x[iy][ix][c]. */
static inline __attribute__((always_inline)) void dw_weight_row4(const tt_conv_shape *s, const float *g_out,
                                                                 const int8_t *in, int32_t in_stride, v128_t cb,
                                                                 int32_t ky, int32_t c0, const int32_t kk,
                                                                 v128_t *acc) {
  const int32_t c = s->out_c, pad = s->pad, ow = s->out_w, iw = s->in_w;
  int32_t y0, y1;
  tt_bw_tap_range(s->in_h, s->out_h, 1, pad, ky, &y0, &y1);
  int32_t lo = kk - 1 - pad, hi = ow - pad; /* input pixels every tap reads: 0 <= ix + pad - kx < ow */
  lo = lo < 0 ? 0 : lo;
  hi = hi > iw ? iw : hi;
  for (int32_t y = y0; y < y1; y++) {
    const int8_t *xr = in + (int64_t)(y - pad + ky) * iw * in_stride + c0;
    const float *gr = g_out + (int64_t)y * ow * c + c0;
    for (int32_t ix = 0; ix < iw; ix++) {
      const v128_t xv = tt_v_cvt4(xr + (int64_t)ix * in_stride, cb);
      if (ix >= lo && ix < hi) {
        const float *g = gr + (int64_t)(ix + pad) * c;
        for (int32_t kx = 0; kx < kk; kx++)
          acc[kx] = wasm_f32x4_add(acc[kx], wasm_f32x4_mul(wasm_v128_load(g - (int64_t)kx * c), xv));
      } else {
        for (int32_t kx = 0; kx < kk; kx++) {
          const int32_t x = ix + pad - kx;
          if (x >= 0 && x < ow)
            acc[kx] = wasm_f32x4_add(acc[kx], wasm_f32x4_mul(wasm_v128_load(gr + (int64_t)x * c), xv));
        }
      }
    }
  }
}

int tt_bw_depthwise_weight_simd(const tt_conv_shape *shape, const float *g_out, const int8_t *in, int32_t in_stride,
                                int32_t in_zp, float in_scale, int32_t k, float *g_w) {
  const int32_t kk = shape->kernel;
  if (shape->stride != 1 || (k & 3) || !(kk == 3 || kk == 5 || kk == 7)) return 0;
  const v128_t cb = tt_v_cvt_bias(in_zp), sc = wasm_f32x4_splat(in_scale);
  for (int32_t ky = 0; ky < kk; ky++) {
    for (int32_t c0 = 0; c0 < k; c0 += 4) {
      v128_t acc[7];
      for (int32_t kx = 0; kx < 7; kx++) acc[kx] = wasm_f32x4_splat(0.0f);
      if (kk == 3)
        dw_weight_row4(shape, g_out, in, in_stride, cb, ky, c0, 3, acc);
      else if (kk == 5)
        dw_weight_row4(shape, g_out, in, in_stride, cb, ky, c0, 5, acc);
      else
        dw_weight_row4(shape, g_out, in, in_stride, cb, ky, c0, 7, acc);
      for (int32_t kx = 0; kx < kk; kx++)
        wasm_v128_store(g_w + ((int64_t)ky * kk + kx) * k + c0, wasm_f32x4_mul(sc, acc[kx]));
    }
  }
  return 1;
}
#endif
