/*
 * Native tests of the int8 forward kernels: hand-computed cases, randomized layers against a naive
 * per-formula implementation, band-by-band and ring-buffer execution against the whole tensor, mask bits.
 * (The same file also runs under emcc -msimd128 in Node, which exercises the WebAssembly SIMD paths.)
 */
#include "tt_kernels.h"
#include "tt_test.h"

#define MAXN 16384

static int8_t g_in[MAXN], g_w[MAXN], g_out[MAXN], g_ref[MAXN], g_ring_in[MAXN], g_ring_out[MAXN];
static int32_t g_bias[512];
static float g_mult[512];
static uint8_t g_mask[MAXN / 8], g_mask_ref[MAXN / 8];

static int mask_bit(const uint8_t *m, int32_t e) { return (m[e >> 3] >> (e & 7)) & 1; }

static int mask_equal(const uint8_t *a, const uint8_t *b, int32_t n) {
  for (int32_t e = 0; e < n; e++)
    if (mask_bit(a, e) != mask_bit(b, e)) return 0;
  return 1;
}

/* ------------------------------------------------------------------------------------------------------
 * Hand-computed cases (numbers worked out from the formulas in tt_kernels.h)
 * ---------------------------------------------------------------------------------------------------- */

static void test_pointwise_hand(void) {
  /* pixel 0: x - zp = [2, -2, 0]; o0: 4 - 2 + 0 + 10 = 12, *0.25 = 3 -> 3 - 5 = -2;
   *          o1: -6 - 7 = -13, *0.5 = -6.5 -> -7 -> -12, clamped to act_min -10 (mask bit cleared).
   * pixel 1: x == zp, acc = bias: 10 * 0.25 = 2.5 -> 3 -> -2; -7 * 0.5 = -3.5 -> -4 -> -9. */
  tt_conv_shape s = {1, 2, 3, 1, 2, 2, 1, 1, 0, 1, 1, 1, 1, 0};
  tt_quant q = {1, -5, -10, 127, TT_REQUANT_FLOAT_HALF_AWAY};
  int8_t in[6] = {3, -1, 1, 1, 1, 1}, w[6] = {2, 1, -1, -3, 0, 4}, out[4];
  int32_t bias[2] = {10, -7};
  float mult[2] = {0.25f, 0.5f};
  uint8_t mask[1] = {0xff};
  tt_pointwise_s8(&s, &q, in, w, bias, mult, out, mask, 0, 1);
  int8_t want[4] = {-2, -10, -2, -9};
  CHECK(memcmp(out, want, 4) == 0, "pointwise %d %d %d %d", out[0], out[1], out[2], out[3]);
  CHECK(mask[0] == 0xfd, "pointwise mask %02x (bit 1 cleared, bits 4-7 untouched)", mask[0]);

  tt_fc_s8(3, 2, &q, in, w, bias, mult, out, mask);
  CHECK(out[0] == -2 && out[1] == -10, "fc %d %d", out[0], out[1]);
}

