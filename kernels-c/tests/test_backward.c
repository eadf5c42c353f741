/*
 * Native tests of the backward, update and fused kernels (run under ASan/UBSan by `make -C kernels-c test`):
 * hand-computed small cases, saturation and NaN handling of the updates, the xorshift32 sequence, and the
 * fused kernels against bwd_weight + tt_update_s8 bit for bit on random shapes.
 */
#include "tt_kernels.h"
#include "tt_test.h"

static tt_conv_shape shape_of(int h, int w, int ci, int co, int k, int s, int pad) {
  int oh = (h + 2 * pad - k) / s + 1, ow = (w + 2 * pad - k) / s + 1;
  tt_conv_shape sh = {h, w, ci, oh, ow, co, k, s, pad, h, oh, k, s, pad};
  return sh;
}

/* A general conv with its own width geometry (kernel_w, stride_w, pad_left). */
static tt_conv_shape rect_of(int h, int w, int ci, int co, int kh, int kw, int sy, int sx, int pt, int pl) {
  int oh = (h + 2 * pt - kh) / sy + 1, ow = (w + 2 * pl - kw) / sx + 1;
  tt_conv_shape sh = {h, w, ci, oh, ow, co, kh, sy, pt, h, oh, kw, sx, pl};
  return sh;
}

