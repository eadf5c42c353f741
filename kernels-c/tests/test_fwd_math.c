/*
 * Native tests of tt_expf, tt_logf (ulp error against libm in double precision) and tt_softmax_xent_s8
 * (hand-computed case, gradient identities, finite differences of the loss).
 */
#include "tt_kernels.h"
#include "tt_test.h"

/* Error of a float result in units in the last place of the exact (double) value, for normal results. */
static double ulp_err(float got, double want) {
  int e;
  frexp(want, &e);
  double ulp = ldexp(1.0, (e - 24 < -149 ? -149 : e - 24));
  return fabs((double)got - want) / ulp;
}

static float next_up(float x) { return nextafterf(x, INFINITY); }

static float from_bits(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

static void test_expf(void) {
  double worst = 0;
  float worst_x = 0;
  /* Every 4099th float of [-88, 88] (both signs), plus random points. */
  for (uint32_t u = 0; u <= 0x42b00000u; u += 4099) {
    for (int sign = 0; sign < 2; sign++) {
      float x = sign ? -from_bits(u) : from_bits(u);
      double err = ulp_err(tt_expf(x), exp((double)x));
      if (err > worst) worst = err, worst_x = x;
    }
  }
  for (int i = 0; i < 200000; i++) {
    float x = tt_test_float(-88.0f, 88.0f);
    double err = ulp_err(tt_expf(x), exp((double)x));
    if (err > worst) worst = err, worst_x = x;
  }
  printf("tt_expf worst error %.3f ulp at %.9g\n", worst, worst_x);
  CHECK(worst <= 2.0, "tt_expf error %.3f ulp at %.9g", worst, worst_x);
  CHECK(tt_expf(0.0f) == 1.0f, "exp(0) = %.9g", tt_expf(0.0f));
  CHECK(tt_expf(-0.0f) == 1.0f, "exp(-0)");
  CHECK(isinf(tt_expf(89.0f)) && tt_expf(-200.0f) == 0.0f, "exp overflow / underflow");
  CHECK(isnan(tt_expf(NAN)), "exp(NaN)");
  /* Subnormal results round once: compare with libm rounded to float. */
  int sub_ok = 1;
  for (float x = -103.0f; x < -87.5f; x += 0.37f) sub_ok &= fabsf(tt_expf(x) - (float)exp((double)x)) <= 0x1p-149f;
  CHECK(sub_ok, "subnormal exp results within one subnormal step");
}

static void test_logf(void) {
  double worst = 0;
  float worst_x = 0;
  for (uint32_t u = 0x00800000u; u < 0x7f800000u; u += 4099) { /* every 4099th positive normal float */
    float x = from_bits(u);
    double err = ulp_err(tt_logf(x), log((double)x));
    if (x != 1.0f && err > worst) worst = err, worst_x = x;
  }
  for (float x = 0.9f; x < 1.1f; x = next_up(x)) { /* every float near 1 */
    if (x == 1.0f) continue;
    double err = ulp_err(tt_logf(x), log((double)x));
    if (err > worst) worst = err, worst_x = x;
  }
  printf("tt_logf worst error %.3f ulp at %.9g\n", worst, worst_x);
  CHECK(worst <= 2.0, "tt_logf error %.3f ulp at %.9g", worst, worst_x);
  CHECK(tt_logf(1.0f) == 0.0f, "log(1) = %.9g", tt_logf(1.0f));
  CHECK(isinf(tt_logf(0.0f)) && tt_logf(0.0f) < 0 && tt_logf(-0.0f) == tt_logf(0.0f), "log(+-0) = -inf");
  CHECK(isnan(tt_logf(-1.0f)) && isinf(tt_logf(INFINITY)), "log(-1), log(inf)");
  CHECK(fabsf(tt_logf(0x1p-140f) - (float)log(0x1p-140)) <= 2e-5f, "log of a subnormal %.9g", tt_logf(0x1p-140f));
}

static void test_softmax(void) {
  /* logits 3, 1, 1 with zp 1, scale 0.5 -> z = 1, 0, 0; mx = 1; e = 1, e^-1, e^-1; label 0:
   * loss = log(1 + 2/e) - 0; grad = softmax - onehot. */
  int8_t logits[3] = {3, 1, 1};
  float grad[3];
  float loss = tt_softmax_xent_s8(3, logits, 1, 0.5f, 0, grad);
  double sum = 1 + 2 * exp(-1.0);
  CHECK(fabs(loss - log(sum)) < 1e-6, "loss %.9g want %.9g", loss, log(sum));
  CHECK(fabs(grad[0] - (1 / sum - 1)) < 1e-6 && fabs(grad[1] - exp(-1.0) / sum) < 1e-6, "grad %g %g", grad[0], grad[1]);
  CHECK(tt_softmax_xent_s8(3, logits, 1, 0.5f, 0, NULL) == loss, "NULL grad gives the same loss");

  /* Random logits: the gradient sums to ~0 and is negative only at the label; and since
   * d loss / d scale = sum_i grad[i] * (logit_i - zp), a central difference in scale checks the gradient. */
  for (int t = 0; t < 50; t++) {
    int8_t lg[10];
    float g[10], s = 0;
    int32_t n = tt_test_int(2, 10), label = tt_test_int(0, n - 1), zp = tt_test_int(-20, 20);
    float scale = tt_test_float(0.02f, 0.3f);
    for (int i = 0; i < n; i++) lg[i] = (int8_t)tt_test_int(-100, 100);
    float l0 = tt_softmax_xent_s8(n, lg, zp, scale, label, g);
    for (int i = 0; i < n; i++) s += g[i];
    CHECK(fabsf(s) < 1e-5f && g[label] <= 0 && l0 >= 0, "trial %d: grad sum %g, g[label] %g, loss %g", t, s, g[label],
          l0);
    float h = 1e-3f;
    double fd = (tt_softmax_xent_s8(n, lg, zp, scale + h, label, NULL) -
                 tt_softmax_xent_s8(n, lg, zp, scale - h, label, NULL)) /
                (2.0 * h);
    double an = 0;
    for (int i = 0; i < n; i++) an += g[i] * (lg[i] - zp);
    CHECK(fabs(fd - an) < 2e-2 * (1 + fabs(an)), "trial %d: d/dscale fd %g analytic %g", t, fd, an);
  }
}

int main(void) {
  test_expf();
  test_logf();
  test_softmax();
  return tt_test_report("test_fwd_math");
}
