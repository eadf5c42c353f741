/*
 * tt_fused.c - fused weight gradient + QAS update (operator reordering, PAPER-FACTS section 4).
 *
 * Each kernel computes one gradient row into scratch with the same row function the plain *_bwd_weight kernel
 * uses, then applies tt_update_s8's rule to it at once, rows in the order of the dense gradient. So weights
 * and rng state equal *_bwd_weight + tt_update_s8 bit for bit, while only one row of fp32 gradient exists:
 *   pointwise / fc: row = output channel o, k floats      (update params: rows out_c, cols k)
 *   conv:           row = output channel o, kh*kw*k floats (rows out_c*kh*kw, rows_per_channel kh*kw)
 *   depthwise:      row = kernel tap (ky, kx), k floats  (rows kernel^2, channel_is_col 1)
 * Scratch sizes are in bytes.
 *
 * The WebAssembly SIMD build computes a block of rows at once into a stack buffer (the row-range functions of
 * the unfused kernels, whose SIMD paths share converted inputs across rows), then updates those rows in order:
 * the same elements and the same rng draws. Firmware and native builds keep the one-row scratch.
 */
#include "tt_bw_internal.h"

#ifdef __wasm_simd128__
#define TT_FUSED_BLOCK_FLOATS 4096 /* 16 KB of stack for a block of gradient rows */
#define TT_FUSED_MAX_ROWS 16

/* Rows per block for rows of `len` floats, or 0 when fewer than two fit (then the one-row path runs). */
static int32_t tt_fused_rows(int32_t len) {
  int32_t r = len > 0 ? TT_FUSED_BLOCK_FLOATS / len : 0;
  return r < 2 ? 0 : r > TT_FUSED_MAX_ROWS ? TT_FUSED_MAX_ROWS : r;
}
#endif

int32_t tt_pointwise_bwd_update_get_buffer_size(const tt_conv_shape *shape, int32_t k) {
  (void)shape;
  return k * (int32_t)sizeof(float);
}

void tt_pointwise_bwd_update_s8(const tt_conv_shape *shape, const float *g_out, const int8_t *in,
                                int32_t in_stride, int32_t in_zp, float in_scale, int32_t k, const float *gscale,
                                float lr, int32_t rounding, int8_t *w, tt_rng *rng, float *scratch) {
  tt_pointwise_bwd_update_s8_range(shape, g_out, in, in_stride, in_zp, in_scale, k, gscale, lr, rounding, w, rng,
                                   scratch, 0, shape->out_c);
}

void tt_pointwise_bwd_update_s8_range(const tt_conv_shape *shape, const float *g_out, const int8_t *in,
                                      int32_t in_stride, int32_t in_zp, float in_scale, int32_t k,
                                      const float *gscale, float lr, int32_t rounding, int8_t *w, tt_rng *rng,
                                      float *scratch, int32_t c0, int32_t c1) {
#ifdef __wasm_simd128__
  const int32_t rows = tt_fused_rows(k);
  if (rows) {
    _Alignas(16) float blk[TT_FUSED_BLOCK_FLOATS];
    for (int32_t o0 = c0; o0 < c1; o0 += rows) {
      const int32_t o1 = c1 - o0 < rows ? c1 : o0 + rows;
      tt_bw_pointwise_weight_rows(shape, g_out, in, in_stride, in_zp, in_scale, k, o0, o1, blk);
      for (int32_t o = o0; o < o1; o++)
        tt_bw_update_row_s8(k, blk + (int64_t)(o - o0) * k, gscale + o, 0, lr, rounding, w + (int64_t)o * shape->in_c,
                            rng);
    }
    return;
  }
#endif
  for (int32_t o = c0; o < c1; o++) {
    tt_bw_pointwise_weight_row(shape, g_out, in, in_stride, in_zp, in_scale, k, o, scratch);
    tt_bw_update_row_s8(k, scratch, gscale + o, 0, lr, rounding, w + (int64_t)o * shape->in_c, rng);
  }
}

int32_t tt_conv_bwd_update_get_buffer_size(const tt_conv_shape *shape, int32_t k) {
  return shape->kernel * shape->kernel_w * k * (int32_t)sizeof(float);
}

