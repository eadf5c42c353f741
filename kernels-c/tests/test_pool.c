/*
 * Native tests of the windowed pools and pad (run under ASan/UBSan by `make -C kernels-c test`): TFLite's integer
 * average with ties away from zero and SAME-padding counts, the requantized average, max pool and its first-max
 * gradient routing, pad and its slicing gradient, and random shapes against naive per-formula loops.
 */
#include "tt_kernels.h"
#include "tt_test.h"

static tt_conv_shape pool_shape(int h, int w, int c, int kh, int kw, int sy, int sx, int pt, int pl, int oh, int ow) {
  tt_conv_shape s = {h, w, c, oh, ow, c, kh, sy, pt, h, oh, kw, sx, pl};
  return s;
}

static void test_avgpool_tflite_rule(void) {
  /* 1 channel, 2x2 windows at stride 2 on a 2x4 input: raw sums -2, 2 over 4 taps round away from zero. */
  const int8_t in[8] = {-1, -1, 1, 1, 0, 0, 0, 0};
  tt_conv_shape s = pool_shape(2, 4, 1, 2, 2, 2, 2, 0, 0, 1, 2);
  tt_quant q = {5, 5, -128, 127, TT_REQUANT_FLOAT_HALF_AWAY};
  int8_t out[2];
  uint8_t mask = 0;
  tt_avgpool2d_s8(&s, &q, NULL, in, out, &mask);
  CHECK(out[0] == -1 && out[1] == 1, "ties away from zero: %d %d", out[0], out[1]); /* -0.5 -> -1, 0.5 -> 1 */
  CHECK(mask == 0x3, "mask %02x", mask);

  /* SAME padding on a 3x3 input, 2x2 window, stride 2: the bottom/right windows count 2 and 1 pixels. */
  const int8_t v[9] = {10, 20, 30, 40, 50, 60, 70, 80, 91};
  tt_conv_shape t = pool_shape(3, 3, 1, 2, 2, 2, 2, 0, 0, 2, 2);
  int8_t o[4];
  tt_avgpool2d_s8(&t, &q, NULL, v, o, NULL);
  /* (10+20+40+50)/4 = 30, (30+60)/2 = 45, (70+80)/2 = 75, 91/1 = 91 */
  CHECK(o[0] == 30 && o[1] == 45 && o[2] == 75 && o[3] == 91, "same counts %d %d %d %d", o[0], o[1], o[2], o[3]);

  /* Rounding of 7/2 = 3.5 -> 4 and -7/2 -> -4; a clamp to [act_min, act_max] clears the mask bit. */
  const int8_t w2[4] = {3, 4, -3, -4};
  tt_conv_shape u = pool_shape(1, 4, 1, 1, 2, 1, 2, 0, 0, 1, 2);
  tt_quant qc = {0, 0, -3, 127, TT_REQUANT_FLOAT_HALF_AWAY};
  uint8_t m2 = 0xff;
  tt_avgpool2d_s8(&u, &qc, NULL, w2, o, &m2);
  CHECK(o[0] == 4 && o[1] == -3 && (m2 & 3) == 1, "rounding and clamp %d %d mask %02x", o[0], o[1], m2);
}

static void test_avgpool_requant(void) {
  /* Different input and output quantization: m = s_in / (s_out * n) per count, through the requant epilogue. */
  const int8_t in[4] = {10, 12, 14, 16};
  tt_conv_shape s = pool_shape(2, 2, 1, 2, 2, 1, 1, 0, 0, 1, 1);
  tt_quant q = {2, -3, -128, 127, TT_REQUANT_FLOAT_HALF_AWAY};
  float cm[4] = {0.5f / 1, 0.5f / 2, 0.5f / 3, 0.5f / 4};
  int8_t out;
  tt_avgpool2d_s8(&s, &q, cm, in, &out, NULL);
  /* sum (x - 2) = 44; 44 * 0.125 = 5.5 -> 6; + (-3) = 3 */
  CHECK(out == 3, "requant avg %d", out);
}

