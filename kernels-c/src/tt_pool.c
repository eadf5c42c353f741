/*
 * tt_pool.c - windowed average and max pools and zero-point padding (int8 forward, fp32 input gradients), the
 * ops imported TFLite / ONNX models put between their convolutions (AVERAGE_POOL_2D, MAX_POOL_2D, PAD).
 *
 * A window is kernel x kernel_w taps at strides (stride, stride_w) from the leading pads (pad, pad_left); only
 * in-bounds taps are read or counted. The forward loops run over a chunk of channels with the pixel loops
 * outside, so every inner loop walks contiguous independent channels: gcc and clang vectorize them (WebAssembly
 * SIMD included) without reassociating anything. Integer sums and maxima are exact in any order; the float
 * terms of the gradients are added in the order tt_kernels.h fixes, each channel on its own.
 */
#include <string.h>

#include "tt_bw_internal.h"
#include "tt_fwd_internal.h"

/* In-bounds input rows [*lo, *hi) of the window that starts at `start` and spans k taps of an axis of length len. */
static inline void in_bounds(int32_t start, int32_t k, int32_t len, int32_t *lo, int32_t *hi) {
  *lo = start < 0 ? 0 : start;
  *hi = start + k > len ? len : start + k;
  if (*hi < *lo) *hi = *lo;
}

/* The window of output (y, x): input rows [r0, r1), columns [c0, c1). */
typedef struct {
  int32_t r0, r1, c0, c1;
} window_t;

static inline window_t window_of(const tt_conv_shape *s, int32_t y, int32_t x) {
  window_t w;
  in_bounds(y * s->stride - s->pad, s->kernel, s->in_h, &w.r0, &w.r1);
  in_bounds(x * s->stride_w - s->pad_left, s->kernel_w, s->in_w, &w.c0, &w.c1);
  return w;
}

/* TFLite's rounded integer division of the stored-value sum by the tap count (ties away from zero). */
static inline int32_t div_round(int32_t raw, int32_t n) { return raw > 0 ? (raw + n / 2) / n : (raw - n / 2) / n; }

void tt_avgpool2d_s8(const tt_conv_shape *shape, const tt_quant *q, const float *count_mult, const int8_t *in,
                     int8_t *out, uint8_t *mask) {
  const tt_conv_shape *s = shape;
  const int32_t c = s->in_c;
  int32_t sum[TT_FWD_CHUNK];
  for (int32_t y = 0; y < s->out_h; y++) {
    for (int32_t x = 0; x < s->out_w; x++) {
      const window_t w = window_of(s, y, x);
      const int32_t n = (w.r1 - w.r0) * (w.c1 - w.c0), e = (y * s->out_w + x) * c;
      for (int32_t k0 = 0; k0 < c; k0 += TT_FWD_CHUNK) {
        const int32_t m = c - k0 < TT_FWD_CHUNK ? c - k0 : TT_FWD_CHUNK;
        for (int32_t j = 0; j < m; j++) sum[j] = 0;
        for (int32_t iy = w.r0; iy < w.r1; iy++)
          for (int32_t ix = w.c0; ix < w.c1; ix++) {
            const int8_t *px = in + ((int64_t)iy * s->in_w + ix) * c + k0;
            for (int32_t j = 0; j < m; j++) sum[j] += px[j];
          }
        for (int32_t j = 0; j < m; j++) {
          const int32_t y8 =
              count_mult ? tt_fwd_requant(sum[j] - n * q->in_zp, count_mult[n - 1], q->out_zp) : div_round(sum[j], n);
          tt_fwd_store(y8, q, out + e + k0 + j, mask, e + k0 + j);
        }
      }
    }
  }
}

void tt_maxpool2d_s8(const tt_conv_shape *shape, const tt_quant *q, const int8_t *in, int8_t *out, uint8_t *mask) {
  const tt_conv_shape *s = shape;
  const int32_t c = s->in_c;
  int8_t mx[TT_FWD_CHUNK];
  for (int32_t y = 0; y < s->out_h; y++) {
    for (int32_t x = 0; x < s->out_w; x++) {
      const window_t w = window_of(s, y, x);
      const int32_t e = (y * s->out_w + x) * c;
      for (int32_t k0 = 0; k0 < c; k0 += TT_FWD_CHUNK) {
        const int32_t m = c - k0 < TT_FWD_CHUNK ? c - k0 : TT_FWD_CHUNK;
        for (int32_t j = 0; j < m; j++) mx[j] = -128;
        for (int32_t iy = w.r0; iy < w.r1; iy++)
          for (int32_t ix = w.c0; ix < w.c1; ix++) {
            const int8_t *px = in + ((int64_t)iy * s->in_w + ix) * c + k0;
            for (int32_t j = 0; j < m; j++) mx[j] = px[j] > mx[j] ? px[j] : mx[j];
          }
        for (int32_t j = 0; j < m; j++) tt_fwd_store(mx[j], q, out + e + k0 + j, mask, e + k0 + j);
      }
    }
  }
}

void tt_pad_s8(const tt_conv_shape *shape, int32_t zp, const int8_t *in, int8_t *out) {
  const tt_conv_shape *s = shape;
  const int32_t c = s->in_c, row_out = s->out_w * c, left = s->pad_left * c, body = s->in_w * c;
  for (int32_t y = 0; y < s->out_h; y++) {
    int8_t *o = out + (int64_t)y * row_out;
    const int32_t iy = y - s->pad;
    if (iy < 0 || iy >= s->in_h) {
      memset(o, (int8_t)zp, (size_t)row_out);
      continue;
    }
    memset(o, (int8_t)zp, (size_t)left);
    memcpy(o + left, in + (int64_t)iy * body, (size_t)body);
    memset(o + left + body, (int8_t)zp, (size_t)(row_out - left - body));
  }
}