void tt_conv_bwd_update_s8(const tt_conv_shape *shape, const float *g_out, const int8_t *in, int32_t in_stride,
                           int32_t in_zp, float in_scale, int32_t k, const float *gscale, float lr,
                           int32_t rounding, int8_t *w, tt_rng *rng, float *scratch) {
  int32_t taps = shape->kernel * shape->kernel_w;
#ifdef __wasm_simd128__
  const int32_t rows = tt_fused_rows(taps * k);
  if (rows) {
    _Alignas(16) float blk[TT_FUSED_BLOCK_FLOATS];
    for (int32_t o0 = 0; o0 < shape->out_c; o0 += rows) {
      const int32_t o1 = shape->out_c - o0 < rows ? shape->out_c : o0 + rows;
      tt_bw_conv_weight_rows(shape, g_out, in, in_stride, in_zp, in_scale, k, o0, o1, blk);
      for (int32_t o = o0; o < o1; o++)
        for (int32_t t = 0; t < taps; t++)
          tt_bw_update_row_s8(k, blk + ((int64_t)(o - o0) * taps + t) * k, gscale + o, 0, lr, rounding,
                              w + ((int64_t)o * taps + t) * shape->in_c, rng);
    }
    return;
  }
#endif
  for (int32_t o = 0; o < shape->out_c; o++) {
    tt_bw_conv_weight_row(shape, g_out, in, in_stride, in_zp, in_scale, k, o, scratch);
    for (int32_t t = 0; t < taps; t++) {
      int8_t *dst = w + ((int64_t)o * taps + t) * shape->in_c;
      tt_bw_update_row_s8(k, scratch + (int64_t)t * k, gscale + o, 0, lr, rounding, dst, rng);
    }
  }
}

int32_t tt_depthwise_bwd_update_get_buffer_size(const tt_conv_shape *shape, int32_t k) {
  (void)shape;
  return k * (int32_t)sizeof(float);
}

void tt_depthwise_bwd_update_s8(const tt_conv_shape *shape, const float *g_out, const int8_t *in,
                                int32_t in_stride, int32_t in_zp, float in_scale, int32_t k,
                                const float *gscale, float lr, int32_t rounding, int8_t *w, tt_rng *rng,
                                float *scratch) {
#ifdef __wasm_simd128__
  const int32_t taps = shape->kernel * shape->kernel;
  if (taps * k <= TT_FUSED_BLOCK_FLOATS) { /* the whole gradient fits: compute it at once, then update tap rows */
    _Alignas(16) float blk[TT_FUSED_BLOCK_FLOATS];
    tt_depthwise_f32_bwd_weight(shape, g_out, in, in_stride, in_zp, in_scale, k, blk);
    for (int32_t t = 0; t < taps; t++)
      tt_bw_update_row_s8(k, blk + (int64_t)t * k, gscale, 1, lr, rounding, w + (int64_t)t * shape->in_c, rng);
    return;
  }
#endif
  for (int32_t ky = 0; ky < shape->kernel; ky++) {
    for (int32_t kx = 0; kx < shape->kernel; kx++) {
      tt_bw_depthwise_weight_row(shape, g_out, in, in_stride, in_zp, in_scale, k, ky, kx, scratch);
      int8_t *dst = w + ((int64_t)ky * shape->kernel + kx) * shape->in_c;
      tt_bw_update_row_s8(k, scratch, gscale, 1, lr, rounding, dst, rng);
    }
  }
}

int32_t tt_fc_bwd_update_get_buffer_size(int32_t in_c, int32_t out_c, int32_t k) {
  (void)in_c;
  (void)out_c;
  return k * (int32_t)sizeof(float);
}

void tt_fc_bwd_update_s8(int32_t in_c, int32_t out_c, const float *g_out, const int8_t *in, int32_t in_zp,
                         float in_scale, int32_t k, const float *gscale, float lr, int32_t rounding, int8_t *w,
                         tt_rng *rng, float *scratch) {
  tt_conv_shape one = {1, 1, in_c, 1, 1, out_c, 1, 1, 0, 1, 1, 1, 1, 0};
  tt_pointwise_bwd_update_s8(&one, g_out, in, in_c, in_zp, in_scale, k, gscale, lr, rounding, w, rng, scratch);
}
