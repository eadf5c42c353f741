/*
 * tt_arm_dsp.h - int8 dot product with the Arm DSP extension (Cortex-M4/M7/M33/M55: __ARM_FEATURE_DSP), for the
 * firmware builds of the portable forward kernels. Not part of the public API.
 *
 * sum_i (x[i] - zp) * w[i], four elements per step: SXTB16 sign-extends bytes 0,2 (and, after a rotate by 8,
 * bytes 1,3) of a word into two int16 lanes; SSUB16 subtracts the zero point from both lanes (x - zp lies in
 * [-255, 255], no lane overflow); SMLAD adds both lane products to the accumulator. Every product and partial
 * sum is an exact int32 (|sum| <= 255 * 128 * n, far below 2^31 for any layer here), and integer addition is
 * associative, so the result equals the portable loop's bit for bit whatever the order.
 */
#ifndef TT_ARM_DSP_H
#define TT_ARM_DSP_H

#include <stdint.h>

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#include <string.h>

/* 4 bytes from any address (memcpy: one LDR, unaligned word loads are allowed on ARMv7E-M). */
static inline uint32_t tt_dsp_load4(const int8_t *p) {
  uint32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

static inline int32_t tt_dot_s8_dsp(const int8_t *x, const int8_t *w, int32_t n, int32_t zp) {
  const int16x2_t zz = (int16x2_t)(((uint32_t)(uint16_t)zp << 16) | (uint16_t)zp);
  int32_t acc = 0;
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const uint32_t xv = tt_dsp_load4(x + i), wv = tt_dsp_load4(w + i);
    const int16x2_t x02 = __ssub16(__sxtb16((int8x4_t)xv), zz);
    const int16x2_t x13 = __ssub16(__sxtb16((int8x4_t)((xv >> 8) | (xv << 24))), zz);
    acc = __smlad(x02, __sxtb16((int8x4_t)wv), acc);
    acc = __smlad(x13, __sxtb16((int8x4_t)((wv >> 8) | (wv << 24))), acc);
  }
  for (; i < n; i++) acc += (x[i] - zp) * w[i];
  return acc;
}
#endif /* __ARM_FEATURE_DSP */

#endif /* TT_ARM_DSP_H */