static void test_maxpool(void) {
  /* 2 channels, a 3x3 window at stride 1 with pad 1 on 2x2: every window sees every pixel. */
  const int8_t in[8] = {5, -7, 9, -7, 9, -8, 1, -9};
  tt_conv_shape s = pool_shape(2, 2, 2, 3, 3, 1, 1, 1, 1, 2, 2);
  tt_quant q = {0, 0, -128, 8, TT_REQUANT_FLOAT_HALF_AWAY};
  int8_t out[8];
  uint8_t mask[1] = {0};
  tt_maxpool2d_s8(&s, &q, in, out, mask);
  for (int p = 0; p < 4; p++)
    CHECK(out[2 * p] == 8 && out[2 * p + 1] == -7, "max p=%d %d %d", p, out[2 * p], out[2 * p + 1]);
  CHECK(mask[0] == 0xaa, "clamped channel 0 fails the mask: %02x", mask[0]);

  /* Routing: channel 0's max 9 is tied at pixels 1 and 2: the first in window order (pixel 1) takes it all;
   * channel 1's max -7 is tied at pixels 0 and 1: pixel 0 takes it. */
  const float go[8] = {1, 10, 2, 20, 4, 40, 8, 80};
  float gi[8];
  tt_maxpool2d_f32_bwd_input(&s, in, go, gi, 0);
  const float want[8] = {0, 150, 15, 0, 0, 0, 0, 0};
  for (int e = 0; e < 8; e++) CHECK(gi[e] == want[e], "route e=%d got %g want %g", e, gi[e], want[e]);
  for (int e = 0; e < 8; e++) gi[e] = 1.0f;
  tt_maxpool2d_f32_bwd_input(&s, in, go, gi, 1);
  for (int e = 0; e < 8; e++) CHECK(gi[e] == want[e] + 1.0f, "accumulate e=%d got %g", e, gi[e]);
}

static void test_pad(void) {
  const int8_t in[4] = {1, 2, 3, 4};                             /* 2x1x2 */
  tt_conv_shape s = pool_shape(2, 1, 2, 1, 1, 1, 1, 1, 2, 4, 4); /* top 1, bottom 1, left 2, right 1 */
  int8_t out[32];
  tt_pad_s8(&s, -9, in, out);
  int ok = 1;
  for (int y = 0; y < 4; y++)
    for (int x = 0; x < 4; x++)
      for (int c = 0; c < 2; c++) {
        int inside = y >= 1 && y < 3 && x == 2;
        int8_t want = inside ? in[(y - 1) * 2 + c] : -9;
        ok &= out[(y * 4 + x) * 2 + c] == want;
      }
  CHECK(ok, "pad forward");
  float go[32], gi[4] = {100, 100, 100, 100};
  for (int e = 0; e < 32; e++) go[e] = (float)e;
  tt_pad_f32_bwd_input(&s, go, gi, 1);
  /* in (0, 0) sits at out (1, 2): element (1*4 + 2)*2 = 12 */
  CHECK(gi[0] == 112 && gi[1] == 113 && gi[2] == 120 && gi[3] == 121, "pad bwd %g %g %g %g", gi[0], gi[1], gi[2],
        gi[3]);
}