static void test_clamp_add_avgpool(void) {
  float g[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  const uint8_t mask[2] = {0x05, 0x02}; /* elements 0, 2 and 9 pass */
  tt_clamp_f32_bwd(10, g, mask);
  const float want[10] = {1, 0, 3, 0, 0, 0, 0, 0, 0, 10};
  for (int e = 0; e < 10; e++) CHECK(g[e] == want[e], "clamp e=%d got %g", e, g[e]);

  const float go[3] = {1.5f, -2.0f, 4.0f};
  const uint8_t m3 = 0x06;
  float gi[3] = {10, 20, 30};
  tt_add_f32_bwd_input(3, go, &m3, gi, 1);
  CHECK(gi[0] == 10 && gi[1] == 18 && gi[2] == 34, "add accumulate %g %g %g", gi[0], gi[1], gi[2]);
  float alias[3] = {1.5f, -2.0f, 4.0f};
  tt_add_f32_bwd_input(3, alias, &m3, alias, 0);
  CHECK(alias[0] == 0 && alias[1] == -2 && alias[2] == 4, "add in place %g %g %g", alias[0], alias[1], alias[2]);

  const float gp[2] = {8.0f, -4.0f};
  float gpi[8];
  for (int j = 0; j < 8; j++) gpi[j] = 1.0f;
  tt_avgpool_f32_bwd_input(2, 2, 2, gp, gpi, 1); /* 4 pixels: 8/4 = 2, -4/4 = -1, plus 1 */
  for (int p = 0; p < 4; p++) CHECK(gpi[2 * p] == 3.0f && gpi[2 * p + 1] == 0.0f, "avgpool p=%d", p);

  float gb[2];
  const float gbo[6] = {1, 2, 3, 4, 5, 6}; /* 3 pixels x 2 channels */
  tt_bias_f32_bwd(3, 2, gbo, gb);
  CHECK(gb[0] == 9 && gb[1] == 12, "bias %g %g", gb[0], gb[1]);
}

static void test_input_grads_by_hand(void) {
  /* Pointwise, 1 pixel, 2 -> 2: g_in[i] = sum_o g[o] * s[o] * w[o][i]. */
  tt_conv_shape pw = shape_of(1, 1, 2, 2, 1, 1, 0);
  const int8_t w[4] = {1, -2, 3, 4};
  const float ws[2] = {0.5f, 2.0f}, g[2] = {2.0f, -1.0f};
  float gi[2];
  tt_pointwise_f32_bwd_input(&pw, g, w, ws, gi, 0);
  CHECK(gi[0] == 1.0f * 1 - 2.0f * 3 && gi[1] == 1.0f * -2 - 2.0f * 4, "pointwise %g %g", gi[0], gi[1]);
  tt_fc_f32_bwd_input(2, 2, g, w, ws, gi, 1);
  CHECK(gi[0] == -10.0f && gi[1] == -20.0f, "fc accumulate %g %g", gi[0], gi[1]);

  /* Depthwise 3x3, pad 1, 2x2x1 -> 2x2x1; w = 1..9 row-major; input (0,0) is read by every output. */
  tt_conv_shape dw = shape_of(2, 2, 1, 1, 3, 1, 1);
  const int8_t wd[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const float gd[4] = {1, 2, 3, 4}, sd = 0.5f;
  float gid[4];
  tt_depthwise_f32_bwd_input(&dw, gd, wd, &sd, gid, 0);
  CHECK(gid[0] == 0.5f * (5 * 1 + 4 * 2 + 2 * 3 + 1 * 4), "dw (0,0) %g", gid[0]);
  CHECK(gid[3] == 0.5f * (9 * 1 + 8 * 2 + 6 * 3 + 5 * 4), "dw (1,1) %g", gid[3]);

  /* Same geometry as a general conv with 1 -> 1 channel gives the same numbers. */
  float gic[4];
  tt_conv_f32_bwd_input(&dw, gd, wd, &sd, gic, 0);
  for (int j = 0; j < 4; j++) CHECK(gic[j] == gid[j], "conv vs dw %d", j);

  /* Stride 2, k 3, pad 0, 4x4 -> 1x1: only the top-left 3x3 input gets gradient; row 3 / col 3 get 0. */
  tt_conv_shape s2 = shape_of(4, 4, 1, 1, 3, 2, 0);
  const float g1 = 2.0f, one = 1.0f;
  float gs2[16];
  for (int j = 0; j < 16; j++) gs2[j] = 99.0f;
  tt_depthwise_f32_bwd_input(&s2, &g1, wd, &one, gs2, 0);
  for (int iy = 0; iy < 4; iy++)
    for (int ix = 0; ix < 4; ix++) {
      float want = (iy < 3 && ix < 3) ? 2.0f * wd[iy * 3 + ix] : 0.0f;
      CHECK(gs2[iy * 4 + ix] == want, "stride-2 edge (%d,%d) %g", iy, ix, gs2[iy * 4 + ix]);
    }
  /* Accumulating leaves pixels nobody reads exactly as they were, even -0.0f. */
  for (int j = 12; j < 16; j++) gs2[j] = -0.0f;
  tt_depthwise_f32_bwd_input(&s2, &g1, wd, &one, gs2, 1);
  for (int j = 12; j < 16; j++) CHECK(gs2[j] == 0.0f && signbit(gs2[j]), "unread pixel %d kept -0", j);
  CHECK(gs2[0] == 4.0f * wd[0], "read pixel accumulated %g", gs2[0]);
}

static void test_weight_grads_by_hand(void) {
  /* Pointwise 2 pixels, 3 input channels stored, k = 2, 2 outputs: gW[o][i] = s_x * sum_p g[p][o] (x - zp). */
  tt_conv_shape pw = shape_of(1, 2, 3, 2, 1, 1, 0);
  const int8_t x[6] = {5, 7, 100, -3, 1, 100}; /* channel 2 must never be read */
  const float g[4] = {1.0f, 2.0f, -1.0f, 0.5f};
  float gw[4];
  tt_pointwise_f32_bwd_weight(&pw, g, x, 3, 1, 0.25f, 2, gw);
  CHECK(gw[0] == 0.25f * (1 * 4 + -1 * -4) && gw[1] == 0.25f * (1 * 6 + -1 * 0), "pw o0 %g %g", gw[0], gw[1]);
  CHECK(gw[2] == 0.25f * (2 * 4 + 0.5f * -4) && gw[3] == 0.25f * (2 * 6), "pw o1 %g %g", gw[2], gw[3]);

  /* Depthwise 3x3 pad 1 on 2x2x1, zp 0: tap (1,1) sees every pixel, tap (0,0) only output (1,1). */
  tt_conv_shape dw = shape_of(2, 2, 1, 1, 3, 1, 1);
  const int8_t xd[4] = {1, 2, 3, 4};
  const float gd[4] = {1, -1, 2, 3};
  float gwd[9];
  tt_depthwise_f32_bwd_weight(&dw, gd, xd, 1, 0, 1.0f, 1, gwd);
  CHECK(gwd[4] == 1 * 1 - 1 * 2 + 2 * 3 + 3 * 4, "dw centre %g", gwd[4]);
  CHECK(gwd[0] == 3 * 1, "dw top-left tap %g", gwd[0]);
  CHECK(gwd[8] == 1 * 4, "dw bottom-right tap %g", gwd[8]);
  float gwc[9];
  tt_conv_f32_bwd_weight(&dw, gd, xd, 1, 0, 1.0f, 1, gwc);
  for (int j = 0; j < 9; j++) CHECK(gwc[j] == gwd[j], "conv vs dw tap %d", j);

  float gf[2];
  const float gfo[2] = {3.0f, -2.0f};
  tt_fc_f32_bwd_weight(3, 2, gfo, x, 1, 0.5f, 1, gf);
  CHECK(gf[0] == 0.5f * 3 * 4 && gf[1] == 0.5f * -2 * 4, "fc %g %g", gf[0], gf[1]);
}

static void test_update_rules(void) {
  /* lr 1, gscale 1: d = g. q = 10 for all. */
  const float g[6] = {0.4f, 0.6f, -0.6f, 2.5f, -2.5f, 0.99f};
  const float one[6] = {1, 1, 1, 1, 1, 1};
  const int want_trunc[6] = {10, 10, 10, 8, 12, 10}, want_near[6] = {10, 9, 11, 7, 13, 9};
  tt_update_params p = {1, 6, 6, 1, 1, TT_ROUND_TRUNCATE};
  int8_t q[6];
  memset(q, 10, sizeof q);
  tt_update_s8(&p, g, one, 1.0f, q, NULL);
  for (int j = 0; j < 6; j++) CHECK(q[j] == want_trunc[j], "truncate %d: %d", j, q[j]);
  memset(q, 10, sizeof q);
  p.rounding = TT_ROUND_NEAREST;
  tt_update_s8(&p, g, one, 1.0f, q, NULL);
  for (int j = 0; j < 6; j++) CHECK(q[j] == want_near[j], "nearest %d: %d", j, q[j]);

  /* Per-row channel scale, row stride, saturation at +-127, NaN and huge d do nothing wrong. */
  const float g2[4] = {-100.0f, 100.0f, NAN, 1e30f};
  const float gs[2] = {1.0f, 3.0f};
  tt_update_params p2 = {2, 2, 3, 1, 0, TT_ROUND_NEAREST};
  int8_t w[6] = {100, -100, 55, 7, 7, 55};
  tt_update_s8(&p2, g2, gs, 1.0f, w, NULL);
  CHECK(w[0] == 127 && w[1] == -127 && w[2] == 55, "s8 saturation %d %d %d", w[0], w[1], w[2]);
  CHECK(w[3] == 7 && w[4] == -127 && w[5] == 55, "s8 NaN / huge %d %d %d", w[3], w[4], w[5]);

  int32_t b[3] = {INT32_MAX - 1, INT32_MIN + 1, 1000};
  const float gb[3] = {-1e20f, 1e20f, 2.0f}, gsb[3] = {1, 1, 0.25f};
  tt_update_s32(3, INT32_MAX, TT_ROUND_TRUNCATE, gb, gsb, 10.0f, b, NULL); /* 10 * (2 * 0.25) = 5 */
  CHECK(b[0] == INT32_MAX && b[1] == -INT32_MAX && b[2] == 995, "s32 %d %d %d", b[0], b[1], b[2]);
  /* a layer's bias bound (pointwise, fan-in 16): biases stop there instead of at the int32 range */
  const int32_t bound = INT32_MAX - 16 * 255 * 127;
  int32_t c[3] = {bound - 3, -bound + 3, 0};
  tt_update_s32(3, bound, TT_ROUND_TRUNCATE, gb, gsb, 10.0f, c, NULL);
  CHECK(c[0] == bound && c[1] == -bound && c[2] == -5, "s32 bound %d %d %d", c[0], c[1], c[2]);
}

static void test_rng_and_stochastic(void) {
  tt_rng r = {2463534242u}; /* Marsaglia (2003), xorshift32 example seed: first output 723471715 */
  CHECK(tt_rng_next(&r) == 723471715u, "xorshift32 first output %u", r.state);
  tt_rng one = {1u};
  CHECK(tt_rng_next(&one) == 270369u, "1 -> (1 ^ 1<<13) ^ (...<<5) = 270369, got %u", one.state);
  tt_rng u = {1u}; /* (270369 >> 8) * 2^-24 */
  CHECK(tt_rng_uniform(&u) == (float)(270369u >> 8) / 16777216.0f, "uniform");

  /* Stochastic: d = 0.25 everywhere; the mean step over n draws is 0.25 within 5 sigma. */
  enum { N = 4096 };
  static float g[N], gs[1] = {1.0f};
  static int8_t q[N];
  for (int j = 0; j < N; j++) g[j] = 0.25f;
  memset(q, 0, sizeof q);
  tt_update_params p = {1, N, N, 1, 0, TT_ROUND_STOCHASTIC};
  tt_rng rng = {12345u};
  tt_update_s8(&p, g, gs, 1.0f, q, &rng);
  int steps = 0;
  for (int j = 0; j < N; j++) {
    CHECK(q[j] == 0 || q[j] == -1, "stochastic step is 0 or 1: %d", q[j]);
    steps -= q[j];
  }
  double mean = (double)steps / N, sigma = sqrt(0.25 * 0.75 / N);
  CHECK(fabs(mean - 0.25) < 5 * sigma, "stochastic mean %f", mean);
  tt_rng again = {12345u};
  for (int j = 0; j < N; j++) tt_rng_next(&again);
  CHECK(again.state == rng.state, "one draw per element");
}

static void fill_random(int8_t *x, int n, float *g, int m) {
  for (int j = 0; j < n; j++) x[j] = (int8_t)tt_test_int(-128, 127);
  for (int j = 0; j < m; j++) g[j] = tt_test_float(-1.0f, 1.0f);
}

/* Fused kernel vs bwd_weight + tt_update_s8: same weights and rng state for every rounding mode. */
static void test_fused_matches_unfused(void) {
  enum { MAXB = 1 << 16 };
  static int8_t in[MAXB], w_orig[MAXB], w_ref[MAXB], w_fused[MAXB];
  static float g_out[MAXB], g_w[MAXB], scratch[MAXB / 4], gscale[256];
  for (int trial = 0; trial < 60; trial++) {
    int kind = trial % 4, kk = kind == 0 || kind == 3 ? 1 : 3 + 2 * tt_test_int(0, 2);
    int s = kind == 0 || kind == 3 ? 1 : tt_test_int(1, 2), hw = kind == 3 ? 1 : tt_test_int(3, 9);
    int ci = tt_test_int(1, 21), co = kind == 2 ? ci : tt_test_int(1, 19), k = tt_test_int(1, ci);
    tt_conv_shape sh = shape_of(hw, hw, ci, co, kk, s, kk / 2);
    int kw = kk;
    if (kind == 1 && trial % 8 == 1) { /* rectangular general conv: kh x kw, its own strides and pads */
      kw = tt_test_int(1, 6);
      sh = rect_of(hw, hw + 2, ci, co, kk, kw, s, tt_test_int(1, 3), kk / 2, tt_test_int(0, kw - 1));
    }
    int stride = tt_test_int(k, ci), npix = sh.out_h * sh.out_w;
    int wn = kind == 2 ? kk * kk * ci : co * kk * kw * ci;
    fill_random(in, sh.in_h * sh.in_w * stride, g_out, npix * co);
    for (int j = 0; j < co; j++) gscale[j] = tt_test_float(0.5f, 40.0f);
    for (int j = 0; j < wn; j++) w_orig[j] = w_ref[j] = w_fused[j] = (int8_t)tt_test_int(-127, 127);
    int zp = tt_test_int(-20, 20), rounding = trial % 3;
    float sx = tt_test_float(0.01f, 0.1f), lr = tt_test_float(0.05f, 2.0f);
    tt_rng r_ref = {0x9E3779B9u + trial}, r_fused = r_ref;
    tt_update_params up = {co * kk * kw, k, ci, kk * kw, 0, rounding};
    int bytes;
    if (kind == 0) {
      tt_pointwise_f32_bwd_weight(&sh, g_out, in, stride, zp, sx, k, g_w);
      bytes = tt_pointwise_bwd_update_get_buffer_size(&sh, k);
      tt_pointwise_bwd_update_s8(&sh, g_out, in, stride, zp, sx, k, gscale, lr, rounding, w_fused, &r_fused, scratch);
    } else if (kind == 1) {
      tt_conv_f32_bwd_weight(&sh, g_out, in, stride, zp, sx, k, g_w);
      bytes = tt_conv_bwd_update_get_buffer_size(&sh, k);
      tt_conv_bwd_update_s8(&sh, g_out, in, stride, zp, sx, k, gscale, lr, rounding, w_fused, &r_fused, scratch);
    } else if (kind == 2) {
      up = (tt_update_params){kk * kk, k, ci, 1, 1, rounding};
      tt_depthwise_f32_bwd_weight(&sh, g_out, in, stride, zp, sx, k, g_w);
      bytes = tt_depthwise_bwd_update_get_buffer_size(&sh, k);
      tt_depthwise_bwd_update_s8(&sh, g_out, in, stride, zp, sx, k, gscale, lr, rounding, w_fused, &r_fused,
                                 scratch);
    } else {
      tt_fc_f32_bwd_weight(ci, co, g_out, in, zp, sx, k, g_w);
      bytes = tt_fc_bwd_update_get_buffer_size(ci, co, k);
      tt_fc_bwd_update_s8(ci, co, g_out, in, zp, sx, k, gscale, lr, rounding, w_fused, &r_fused, scratch);
    }
    CHECK(bytes == (int)sizeof(float) * (kind == 1 ? kk * kw * k : k), "buffer size kind %d: %d", kind, bytes);
    tt_update_s8(&up, g_w, gscale, lr, w_ref, &r_ref);
    int changed = memcmp(w_orig, w_ref, (size_t)wn) != 0, same = memcmp(w_ref, w_fused, (size_t)wn) == 0;
    CHECK(same, "fused != unfused: trial %d kind %d k %d/%d rounding %d", trial, kind, k, ci, rounding);
    CHECK(r_ref.state == r_fused.state, "rng state differs: trial %d", trial);
    CHECK(changed, "trial %d: an update that changes no weight tests nothing", trial);
  }
}

/* A split weight: updating the head [co][k] (shape copy with in_c = k; row_stride = k) and joining it to the
 * untouched tail gives the weight that updating the whole [co][ci] tensor gives, with the same rng state. */
/* Row ranges of the depthwise input gradient, back to back, equal the whole kernel (and touch nothing else). */
static void test_depthwise_input_rows(void) {
  enum { MAXB = 1 << 14 };
  static int8_t w[MAXB];
  static float g_out[MAXB], whole[MAXB], parts[MAXB], ws[64];
  for (int trial = 0; trial < 40; trial++) {
    int k = 3 + 2 * tt_test_int(0, 2), s = tt_test_int(1, 2), hw = tt_test_int(k, 12), c = tt_test_int(1, 40);
    tt_conv_shape sh = shape_of(hw, hw, c, c, k, s, k / 2);
    fill_random(w, k * k * c, g_out, sh.out_h * sh.out_w * c);
    for (int j = 0; j < c; j++) ws[j] = tt_test_float(0.01f, 0.1f);
    int n = hw * hw * c, acc = trial % 2, cut = tt_test_int(0, hw);
    for (int j = 0; j < n; j++) whole[j] = parts[j] = tt_test_float(-1.0f, 1.0f);
    tt_depthwise_f32_bwd_input(&sh, g_out, w, ws, whole, acc);
    tt_depthwise_f32_bwd_input_rows(&sh, g_out, w, ws, parts, acc, 0, cut);
    tt_depthwise_f32_bwd_input_rows(&sh, g_out, w, ws, parts, acc, cut, hw);
    CHECK(memcmp(whole, parts, sizeof(float) * (size_t)n) == 0, "rows != whole: trial %d cut %d/%d", trial, cut, hw);
  }
}

/* Channel ranges of the fused pointwise update, run back to back with one rng, equal the whole kernel. */
static void test_pointwise_update_ranges(void) {
  enum { MAXB = 1 << 14 };
  static int8_t in[MAXB], w_whole[MAXB], w_parts[MAXB];
  static float g_out[MAXB], scratch[MAXB / 4], gscale[64];
  for (int trial = 0; trial < 30; trial++) {
    int hw = tt_test_int(2, 7), ci = tt_test_int(1, 40), co = tt_test_int(2, 40), k = tt_test_int(1, ci);
    tt_conv_shape sh = shape_of(hw, hw, ci, co, 1, 1, 0);
    fill_random(in, hw * hw * ci, g_out, hw * hw * co);
    for (int j = 0; j < co; j++) gscale[j] = tt_test_float(0.5f, 40.0f);
    for (int j = 0; j < co * ci; j++) w_whole[j] = w_parts[j] = (int8_t)tt_test_int(-127, 127);
    int zp = tt_test_int(-20, 20), rounding = trial % 3, cut = tt_test_int(0, co);
    float sx = tt_test_float(0.01f, 0.1f), lr = tt_test_float(0.05f, 2.0f);
    tt_rng r_whole = {0x2545F491u + trial}, r_parts = r_whole;
    tt_pointwise_bwd_update_s8(&sh, g_out, in, ci, zp, sx, k, gscale, lr, rounding, w_whole, &r_whole, scratch);
    tt_pointwise_bwd_update_s8_range(&sh, g_out, in, ci, zp, sx, k, gscale, lr, rounding, w_parts, &r_parts, scratch,
                                     0, cut);
    tt_pointwise_bwd_update_s8_range(&sh, g_out, in, ci, zp, sx, k, gscale, lr, rounding, w_parts, &r_parts, scratch,
                                     cut, co);
    CHECK(memcmp(w_whole, w_parts, (size_t)(co * ci)) == 0, "ranges != whole: trial %d cut %d/%d", trial, cut, co);
    CHECK(r_whole.state == r_parts.state, "rng state differs after ranges: trial %d", trial);
  }
}

static void test_split_head_update(void) {
  enum { MAXB = 1 << 14 };
  static int8_t in[MAXB], w_whole[MAXB], head[MAXB], tail[MAXB], joined[MAXB], head2[MAXB];
  static float g_out[MAXB], g_w[MAXB], scratch[MAXB / 4], gscale[64];
  for (int trial = 0; trial < 40; trial++) {
    int fc = trial % 2, hw = fc ? 1 : tt_test_int(1, 6), ci = tt_test_int(2, 40), co = tt_test_int(1, 30);
    int k = tt_test_int(1, ci - 1), rounding = trial % 3, zp = tt_test_int(-20, 20);
    tt_conv_shape sh = shape_of(hw, hw, ci, co, 1, 1, 0), hsh = sh;
    hsh.in_c = k;
    fill_random(in, hw * hw * ci, g_out, hw * hw * co);
    for (int j = 0; j < co; j++) gscale[j] = tt_test_float(0.5f, 40.0f);
    for (int j = 0; j < co * ci; j++) w_whole[j] = (int8_t)tt_test_int(-127, 127);
    tt_slice_channels_s8(co, ci, k, w_whole, head);
    for (int o = 0; o < co; o++) memcpy(tail + o * (ci - k), w_whole + o * ci + k, (size_t)(ci - k));
    memcpy(head2, head, (size_t)(co * k));
    float sx = tt_test_float(0.01f, 0.1f), lr = tt_test_float(0.05f, 2.0f);
    tt_rng r_whole = {0x85EBCA6Bu + trial}, r_head = r_whole, r_head2 = r_whole;
    if (fc) {
      tt_fc_bwd_update_s8(ci, co, g_out, in, zp, sx, k, gscale, lr, rounding, w_whole, &r_whole, scratch);
      tt_fc_bwd_update_s8(k, co, g_out, in, zp, sx, k, gscale, lr, rounding, head, &r_head, scratch);
    } else {
      tt_pointwise_bwd_update_s8(&sh, g_out, in, ci, zp, sx, k, gscale, lr, rounding, w_whole, &r_whole, scratch);
      tt_pointwise_bwd_update_s8(&hsh, g_out, in, ci, zp, sx, k, gscale, lr, rounding, head, &r_head, scratch);
    }
    tt_pointwise_f32_bwd_weight(&sh, g_out, in, ci, zp, sx, k, g_w);
    tt_update_params up = {co, k, k, 1, 0, rounding};
    tt_update_s8(&up, g_w, gscale, lr, head2, &r_head2);
    tt_concat_channels_s8(co, k, ci - k, head, tail, joined);
    CHECK(memcmp(joined, w_whole, (size_t)(co * ci)) == 0, "split fused update differs: trial %d", trial);
    CHECK(memcmp(head2, head, (size_t)(co * k)) == 0, "split tt_update_s8 differs: trial %d", trial);
    CHECK(r_whole.state == r_head.state && r_whole.state == r_head2.state, "rng state differs: trial %d", trial);
  }
}

int main(void) {
  test_clamp_add_avgpool();
  test_input_grads_by_hand();
  test_weight_grads_by_hand();
  test_update_rules();
  test_rng_and_stochastic();
  test_fused_matches_unfused();
  test_split_head_update();
  test_pointwise_update_ranges();
  test_depthwise_input_rows();
  return tt_test_report("test_backward");
}
