/*
 * tt_bw_internal.h - helpers shared by the backward, update and fused kernels (not part of the public API).
 *
 * The weight-gradient "row" functions are the single definition of each weight-gradient element: the plain
 * *_bwd_weight kernels and the fused *_bwd_update_s8 kernels both call them (or, for conv, a SIMD path that
 * keeps the same per-element order), so fused == unfused bit for bit by construction.
 */
#ifndef TT_BW_INTERNAL_H
#define TT_BW_INTERNAL_H

#include "tt_kernels.h"

/* Channel chunk for kernels that keep a float accumulator row on the stack (64 floats = 256 bytes). */
#define TT_BW_CHUNK 64

/* Output positions o in [*lo, *hi) whose input coordinate o*stride - pad + tap lies in [0, in_len). */
static inline void tt_bw_tap_range(int32_t in_len, int32_t out_len, int32_t stride, int32_t pad, int32_t tap,
                                   int32_t *lo, int32_t *hi) {
  int32_t first = pad - tap; /* smallest o*stride allowed */
  int32_t last = in_len - 1 + pad - tap;
  *lo = first <= 0 ? 0 : (first + stride - 1) / stride;
  *hi = last < 0 ? 0 : last / stride + 1;
  if (*hi > out_len) *hi = out_len;
  if (*hi < *lo) *hi = *lo;
}

/* Output positions o in [*lo, *hi) that read input coordinate ip with some tap in [0, kernel):
 * 0 <= ip + pad - o*stride < kernel. */
static inline void tt_bw_reader_range(int32_t ip, int32_t out_len, int32_t stride, int32_t pad, int32_t kernel,
                                      int32_t *lo, int32_t *hi) {
  int32_t first = ip + pad - kernel + 1; /* smallest o*stride allowed */
  *lo = first <= 0 ? 0 : (first + stride - 1) / stride;
  *hi = (ip + pad) / stride + 1;
  if (*hi > out_len) *hi = out_len;
  if (*hi < *lo) *hi = *lo;
}

/* Weight-gradient row o of a pointwise conv: row[i] = in_scale * sum_p g_out[p][o] * (x[p][i] - in_zp), i < k. */
void tt_bw_pointwise_weight_row(const tt_conv_shape *shape, const float *g_out, const int8_t *in, int32_t in_stride,
                                int32_t in_zp, float in_scale, int32_t k, int32_t o, float *row);

/* Rows [o0, o1) of the pointwise weight gradient into dst [o1-o0][k]: each element bit-identical to
 * tt_bw_pointwise_weight_row's (the WebAssembly SIMD build shares converted input across rows). */
void tt_bw_pointwise_weight_rows(const tt_conv_shape *shape, const float *g_out, const int8_t *in, int32_t in_stride,
                                 int32_t in_zp, float in_scale, int32_t k, int32_t o0, int32_t o1, float *dst);

/* Weight-gradient row o of a general conv, layout [kernel][kernel][k]. */
void tt_bw_conv_weight_row(const tt_conv_shape *shape, const float *g_out, const int8_t *in, int32_t in_stride,
                           int32_t in_zp, float in_scale, int32_t k, int32_t o, float *row);

/* Rows [o0, o1) of the general conv weight gradient into dst [o1-o0][kernel][kernel][k], output channels
 * vectorized (the same elements as tt_bw_conv_weight_row). */
void tt_bw_conv_weight_rows(const tt_conv_shape *shape, const float *g_out, const int8_t *in, int32_t in_stride,
                            int32_t in_zp, float in_scale, int32_t k, int32_t o0, int32_t o1, float *dst);

/* Weight-gradient row of a depthwise conv for one tap (ky, kx): row[c], c < k. */
void tt_bw_depthwise_weight_row(const tt_conv_shape *shape, const float *g_out, const int8_t *in,
                                int32_t in_stride, int32_t in_zp, float in_scale, int32_t k, int32_t ky,
                                int32_t kx, float *row);

#ifdef __wasm_simd128__
/* The whole depthwise weight gradient [kernel][kernel][k] when stride is 1 or 2, kernel is 3, 5 or 7 and k % 4 == 0
 * (tt_dw_weight_simd.c): returns 1, else 0 and writes nothing. Elements identical to the row function's. */
int tt_bw_depthwise_weight_simd(const tt_conv_shape *shape, const float *g_out, const int8_t *in, int32_t in_stride,
                                int32_t in_zp, float in_scale, int32_t k, float *g_w);

/* The depthwise input gradient of input rows [r0, r1) (tt_dw_input_simd.c): those elements of
 * tt_depthwise_f32_bwd_input. */
void tt_bw_depthwise_input_simd(const tt_conv_shape *s, const float *g_out, const int8_t *w, const float *wscale,
                                float *g_in, int32_t accumulate, int32_t r0, int32_t r1);
#endif

/* tt_update_s8's rule on n consecutive elements: dst[j] = saturate(dst[j] - R(lr * (g[j] * gs))) with
 * gs = gscale[j] when per_element, else gscale[0]. Draws from rng in j order when stochastic. */
void tt_bw_update_row_s8(int32_t n, const float *g, const float *gscale, int32_t per_element, float lr,
                         int32_t rounding, int8_t *dst, tt_rng *rng);

#endif /* TT_BW_INTERNAL_H */