/* Random shapes: average (both rules) and max against naive loops, gradients against naive scatter. */
static void test_random_pools(void) {
  enum { MAXN = 4096 };
  static int8_t in[MAXN], out[MAXN];
  static float go[MAXN], gi[MAXN], want[MAXN];
  static float cm[64];
  for (int trial = 0; trial < 200; trial++) {
    int kh = tt_test_int(1, 4), kw = tt_test_int(1, 4), sy = tt_test_int(1, 3), sx = tt_test_int(1, 3);
    int h = tt_test_int(1, 9), w = tt_test_int(1, 9), c = tt_test_int(1, trial % 10 == 0 ? 70 : 9);
    int pt = tt_test_int(0, kh - 1), pl = tt_test_int(0, kw - 1);
    int oh = (h + pt - 1) / sy + 1, ow = (w + pl - 1) / sx + 1; /* every window reads at least one pixel */
    if (oh * ow * c > MAXN || h * w * c > MAXN) continue;
    tt_conv_shape s = pool_shape(h, w, c, kh, kw, sy, sx, pt, pl, oh, ow);
    for (int i = 0; i < h * w * c; i++) in[i] = (int8_t)tt_test_int(-128, 127);
    for (int i = 0; i < oh * ow * c; i++) go[i] = tt_test_float(-1, 1);
    int zp = tt_test_int(-20, 20);
    tt_quant q = {zp, zp, -128, 127, TT_REQUANT_FLOAT_HALF_AWAY};
    for (int n = 0; n < kh * kw; n++) cm[n] = 0.7f / (float)(n + 1);
    int ok_avg = 1, ok_max = 1, ok_req = 1;
    for (int rule = 0; rule < 3; rule++) {
      if (rule == 0) tt_avgpool2d_s8(&s, &q, NULL, in, out, NULL);
      if (rule == 1) tt_avgpool2d_s8(&s, &q, cm, in, out, NULL);
      if (rule == 2) tt_maxpool2d_s8(&s, &q, in, out, NULL);
      for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++)
          for (int ch = 0; ch < c; ch++) {
            int32_t sum = 0, n = 0, mx = -128;
            for (int ky = 0; ky < kh; ky++)
              for (int kx = 0; kx < kw; kx++) {
                int iy = y * sy - pt + ky, ix = x * sx - pl + kx;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                int v = in[(iy * w + ix) * c + ch];
                sum += v, n++, mx = v > mx ? v : mx;
              }
            int got = out[(y * ow + x) * c + ch];
            if (rule == 0) {
              double exact = (double)sum / n; /* round half away from zero, in exact arithmetic */
              int r = (int)(exact >= 0 ? floor(exact + 0.5) : -floor(-exact + 0.5));
              ok_avg &= got == r;
            } else if (rule == 1) {
              float v = (float)(sum - n * zp) * cm[n - 1];
              int r = (int)(v >= 0 ? v + 0.5f : v - 0.5f) + zp;
              ok_req &= got == (r < -128 ? -128 : r > 127 ? 127 : r);
            } else {
              ok_max &= got == mx;
            }
          }
    }
    CHECK(ok_avg && ok_req && ok_max, "trial %d forward: avg %d requant %d max %d", trial, ok_avg, ok_req, ok_max);

    /* Average-pool gradient: scatter g_out / n to the window, outputs in (y, x) order, per input from 0. */
    for (int i = 0; i < h * w * c; i++) want[i] = 0.0f;
    for (int y = 0; y < oh; y++)
      for (int x = 0; x < ow; x++) {
        int n = 0;
        for (int ky = 0; ky < kh; ky++)
          for (int kx = 0; kx < kw; kx++) {
            int iy = y * sy - pt + ky, ix = x * sx - pl + kx;
            n += iy >= 0 && iy < h && ix >= 0 && ix < w;
          }
        for (int ky = 0; ky < kh; ky++)
          for (int kx = 0; kx < kw; kx++) {
            int iy = y * sy - pt + ky, ix = x * sx - pl + kx;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            for (int ch = 0; ch < c; ch++) want[(iy * w + ix) * c + ch] += go[(y * ow + x) * c + ch] / (float)n;
          }
      }
    tt_avgpool2d_f32_bwd_input(&s, go, gi, 0);
    CHECK(memcmp(gi, want, sizeof(float) * (size_t)(h * w * c)) == 0, "trial %d avgpool bwd", trial);
  }
}

int main(void) {
  test_avgpool_tflite_rule();
  test_avgpool_requant();
  test_maxpool();
  test_pad();
  test_random_pools();
  return tt_test_report("test_pool");
}
