/*
 * tt_math.c - exp and log from float32 +, -, *, / and exact bit manipulation, and softmax cross-entropy.
 *
 * libm is not used: glibc, newlib and the browsers all round differently. Every operation below is a single
 * IEEE float32 operation in a fixed order (the TypeScript reference src/compiler/reference/math.ts repeats
 * them one for one with Math.fround), so every build gives the same bits.
 */
#include <string.h>

#include "tt_kernels.h"

static inline float from_bits(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

static inline uint32_t to_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

/* ln 2 split so that k * LN2_HI is exact for |k| < 2^9 (LN2_HI has 15 significant bits). */
#define LN2_HI 0x1.62e4p-1f
#define LN2_LO 0x1.7f7d1cp-20f
#define ROUND_MAGIC 0x1.8p23f /* (t + 1.5*2^23) - 1.5*2^23 rounds t to the nearest integer, ties to even */

/* exp(x) = 2^k * e^r, k = round(x / ln 2), r = x - k ln 2 in [-0.35, 0.35] (Cody-Waite, two steps);
 * e^r = 1 + (r + r^2 q(r)) with q the Taylor series 1/2 + r/6 + ... + r^5/5040 (truncation < 0.1 ulp).
 * 2^k is built from its bits; below 2^-126 the result is scaled in two steps so it rounds only once. */
float tt_expf(float x) {
  if (x != x) return x + x;
  if (x > 0x1.62e430p6f) return from_bits(0x7f800000u); /* above ln(FLT_MAX): +inf */
  if (x < -104.0f) return 0.0f;                         /* below ln(2^-150): rounds to 0 */
  float kf = (x * 0x1.715476p0f + ROUND_MAGIC) - ROUND_MAGIC;
  int32_t k = (int32_t)kf;
  float r = (x - kf * LN2_HI) - kf * LN2_LO;
  float q = 0x1p-1f + r * (0x1.555556p-3f +
                           r * (0x1.555556p-5f + r * (0x1.111112p-7f + r * (0x1.6c16c2p-10f + r * 0x1.a01a02p-13f))));
  float p = 1.0f + (r + (r * r) * q);
  if (k > 127) return (p * 2.0f) * 0x1p127f;
  if (k < -126) return (p * from_bits((uint32_t)(k + 227) << 23)) * 0x1p-100f;
  return p * from_bits((uint32_t)(k + 127) << 23);
}

/* log(x) = e ln 2 + log(m), x = 2^e m with m in [sqrt(1/2), sqrt(2)) (exact bit manipulation). With
 * f = m - 1 (exact), s = f / (2 + f): log(m) = 2 atanh(s) = 2s + s R, R = z (2/3 + z (2/5 + z (2/7 + z 2/9))),
 * z = s^2, and since 2s = f - s f: log(m) = f - s (f - R), which keeps the exact f as the leading term. */
float tt_logf(float x) {
  uint32_t ix = to_bits(x);
  int32_t e = 0;
  if ((ix << 1) == 0) return from_bits(0xff800000u);                            /* log(+-0) = -inf */
  if (ix >= 0x7f800000u) return ix == 0x7f800000u ? x : from_bits(0x7fc00000u); /* +inf; NaN or negative */
  if (ix < 0x00800000u) {                                                       /* subnormal: scale */
    ix = to_bits(x * 0x1p23f);
    e = -23;
  }
  e += (int32_t)(ix >> 23) - 127;
  uint32_t mb = (ix & 0x007fffffu) | 0x3f800000u;
  if (mb > 0x3fb504f3u) { /* m > sqrt(2): use m / 2 */
    mb -= 0x00800000u;
    e += 1;
  }
  float f = from_bits(mb) - 1.0f;
  float s = f / (2.0f + f);
  float z = s * s;
  float rr = z * (0x1.555556p-1f + z * (0x1.99999ap-2f + z * (0x1.24924ap-2f + z * 0x1.c71c72p-3f)));
  float logm = f - s * (f - rr);
  float ef = (float)e;
  return ef * LN2_HI + (ef * LN2_LO + logm);
}

float tt_softmax_xent_s8(int32_t n, const int8_t *logits, int32_t zp, float scale, int32_t label, float *grad) {
  float mx = scale * (float)(logits[0] - zp);
  for (int32_t i = 1; i < n; i++) {
    float z = scale * (float)(logits[i] - zp);
    if (z > mx) mx = z;
  }
  float sum = 0.0f;
  for (int32_t i = 0; i < n; i++) {
    float ei = tt_expf(scale * (float)(logits[i] - zp) - mx);
    sum = sum + ei;
    if (grad) grad[i] = ei;
  }
  if (grad)
    for (int32_t i = 0; i < n; i++) grad[i] = grad[i] / sum - (i == label ? 1.0f : 0.0f);
  return tt_logf(sum) - (scale * (float)(logits[label] - zp) - mx);
}
