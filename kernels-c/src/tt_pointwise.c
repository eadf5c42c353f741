/*
 * tt_pointwise.c - pointwise 1x1 conv and the fully connected classifier (int8 forward).
 *
 * acc[p][o] = bias[o] + sum_i (x[p][i] - in_zp) * w[o][i], then the requantization of tt_kernels.h. The
 * portable loops are what the firmware runs (gcc auto-vectorizes the inner dot product natively); under
 * WebAssembly SIMD each input pixel is widened once to int16 and the weights, packed once a call with output
 * channels in the lanes, meet it in tt_fwd_gemm2_packed_simd (tt_fwd_gemm2_simd when a call has too few pixels or
 * the packing does not fit).
 */
#include "tt_fwd_internal.h"
#include "tt_arm_dsp.h"

/* One pixel, all outputs: the portable definition. */
static void pixel_portable(const int8_t *x, int32_t in_c, int32_t out_c, const tt_quant *q, const int8_t *w,
                           const int32_t *bias, const void *mult, int8_t *out, uint8_t *mask, int32_t e) {
  const int32_t zp = q->in_zp;
  int32_t o = 0;
#if TT_FWD_BLOCKED && !defined(__ARM_FEATURE_DSP)
  for (; o + 16 <= out_c; o += 16) { /* 16 outputs, four per pass over x, requantized together */
    int32_t acc[16];
    for (int32_t j = 0; j < 16; j += 4) tt_fwd_dot4_s8(x, w + (o + j) * in_c, in_c, zp, acc + j);
    for (int32_t j = 0; j < 16; j++) acc[j] += bias[o + j];
    tt_fwd_store16(acc, mult, o, q, out + o, mask, e + o);
  }
  for (; o + 4 <= out_c; o += 4) { /* four outputs per pass over x (vectorized by gcc) */
    int32_t acc[4];
    tt_fwd_dot4_s8(x, w + o * in_c, in_c, zp, acc);
    for (int32_t j = 0; j < 4; j++)
      tt_fwd_store(tt_fwd_requant_ch(acc[j] + bias[o + j], mult, o + j, q), q, out + o + j, mask, e + o + j);
  }
#endif
  for (; o < out_c; o++) {
    const int8_t *wo = w + o * in_c;
#if defined(__ARM_FEATURE_DSP) /* firmware on Cortex-M4/M7: SMLAD, same sum (tt_arm_dsp.h) */
    int32_t acc = tt_dot_s8_dsp(x, wo, in_c, zp);
#else
    int32_t acc = 0;
    for (int32_t i = 0; i < in_c; i++) acc += (x[i] - zp) * wo[i];
#endif
    tt_fwd_store(tt_fwd_requant_ch(acc + bias[o], mult, o, q), q, out + o, mask, e + o);
  }
}

#ifdef __wasm_simd128__
/* Packed weights (tt_fwd_pack_simd) of a pointwise layer up to this size are staged on the stack once a call. */
#define TT_PW_PACK_BYTES 32768

/* n contiguous pixels (one row of a band), two at a time through the SIMD core (wp: packed weights, or NULL). */
static void pixels_simd(const int8_t *x, int32_t n, int32_t in_c, int32_t out_c, const tt_quant *q, const int8_t *w,
                        const int16_t *wp, const int32_t *bias, const void *mult, int8_t *out, uint8_t *mask,
                        int32_t e) {
  _Alignas(16) int16_t xs[2][TT_SIMD_MAX_K];
  tt_simd_epi ep;
  tt_simd_epi_init(q, mult, out_c, &ep);
  const int32_t kp = (in_c + 7) & ~7;
  for (int32_t p = 0; p < n; p += 2) {
    const int32_t two = p + 1 < n;
    tt_fwd_widen_simd(x + p * in_c, in_c, q->in_zp, xs[0]);
    if (two) tt_fwd_widen_simd(x + (p + 1) * in_c, in_c, q->in_zp, xs[1]);
    if (wp)
      tt_fwd_gemm2_packed_simd(xs[0], two ? xs[1] : xs[0], kp, wp, out_c, bias, mult, q, &ep, out + p * out_c,
                               two ? out + (p + 1) * out_c : 0, mask, e + p * out_c, e + (p + 1) * out_c);
    else
      tt_fwd_gemm2_simd(xs[0], two ? xs[1] : xs[0], kp, w, in_c, out_c, bias, mult, q, &ep, out + p * out_c,
                        two ? out + (p + 1) * out_c : 0, mask, e + p * out_c, e + (p + 1) * out_c);
  }
}
#endif

/* n contiguous pixels starting at mask element e (wp: packed weights for the SIMD core, or NULL). */
static void pixels(const int8_t *x, int32_t n, int32_t in_c, int32_t out_c, const tt_quant *q, const int8_t *w,
                   const int16_t *wp, const int32_t *bias, const void *mult, int8_t *out, uint8_t *mask, int32_t e) {
#ifdef __wasm_simd128__
  if (in_c <= TT_SIMD_MAX_K) {
    pixels_simd(x, n, in_c, out_c, q, w, wp, bias, mult, out, mask, e);
    return;
  }
#else
  (void)wp;
#endif
  for (int32_t p = 0; p < n; p++)
    pixel_portable(x + p * in_c, in_c, out_c, q, w, bias, mult, out + p * out_c, mask, e + p * out_c);
}

void tt_pointwise_s8(const tt_conv_shape *shape, const tt_quant *q, const int8_t *in, const int8_t *w,
                     const int32_t *bias, const void *mult, int8_t *out, uint8_t *mask, int32_t r0, int32_t r1) {
  const int32_t width = shape->out_w, in_c = shape->in_c, out_c = shape->out_c;
  const int16_t *wp = 0;
#ifdef __wasm_simd128__
  /* Weights packed once a call (output channels in lanes) when the band has enough pixels to repay it. */
  _Alignas(16) int16_t packed[TT_PW_PACK_BYTES / 2];
  if (tt_fwd_pack_bytes(in_c, out_c) <= TT_PW_PACK_BYTES && (r1 - r0) * width >= 4) {
    tt_fwd_pack_simd(w, in_c, out_c, packed);
    wp = packed;
  }
#endif
  for (int32_t y = r0; y < r1; y++) {
    const int8_t *x = in + (y % shape->in_ring) * width * in_c;
    int8_t *o = out + (y % shape->out_ring) * width * out_c;
    pixels(x, width, in_c, out_c, q, w, wp, bias, mult, o, mask, y * width * out_c);
  }
}

void tt_fc_s8(int32_t in_c, int32_t out_c, const tt_quant *q, const int8_t *in, const int8_t *w, const int32_t *bias,
              const void *mult, int8_t *out, uint8_t *mask) {
  pixels(in, 1, in_c, out_c, q, w, 0, bias, mult, out, mask, 0);
}