/* Output positions [*lo, *hi) of both axes whose window reads input pixel (iy, ix); 0 when none does. */
static int readers(const tt_conv_shape *s, int32_t iy, int32_t ix, int32_t *y0, int32_t *y1, int32_t *x0, int32_t *x1) {
  tt_bw_reader_range(iy, s->out_h, s->stride, s->pad, s->kernel, y0, y1);
  tt_bw_reader_range(ix, s->out_w, s->stride_w, s->pad_left, s->kernel_w, x0, x1);
  return *y1 > *y0 && *x1 > *x0;
}

static inline void store_chunk(float *gi, const float *acc, int32_t m, int32_t accumulate) {
  for (int32_t j = 0; j < m; j++) gi[j] = accumulate ? gi[j] + acc[j] : acc[j];
}

void tt_avgpool2d_f32_bwd_input(const tt_conv_shape *shape, const float *g_out, float *g_in, int32_t accumulate) {
  const tt_conv_shape *s = shape;
  const int32_t c = s->in_c;
  float acc[TT_BW_CHUNK];
  for (int32_t iy = 0; iy < s->in_h; iy++) {
    for (int32_t ix = 0; ix < s->in_w; ix++) {
      float *gi = g_in + ((int64_t)iy * s->in_w + ix) * c;
      int32_t y0, y1, x0, x1;
      if (!readers(s, iy, ix, &y0, &y1, &x0, &x1)) {
        for (int32_t j = 0; j < c && !accumulate; j++) gi[j] = 0.0f;
        continue;
      }
      for (int32_t k0 = 0; k0 < c; k0 += TT_BW_CHUNK) {
        const int32_t m = c - k0 < TT_BW_CHUNK ? c - k0 : TT_BW_CHUNK;
        for (int32_t j = 0; j < m; j++) acc[j] = 0.0f;
        for (int32_t y = y0; y < y1; y++)
          for (int32_t x = x0; x < x1; x++) {
            const window_t w = window_of(s, y, x);
            const float n = (float)((w.r1 - w.r0) * (w.c1 - w.c0));
            const float *go = g_out + ((int64_t)y * s->out_w + x) * c + k0;
            for (int32_t j = 0; j < m; j++) acc[j] += go[j] / n;
          }
        store_chunk(gi + k0, acc, m, accumulate);
      }
    }
  }
}

void tt_maxpool2d_f32_bwd_input(const tt_conv_shape *shape, const int8_t *in, const float *g_out, float *g_in,
                                int32_t accumulate) {
  const tt_conv_shape *s = shape;
  const int32_t c = s->in_c;
  float acc[TT_BW_CHUNK];
  int32_t before[TT_BW_CHUNK], mx[TT_BW_CHUNK];
  for (int32_t iy = 0; iy < s->in_h; iy++) {
    for (int32_t ix = 0; ix < s->in_w; ix++) {
      float *gi = g_in + ((int64_t)iy * s->in_w + ix) * c;
      int32_t y0, y1, x0, x1;
      if (!readers(s, iy, ix, &y0, &y1, &x0, &x1)) {
        for (int32_t j = 0; j < c && !accumulate; j++) gi[j] = 0.0f;
        continue;
      }
      const int8_t *self = in + ((int64_t)iy * s->in_w + ix) * c;
      for (int32_t k0 = 0; k0 < c; k0 += TT_BW_CHUNK) {
        const int32_t m = c - k0 < TT_BW_CHUNK ? c - k0 : TT_BW_CHUNK;
        for (int32_t j = 0; j < m; j++) acc[j] = 0.0f;
        for (int32_t y = y0; y < y1; y++)
          for (int32_t x = x0; x < x1; x++) {
            /* (iy, ix) is the first max of window (y, x) when it equals the max and every tap before it in
             * window order is smaller. */
            const window_t w = window_of(s, y, x);
            for (int32_t j = 0; j < m; j++) before[j] = mx[j] = -129;
            for (int32_t ty = w.r0; ty < w.r1; ty++)
              for (int32_t tx = w.c0; tx < w.c1; tx++) {
                const int8_t *px = in + ((int64_t)ty * s->in_w + tx) * c + k0;
                const int earlier = ty < iy || (ty == iy && tx < ix);
                for (int32_t j = 0; j < m; j++) {
                  mx[j] = px[j] > mx[j] ? px[j] : mx[j];
                  if (earlier) before[j] = px[j] > before[j] ? px[j] : before[j];
                }
              }
            const float *go = g_out + ((int64_t)y * s->out_w + x) * c + k0;
            for (int32_t j = 0; j < m; j++)
              if (self[k0 + j] == mx[j] && before[j] < mx[j]) acc[j] += go[j];
          }
        store_chunk(gi + k0, acc, m, accumulate);
      }
    }
  }
}

void tt_pad_f32_bwd_input(const tt_conv_shape *shape, const float *g_out, float *g_in, int32_t accumulate) {
  const tt_conv_shape *s = shape;
  const int32_t c = s->in_c, body = s->in_w * c;
  for (int32_t iy = 0; iy < s->in_h; iy++) {
    const float *go = g_out + ((int64_t)(iy + s->pad) * s->out_w + s->pad_left) * c;
    store_chunk(g_in + (int64_t)iy * body, go, body, accumulate);
  }
}