static void test_conv_hand(void) {
  /* 3x3x1 input 1..9 with in_zp 1 (x - zp = 0..8), 3x3 kernel, pad 1, stride 2 -> 2x2x2.
   * o0: all-ones kernel: windows {0,1,3,4}=8, {1,2,4,5}=12, {3,4,6,7}=20, {4,5,7,8}=24; * 0.5 -> 4 6 10 12.
   * o1: only the centre tap, bias 3: x at (0,0),(0,2),(2,0),(2,2) = 0, 2, 6, 8 -> 3 5 9 11. */
  tt_conv_shape s = {3, 3, 1, 2, 2, 2, 3, 2, 1, 3, 2, 3, 2, 1};
  tt_quant q = {1, 0, -128, 127, TT_REQUANT_FLOAT_HALF_AWAY};
  int8_t in[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[18] = {0}, out[8];
  for (int i = 0; i < 9; i++) w[i] = 1;
  w[9 + 4] = 1;
  int32_t bias[2] = {0, 3};
  float mult[2] = {0.5f, 1.0f};
  tt_conv_s8(&s, &q, in, w, bias, mult, out, NULL, 0, 2);
  int8_t want[8] = {4, 3, 6, 5, 10, 9, 12, 11};
  CHECK(memcmp(out, want, 8) == 0, "conv %d %d %d %d %d %d %d %d", out[0], out[1], out[2], out[3], out[4], out[5],
        out[6], out[7]);
}

static void test_depthwise_hand(void) {
  /* 2x2x2 input, in_zp 1; 3x3 kernel, pad 1, stride 1 -> 2x2x2. ch0: all-ones kernel, every window covers the
   * whole input: (1+2+3+4) - 4 = 6. ch1: only tap (0,0) with weight 2, which reads (y-1, x-1): only output (1,1)
   * reads inside, 2 * (-1 - 1) = -4; the padding reads contribute 0 (not -zp * w). */
  tt_conv_shape s = {2, 2, 2, 2, 2, 2, 3, 1, 1, 2, 2, 3, 1, 1};
  tt_quant q = {1, 0, -128, 127, TT_REQUANT_FLOAT_HALF_AWAY};
  int8_t in[8] = {1, -1, 2, -2, 3, -3, 4, -4}, w[18] = {0}, out[8];
  for (int t = 0; t < 9; t++) w[t * 2] = 1;
  w[1] = 2;
  int32_t bias[2] = {0, 0};
  float mult[2] = {1.0f, 1.0f};
  tt_depthwise_s8(&s, &q, in, w, bias, mult, out, NULL, 0, 2);
  int8_t want[8] = {6, 0, 6, 0, 6, 0, 6, -4};
  CHECK(memcmp(out, want, 8) == 0, "depthwise %d %d %d %d %d %d %d %d", out[0], out[1], out[2], out[3], out[4], out[5],
        out[6], out[7]);
}

static void test_elementwise_hand(void) {
  /* add: a_zp -2, b_zp 0, ma 0.5, mb 1, out_zp 1:
   * 12*0.5 + 4 = 10 -> 11; -126*0.5 + 0 = -63 -> -62; 129*0.5 + 127 = 191.5 -> 192 -> 193 clamps to 127 (bit 0);
   * -1*0.5 + 0 = -0.5 -> tt_round = -1 -> 0. */
  tt_quant q = {-2, 1, -128, 127, TT_REQUANT_FLOAT_HALF_AWAY};
  int8_t a[4] = {10, -128, 127, -3}, b[4] = {4, 0, 127, 0}, out[4];
  uint8_t mask[1] = {0};
  tt_add_s8(4, &q, 0, 0.5f, 1.0f, a, b, out, mask);
  CHECK(out[0] == 11 && out[1] == -62 && out[2] == 127 && out[3] == 0, "add %d %d %d %d", out[0], out[1], out[2],
        out[3]);
  CHECK(mask[0] == 0x0b, "add mask %02x", mask[0]);

  /* avgpool 2x1x2, in_zp -1: ch0 (3 + 4 + 2) * 0.5 = 4.5 -> 5; ch1 (-256 + 2) * 0.5 = -127. */
  int8_t pin[4] = {3, -128, 4, -128}, pout[2];
  tt_avgpool_s8(2, 1, 2, -1, 0, 0.5f, pin, pout);
  CHECK(pout[0] == 5 && pout[1] == -127, "avgpool %d %d", pout[0], pout[1]);

  int8_t sin[6] = {1, 2, 3, 4, 5, 6}, sout[4];
  tt_slice_channels_s8(2, 3, 2, sin, sout);
  CHECK(sout[0] == 1 && sout[1] == 2 && sout[2] == 4 && sout[3] == 5, "slice");
  tt_slice_channels_s8(2, 3, 2, sin, sin); /* in place */
  CHECK(sin[0] == 1 && sin[1] == 2 && sin[2] == 4 && sin[3] == 5, "slice in place");

  /* concat 2 pixels of 2 + 1 channels: the inverse of slicing off the first 2 of 3. */
  int8_t ca[4] = {1, 2, 4, 5}, cb[2] = {3, 6}, cout[6];
  tt_concat_channels_s8(2, 2, 1, ca, cb, cout);
  CHECK(cout[0] == 1 && cout[1] == 2 && cout[2] == 3 && cout[3] == 4 && cout[4] == 5 && cout[5] == 6, "concat");
  tt_concat_channels_s8(2, 0, 1, ca, cb, cout); /* an empty head */
  CHECK(cout[0] == 3 && cout[1] == 6, "concat ka 0");
}

static void test_requant_edges(void) {
  /* Huge multipliers: v clamps to +-2^30, the output to the int8 range, and the mask bit is cleared. */
  tt_conv_shape s = {1, 1, 1, 1, 1, 2, 1, 1, 0, 1, 1, 1, 1, 0};
  tt_quant q = {0, 0, -128, 127, TT_REQUANT_FLOAT_HALF_AWAY};
  int8_t in[1] = {1}, w[2] = {1, -1}, out[2];
  int32_t bias[2] = {0, 0};
  float mult[2] = {1e30f, 1e30f};
  uint8_t mask[1] = {0xff};
  tt_pointwise_s8(&s, &q, in, w, bias, mult, out, mask, 0, 1);
  CHECK(out[0] == 127 && out[1] == -128 && mask[0] == 0xfc, "saturation %d %d %02x", out[0], out[1], mask[0]);
}

static void test_requant_modes_hand(void) {
  /* Half to even: ties go to the even neighbour, everything else to the nearest. */
  CHECK(tt_round_half_even(0.5f) == 0 && tt_round_half_even(1.5f) == 2 && tt_round_half_even(2.5f) == 2, "even +");
  CHECK(tt_round_half_even(-0.5f) == 0 && tt_round_half_even(-1.5f) == -2 && tt_round_half_even(-2.5f) == -2,
        "even -");
  CHECK(tt_round_half_even(2.5000002f) == 3 && tt_round_half_even(-2.4999998f) == -2, "even near ties");
  CHECK(tt_round_half_even(0x1p30f) == (1 << 30) && tt_round_half_even(8388609.0f) == 8388609, "even large");
  /* Fixed point. floor(a*b/2^31 + 1/2): ties toward +inf; the one overflow saturates. */
  CHECK(tt_sat_rounding_doubling_high_mul(3, 1 << 30) == 2 && tt_sat_rounding_doubling_high_mul(-3, 1 << 30) == -1,
        "srdhm ties");
  CHECK(tt_sat_rounding_doubling_high_mul(INT32_MIN, INT32_MIN) == INT32_MAX, "srdhm saturates");
  CHECK(tt_sat_rounding_doubling_high_mul(INT32_MIN, INT32_MAX) == -INT32_MAX, "srdhm min*max");
  /* Rounding right shift: half away from zero. */
  CHECK(tt_rounding_divide_by_pot(5, 1) == 3 && tt_rounding_divide_by_pot(-5, 1) == -3, "rdbpot ties");
  CHECK(tt_rounding_divide_by_pot(-6, 2) == -2 && tt_rounding_divide_by_pot(-5, 2) == -1, "rdbpot -");
  CHECK(tt_rounding_divide_by_pot(7, 0) == 7 && tt_rounding_divide_by_pot(INT32_MIN, 31) == -1, "rdbpot edges");
  /* 0.1 = 0.8 * 2^-3: M = round(0.8 * 2^31) = 1717986918, S = -3. 100 * 0.1 = 10; 25 * 0.1 = 2.5 -> 3 (the
   * product 79.99... rounds to 80 first, then 20 / 8 = 2.5 rounds away); -25 * 0.1 -> -20 / 8 = -2.5 -> -3. */
  CHECK(tt_requant_fixed(100, 1717986918, -3) == 10, "fixed 0.1 * 100 = %d", tt_requant_fixed(100, 1717986918, -3));
  CHECK(tt_requant_fixed(25, 1717986918, -3) == 3 && tt_requant_fixed(-25, 1717986918, -3) == -3, "fixed ties");
  /* Positive shift (multiplier 3 = 0.75 * 2^2): 1000 * 3; saturation of the left shift. */
  CHECK(tt_requant_fixed(1000, 1610612736, 2) == 3000, "fixed x3 = %d", tt_requant_fixed(1000, 1610612736, 2));
  CHECK(tt_requant_fixed(INT32_MAX / 2, 1 << 30, 3) == INT32_MAX / 2 + 1, "fixed saturated left shift");

  /* The same pointwise layer in the three modes, one channel with multiplier 0.5: acc = 1, 3, 5, -1, -3. */
  tt_conv_shape s = {1, 5, 1, 1, 5, 1, 1, 1, 0, 5, 1, 1, 1, 0};
  int8_t in[5] = {1, 3, 5, -1, -3}, w[1] = {1}, out[5];
  int32_t bias[1] = {0}, mq[2] = {1 << 30, 0};
  float mult[1] = {0.5f};
  tt_quant q = {0, 0, -128, 127, TT_REQUANT_FLOAT_HALF_AWAY};
  tt_pointwise_s8(&s, &q, in, w, bias, mult, out, NULL, 0, 1);
  CHECK(out[0] == 1 && out[1] == 2 && out[2] == 3 && out[3] == -1 && out[4] == -2, "half away %d %d %d %d %d", out[0],
        out[1], out[2], out[3], out[4]);
  q.requant = TT_REQUANT_FLOAT_HALF_EVEN;
  tt_pointwise_s8(&s, &q, in, w, bias, mult, out, NULL, 0, 1);
  CHECK(out[0] == 0 && out[1] == 2 && out[2] == 2 && out[3] == 0 && out[4] == -2, "half even %d %d %d %d %d", out[0],
        out[1], out[2], out[3], out[4]);
  q.requant = TT_REQUANT_TFLITE_FIXED; /* 0.5 = 2^30 * 2^(0 - 31): floor(acc/2 + 1/2), then no shift */
  tt_pointwise_s8(&s, &q, in, w, bias, mq, out, NULL, 0, 1);
  CHECK(out[0] == 1 && out[1] == 2 && out[2] == 3 && out[3] == 0 && out[4] == -1, "fixed %d %d %d %d %d", out[0],
        out[1], out[2], out[3], out[4]);
  tt_fc_s8(1, 1, &q, in + 1, w, bias, mq, out, NULL);
  CHECK(out[0] == 2, "fc fixed %d", out[0]);

  /* TFLite ADD with s_a = s_b = s_y: real multipliers 1/2, 1/2 and 2 / 2^20 = 2^-19 -> {2^30, 0}, {2^30, 0},
   * {2^30, -18}. a - a_zp = 3, b - b_zp = -2: (3 + -2) = 1 -> 1 + out_zp. */
  tt_quant qa = {1, 5, -128, 127, TT_REQUANT_TFLITE_FIXED};
  int32_t am[6] = {1 << 30, 0, 1 << 30, 0, 1 << 30, -18};
  int8_t a[2] = {4, -128}, b[2] = {0, -128}, aout[2];
  uint8_t mask[1] = {0};
  tt_add_s8_fixed(2, &qa, 2, am, a, b, aout, mask);
  CHECK(aout[0] == 6 && aout[1] == -128 && mask[0] == 1, "add fixed %d %d mask %02x", aout[0], aout[1], mask[0]);

  /* Mean of 4 pixels of one channel, sum(x - zp) = 6: float modes m = 0.25 (1.5 -> 2 either way); sum 2 -> 0.5:
   * away 1, even 0; TFLite (multiplier 1): (2 + 2) / 4 = 1. */
  int8_t pin[4] = {1, 0, 0, 1}, pout[1];
  float pm[1] = {0.25f};
  int32_t pq[2] = {1 << 30, 1};
  tt_quant pqa = {0, 0, -128, 127, TT_REQUANT_FLOAT_HALF_AWAY};
  tt_mean_s8(2, 2, 1, &pqa, pm, pin, pout);
  CHECK(pout[0] == 1, "mean away %d", pout[0]);
  pqa.requant = TT_REQUANT_FLOAT_HALF_EVEN;
  tt_mean_s8(2, 2, 1, &pqa, pm, pin, pout);
  CHECK(pout[0] == 0, "mean even %d", pout[0]);
  pqa.requant = TT_REQUANT_TFLITE_FIXED;
  tt_mean_s8(2, 2, 1, &pqa, pq, pin, pout);
  CHECK(pout[0] == 1, "mean fixed %d", pout[0]);
  pqa.in_zp = 1; /* sum(x - 1) = -2 -> (-2 - 2) / 4 = -1 */
  tt_mean_s8(2, 2, 1, &pqa, pq, pin, pout);
  CHECK(pout[0] == -1, "mean fixed negative %d", pout[0]);
}

/* ------------------------------------------------------------------------------------------------------
 * Randomized layers against a naive implementation of the formulas, bands and rings
 * ---------------------------------------------------------------------------------------------------- */

/* Requantization tables of the random layers: float m per channel, and int32 {M, S} per channel. */
static int32_t g_mult_q[1024];

/* x / 2^e rounded half away from zero, e >= 0, in 64 bits. */
static int64_t naive_div_pot(int64_t x, int e) {
  if (e == 0) return x;
  const int64_t half = (int64_t)1 << (e - 1);
  return x >= 0 ? (x + half) >> e : -((-x + half) >> e);
}

/* The requantization of tt_kernels.h written from the formulas: the float modes by their definition, the fixed mode
 * as floor(x * M / 2^31 + 1/2) (x = acc << max(S, 0)), then x / 2^max(-S, 0) rounded half away from zero. */
static int32_t naive_requant(int32_t acc, int o, const tt_quant *q) {
  if (q->requant == TT_REQUANT_TFLITE_FIXED) {
    const int32_t m = g_mult_q[2 * o], sh = g_mult_q[2 * o + 1];
    const int64_t x = (int64_t)acc * ((int64_t)1 << (sh > 0 ? sh : 0));
    const int64_t hi = ((x * m) + ((int64_t)1 << 30)) >> 31;
    int64_t r = naive_div_pot(hi, sh > 0 ? 0 : -sh);
    return (int32_t)(r > (1 << 30) ? (1 << 30) : r < -(1 << 30) ? -(1 << 30) : r);
  }
  float v = (float)acc * g_mult[o];
  v = v > 0x1p30f ? 0x1p30f : v < -0x1p30f ? -0x1p30f : v;
  if (q->requant == TT_REQUANT_FLOAT_HALF_AWAY) return (int32_t)(v >= 0 ? v + 0.5f : v - 0.5f);
  double fl = floor((double)v), d = (double)v - fl; /* half to even */
  int64_t r = (int64_t)fl + (d > 0.5 || (d == 0.5 && ((int64_t)fl & 1)) ? 1 : 0);
  return (int32_t)r;
}

/* Independent per-formula reference on whole tensors: general conv (depthwise when dw). */
static void naive_conv(const tt_conv_shape *s, const tt_quant *q, const int8_t *in, const int8_t *w,
                       const int32_t *bias, int8_t *out, uint8_t *mask, int dw) {
  const int kh = s->kernel, kw = s->kernel_w;
  for (int y = 0; y < s->out_h; y++)
    for (int x = 0; x < s->out_w; x++)
      for (int o = 0; o < s->out_c; o++) {
        int32_t acc = bias[o];
        for (int ky = 0; ky < kh; ky++)
          for (int kx = 0; kx < kw; kx++)
            for (int i = 0; i < (dw ? 1 : s->in_c); i++) {
              int iy = y * s->stride - s->pad + ky, ix = x * s->stride_w - s->pad_left + kx, c = dw ? o : i;
              if (iy < 0 || iy >= s->in_h || ix < 0 || ix >= s->in_w) continue;
              int32_t wv = dw ? w[(ky * kw + kx) * s->out_c + o] : w[((o * kh + ky) * kw + kx) * s->in_c + i];
              acc += (in[(iy * s->in_w + ix) * s->in_c + c] - q->in_zp) * wv;
            }
        int32_t r = naive_requant(acc, o, q) + q->out_zp;
        int e = (y * s->out_w + x) * s->out_c + o;
        out[e] = (int8_t)(r < q->act_min ? q->act_min : r > q->act_max ? q->act_max : r);
        int pass = r >= q->act_min && r <= q->act_max;
        mask[e >> 3] = (uint8_t)((mask[e >> 3] & ~(1 << (e & 7))) | (pass << (e & 7)));
      }
}

typedef enum { K_CONV, K_POINTWISE, K_DEPTHWISE } kind_t;

static void run_kernel(kind_t kind, const tt_conv_shape *s, const tt_quant *q, const int8_t *in, int8_t *out,
                       uint8_t *mask, int32_t r0, int32_t r1) {
  const void *m = q->requant == TT_REQUANT_TFLITE_FIXED ? (const void *)g_mult_q : (const void *)g_mult;
  if (kind == K_CONV) tt_conv_s8(s, q, in, g_w, g_bias, m, out, mask, r0, r1);
  if (kind == K_POINTWISE) tt_pointwise_s8(s, q, in, g_w, g_bias, m, out, mask, r0, r1);
  if (kind == K_DEPTHWISE) tt_depthwise_s8(s, q, in, g_w, g_bias, m, out, mask, r0, r1);
}

/* Random shape of the given kind; all tensors fit MAXN. */
static tt_conv_shape random_shape(kind_t kind) {
  static const int32_t ks[4] = {1, 3, 5, 7};
  tt_conv_shape s;
  do {
    s.kernel = kind == K_POINTWISE ? 1 : ks[tt_test_int(kind == K_DEPTHWISE ? 1 : 0, 3)];
    s.stride = kind == K_POINTWISE ? 1 : tt_test_int(1, 2);
    s.pad = kind == K_POINTWISE ? 0 : tt_test_int(0, s.kernel / 2);
    s.in_h = tt_test_int(1, 12);
    s.in_w = tt_test_int(1, 12);
    s.in_c = tt_test_int(1, kind == K_CONV ? 9 : 40);
    if (kind == K_DEPTHWISE && tt_test_int(0, 3) == 0) { /* wide layers: several SIMD channel groups */
      s.in_c = tt_test_int(129, 300);
      s.in_h = tt_test_int(1, 6);
      s.in_w = tt_test_int(1, 6);
    }
    s.out_c = kind == K_DEPTHWISE ? s.in_c : tt_test_int(1, 37);
    s.kernel_w = s.kernel, s.stride_w = s.stride, s.pad_left = s.pad;
    if (kind == K_CONV && tt_test_int(0, 1)) { /* rectangular: its own width, horizontal stride and left pad */
      s.kernel_w = tt_test_int(1, 7); /* with out_c <= 37, kernel <= 7, in_c <= 9 the weights fit MAXN */
      s.stride_w = tt_test_int(1, 3);
      s.pad_left = tt_test_int(0, s.kernel_w - 1);
    }
    s.out_h = (s.in_h + 2 * s.pad - s.kernel) / s.stride + 1;
    s.out_w = (s.in_w + 2 * s.pad_left - s.kernel_w) / s.stride_w + 1;
  } while (s.out_h < 1 || s.out_w < 1 || s.in_h + 2 * s.pad < s.kernel || s.in_w + 2 * s.pad_left < s.kernel_w);
  s.in_ring = s.in_h;
  s.out_ring = s.out_h;
  return s;
}

static void randomize(const tt_conv_shape *s, kind_t kind, tt_quant *q) {
  int32_t n_in = s->in_h * s->in_w * s->in_c;
  int32_t n_w = kind == K_DEPTHWISE ? s->kernel * s->kernel * s->in_c : s->out_c * s->kernel * s->kernel_w * s->in_c;
  for (int i = 0; i < n_in; i++) g_in[i] = (int8_t)tt_test_int(-128, 127);
  for (int i = 0; i < n_w; i++) g_w[i] = (int8_t)tt_test_int(-127, 127);
  for (int o = 0; o < s->out_c; o++) {
    g_bias[o] = tt_test_int(-3000, 3000);
    g_mult[o] = tt_test_float(0.0005f, 0.02f);
    if (tt_test_int(0, 3) == 0) g_mult[o] = 0.5f; /* ties: acc * m lands on .5 for every odd acc */
    g_mult_q[2 * o] = tt_test_int(1 << 30, INT32_MAX);
    g_mult_q[2 * o + 1] = tt_test_int(-12, -6);
    if (tt_test_int(0, 3) == 0) g_mult_q[2 * o] = 1 << 30; /* 2^-k exactly: ties in the rounding shift */
  }
  q->requant = (int32_t)(tt_test_next() % 3);
  q->in_zp = tt_test_int(-128, 127);
  q->out_zp = tt_test_int(-128, 127);
  q->act_min = tt_test_int(0, 1) ? -128 : q->out_zp;
  q->act_max = 127;
}

/* Each row in random column pieces (the _cols entries threads split a one-row band with) equals the whole call;
 * with a mask only when pieces start on a mask byte (channels a multiple of 8). */
static void check_columns(kind_t kind, const tt_conv_shape *s, const tt_quant *q, int trial) {
  const int32_t n_out = s->out_h * s->out_w * s->out_c;
  const void *m = q->requant == TT_REQUANT_TFLITE_FIXED ? (const void *)g_mult_q : (const void *)g_mult;
  uint8_t *mask = s->out_c % 8 == 0 ? g_mask : NULL;
  memset(g_mask, 0x5a, sizeof g_mask);
  memset(g_out, 0x33, sizeof g_out);
  for (int32_t y = 0; y < s->out_h; y++) {
    for (int32_t x0 = 0; x0 < s->out_w;) {
      int32_t x1 = x0 + tt_test_int(1, 4);
      if (x1 > s->out_w) x1 = s->out_w;
      if (kind == K_CONV) tt_conv_s8_cols(s, q, g_in, g_w, g_bias, m, g_out, mask, y, y + 1, x0, x1);
      else tt_depthwise_s8_cols(s, q, g_in, g_w, g_bias, m, g_out, mask, y, y + 1, x0, x1);
      x0 = x1;
    }
  }
  CHECK(memcmp(g_out, g_ref, (size_t)n_out) == 0, "kind %d trial %d: column pieces differ", kind, trial);
  CHECK(!mask || mask_equal(g_mask, g_mask_ref, n_out), "kind %d trial %d: column mask differs", kind, trial);
}

/* Whole tensor vs naive, then random bands, then a ring-buffered input and output, row by row. */
static void check_layer(kind_t kind, int trial) {
  tt_conv_shape s = random_shape(kind);
  tt_quant q;
  randomize(&s, kind, &q);
  const int32_t n_out = s.out_h * s.out_w * s.out_c, row_out = s.out_w * s.out_c, row_in = s.in_w * s.in_c;
  memset(g_mask_ref, 0xa5, sizeof g_mask_ref);
  naive_conv(&s, &q, g_in, g_w, g_bias, g_ref, g_mask_ref, kind == K_DEPTHWISE);

  memset(g_mask, 0xa5, sizeof g_mask);
  memset(g_out, 0x33, sizeof g_out);
  run_kernel(kind, &s, &q, g_in, g_out, g_mask, 0, s.out_h);
  CHECK(memcmp(g_out, g_ref, (size_t)n_out) == 0, "kind %d trial %d: whole tensor differs", kind, trial);
  CHECK(memcmp(g_mask, g_mask_ref, sizeof g_mask) == 0, "kind %d trial %d: mask differs", kind, trial);

  /* Bands in random order of random sizes; a band leaves other rows' outputs and mask bits alone. */
  memset(g_mask, 0x5a, sizeof g_mask);
  memset(g_out, 0x33, sizeof g_out);
  for (int32_t r0 = 0; r0 < s.out_h;) {
    int32_t r1 = r0 + tt_test_int(1, 3);
    if (r1 > s.out_h) r1 = s.out_h;
    run_kernel(kind, &s, &q, g_in, g_out, g_mask, r0, r1);
    int ok = 1;
    for (int32_t e = r1 * row_out; e < n_out; e++)
      ok &= g_out[e] == 0x33 && mask_bit(g_mask, e) == ((0x5a >> (e & 7)) & 1);
    CHECK(ok, "kind %d trial %d: band [%d,%d) touched later rows", kind, trial, r0, r1);
    r0 = r1;
  }
  CHECK(memcmp(g_out, g_ref, (size_t)n_out) == 0, "kind %d trial %d: bands differ", kind, trial);
  CHECK(mask_equal(g_mask, g_mask_ref, n_out), "kind %d trial %d: band mask differs", kind, trial);

  if (kind != K_POINTWISE) check_columns(kind, &s, &q, trial);

  /* Ring buffers: the input holds just the k rows an output row reads, the output 2 rows. */
  tt_conv_shape r = s;
  r.in_ring = s.kernel < s.in_h ? s.kernel : s.in_h;
  r.out_ring = s.out_h < 2 ? s.out_h : 2;
  memset(g_ring_in, 0x7f, sizeof g_ring_in);
  int ok = 1;
  for (int32_t y = 0; y < s.out_h; y++) {
    for (int32_t ky = 0; ky < s.kernel; ky++) {
      int32_t iy = y * s.stride - s.pad + ky;
      if (iy >= 0 && iy < s.in_h) memcpy(g_ring_in + (iy % r.in_ring) * row_in, g_in + iy * row_in, (size_t)row_in);
    }
    run_kernel(kind, &r, &q, g_ring_in, g_ring_out, NULL, y, y + 1);
    ok &= memcmp(g_ring_out + (y % r.out_ring) * row_out, g_ref + y * row_out, (size_t)row_out) == 0;
  }
  CHECK(ok, "kind %d trial %d: ring-buffer rows differ", kind, trial);
}

static void test_random_layers(void) {
  for (int trial = 0; trial < 60; trial++) {
    check_layer(K_CONV, trial);
    check_layer(K_POINTWISE, trial);
    check_layer(K_DEPTHWISE, trial);
  }
}

int main(void) {
  test_pointwise_hand();
  test_requant_modes_hand();
  test_conv_hand();
  test_depthwise_hand();
  test_elementwise_hand();
  test_requant_edges();
  test_random_layers();
  return tt_test_report("test_forward");
}
