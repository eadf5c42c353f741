/*
 * tt_kernels.h - the TinyTrain kernel API: int8 forward, fp32 backward, QAS updates.
 *
 * One source serves three builds that must agree bit for bit: WebAssembly (emcc -O3 -msimd128, and a
 * scalar build without -msimd128), native C (tests under ASan/UBSan, benchmarks) and Cortex-M firmware.
 * Every build uses -ffp-contract=off and no fast-math, and every kernel below fixes the order of its float
 * operations in its doc block, so a SIMD path may only vectorize across independent outputs, never
 * reassociate a sum. The TypeScript reference (src/compiler/reference/) implements the same contracts with
 * plain loops and Math.fround, and is the oracle the C is tested against.
 *
 * Conventions (PAPER-FACTS sections 1-2):
 *  - Layout is HWC (batch 1). Weights: general conv [out_c][kernel][kernel_w][in_c]; pointwise and fully connected
 *    [out_c][in_c]; depthwise [k][k][c]. Biases int32 in units s_W[c]*s_x.
 *  - Activations int8, per-tensor (scale s, zero point z): real = s * (q - z).
 *  - Requantization: acc = sum((x - z_x) * w) + b (int32, exact), then r by the layer's tt_requant_mode
 *    (tt_quant.requant) and y = clamp(r + z_y, act_min, act_max):
 *      TT_REQUANT_FLOAT_HALF_AWAY (the built-ins): v = (float)acc * m[c] (float32), v clamped to
 *        [-2^30, 2^30], r = tt_round(v) = (int32_t)(v >= 0 ? v + 0.5f : v - 0.5f), the add in float32.
 *      TT_REQUANT_FLOAT_HALF_EVEN (ONNX Runtime, PyTorch): the same v, r = tt_round_half_even(v).
 *      TT_REQUANT_TFLITE_FIXED (TFLite reference kernels, CMSIS-NN; integer only): with the per-channel
 *        Q31 multiplier M[c] and shift S[c] of real m (m = M * 2^(S - 31), M in [2^30, 2^31)),
 *        r = tt_requant_fixed(acc, M[c], S[c]), clamped to [-2^30, 2^30].
 *    A forward kernel's `mult` table is float[out_c] (m) in the float modes and int32[out_c][2] ({M, S}) in
 *    the fixed mode.
 *  - Clamp mask: 1 bit per output element, element e at bit (e & 7) of byte e >> 3, set when
 *    act_min <= r + z_y <= act_max (the clamp let the value through, so the gradient passes).
 *    A forward kernel given a non-NULL mask is the training variant; NULL means inference.
 *  - Gradients are float32 in real units: g = dL/d(real value). The gradient of a conv's pre-activation is
 *    g_acc = g_y * mask (tt_clamp_f32_bwd). Weights are read as float: W_real[c] = s_W[c] * (float)w_q.
 *  - Row bands and ring buffers: spatial forward kernels compute output rows [r0, r1) only. A tensor may be
 *    a ring buffer holding `ring` rows: logical row r lives at physical row r % ring (ring == h for a whole
 *    tensor). Rows outside [0, in_h) read as the input zero point (padding).
 *  - No kernel allocates. Scratch comes from the caller, sized by the matching *_get_buffer_size() (CMSIS-NN
 *    style: a kernel with a `scratch` argument has one; the compiler's TypeScript formula is tested against it).
 *  - Every parameter struct holds only int32 fields, so its layout is 4 bytes a field on every target
 *    (the WebAssembly executor writes them by field index).
 */
#ifndef TT_KERNELS_H
#define TT_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------------
 * Parameter structs (int32 fields only; field order is ABI, mirrored in src/compiler/kernel-abi.ts)
 * ------------------------------------------------------------------------------------------------- */

/* Geometry of a conv-like layer (general conv, pointwise 1x1, depthwise) and of a windowed pool or a pad.
 * The general conv, the pools and the pad read the width fields (kernel_w, stride_w, pad_left) for the x axis
 * and kernel, stride, pad for the y axis, so their windows may be rectangular (TFLite's micro_speech: 10x8,
 * stride 2x2). Pointwise and depthwise are square: their plans carry kernel_w == kernel, stride_w == stride,
 * pad_left == pad (the plan validator refuses anything else). The compiler always fills every field. */
typedef struct {
  int32_t in_h, in_w, in_c;    /* input tensor */
  int32_t out_h, out_w, out_c; /* output tensor; depthwise, pools, pad: out_c == in_c */
  int32_t kernel;              /* kernel height (k of a k x k kernel); 1 for pointwise */
  int32_t stride;              /* vertical stride, >= 1 */
  int32_t pad;                 /* zero-point padding rows at the top (bottom rows follow from the shape) */
  int32_t in_ring;             /* rows physically stored in the input buffer (== in_h unless a ring) */
  int32_t out_ring;            /* rows physically stored in the output buffer (== out_h unless a ring) */
  int32_t kernel_w;            /* kernel width */
  int32_t stride_w;            /* horizontal stride, >= 1 */
  int32_t pad_left;            /* zero-point padding columns at the left (right columns follow from the shape) */
} tt_conv_shape;

/* Per-tensor quantization of a layer's input and output, and the output clamp. */
typedef struct {
  int32_t in_zp;   /* z_x */
  int32_t out_zp;  /* z_y */
  int32_t act_min; /* clamp low, usually -128 (or z_y for a ReLU-like clamp) */
  int32_t act_max; /* clamp high, usually 127 */
  int32_t requant; /* tt_requant_mode; 0 (float, half away from zero) when a caller leaves it out */
} tt_quant;

/* How a forward kernel turns its int32 accumulator into the output integer (see Requantization above). */
typedef enum {
  TT_REQUANT_FLOAT_HALF_AWAY = 0, /* float32 multiply, round half away from zero: the built-in models */
  TT_REQUANT_TFLITE_FIXED = 1,    /* int32 multiplier and shift: TFLite's reference int8 kernels, CMSIS-NN */
  TT_REQUANT_FLOAT_HALF_EVEN = 2, /* float32 multiply, round half to even: ONNX Runtime, PyTorch */
  TT_REQUANT_TFLITE_XNNPACK = 3   /* tt_add_s8_fixed only: XNNPACK's int8 add (TFLite's XNNPACK delegate); the
                                     other kernels of that model run TT_REQUANT_FLOAT_HALF_EVEN, as XNNPACK does */
} tt_requant_mode;

/* Rounding of an update written into integer storage (PAPER-FACTS section 2). */
typedef enum {
  TT_ROUND_TRUNCATE = 0,  /* C float->int conversion, toward zero: what the original MCU code does */
  TT_ROUND_NEAREST = 1,   /* tt_round: half away from zero */
  TT_ROUND_STOCHASTIC = 2 /* floor(v + u), u uniform in [0,1) from tt_rng: unbiased in expectation */
} tt_rounding;

/* Deterministic PRNG for stochastic rounding: xorshift32 (state never 0).
 * next: x ^= x << 13; x ^= x >> 17; x ^= x << 5; return x.
 * uniform: (float)(next >> 8) * 0x1p-24f, in [0, 1). One draw per updated element, in element order. */
typedef struct {
  uint32_t state;
} tt_rng;

/* Where an SGD update goes. The gradient g is dense [rows][cols]; element (r, c) updates
 * dst[r * row_stride + c]. Its per-channel gradient scale is gscale[r / rows_per_channel] when
 * channel_is_col == 0 (pointwise, conv, fc: one output channel per rows_per_channel rows) and gscale[c]
 * when channel_is_col == 1 (depthwise: rows are kernel taps, cols are channels). */
typedef struct {
  int32_t rows;
  int32_t cols;
  int32_t row_stride;
  int32_t rows_per_channel;
  int32_t channel_is_col;
  int32_t rounding; /* tt_rounding */
} tt_update_params;

/* ---------------------------------------------------------------------------------------------------
 * Shared scalar helpers (inline so every build and the firmware get the same definition)
 * ------------------------------------------------------------------------------------------------- */

static inline int32_t tt_round(float v) { return (int32_t)(v >= 0.0f ? v + 0.5f : v - 0.5f); }

/* Round half to even of |v| <= 2^30 (nearbyintf under the default rounding mode, without libm): t = trunc(v);
 * d = v - t is exact (t and v share their binade or t is 0) and lies in (-1, 1); step away from zero when
 * |d| > 0.5, or |d| == 0.5 and t is odd. */
static inline int32_t tt_round_half_even(float v) {
  const int32_t t = (int32_t)v;
  const float d = v - (float)t;
  if (d > 0.5f || (d == 0.5f && (t & 1))) return t + 1;
  if (d < -0.5f || (d == -0.5f && (t & 1))) return t - 1;
  return t;
}

/* TFLite's fixed-point primitives (gemmlowp), integer only:
 * tt_sat_rounding_doubling_high_mul(a, b) = floor(a * b / 2^31 + 1/2) (the 64-bit product, ties toward +inf:
 *   TFLite adds 2^30 or 1 - 2^30 by the sign and truncates; the one overflow, a == b == INT32_MIN, saturates to
 *   INT32_MAX);
 * tt_rounding_divide_by_pot(x, e) = x / 2^e rounded half away from zero (0 <= e <= 31): floor(x / 2^e) plus 1
 *   when the remainder exceeds half of 2^e (half exactly counts for negative x only). */
static inline int32_t tt_sat_rounding_doubling_high_mul(int32_t a, int32_t b) {
  if (a == b && a == INT32_MIN) return INT32_MAX;
  const int64_t ab = (int64_t)a * (int64_t)b;
  const int64_t nudge = ab >= 0 ? (INT64_C(1) << 30) : 1 - (INT64_C(1) << 30);
  return (int32_t)((ab + nudge) / (INT64_C(1) << 31)); /* C division truncates toward zero */
}

static inline int32_t tt_rounding_divide_by_pot(int32_t x, int32_t e) {
  const int32_t mask = (int32_t)((UINT32_C(1) << e) - 1u);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + (remainder > threshold ? 1 : 0);
}

/* TFLite's MultiplyByQuantizedMultiplier: acc * M * 2^(S - 31) with a left shift max(S, 0) of acc first (here
 * saturated to the int32 range, where TFLite's overflow is undefined) and a rounding right shift max(-S, 0)
 * after. M in [0, 2^31), S in [-31, 30]. */
static inline int32_t tt_requant_fixed(int32_t acc, int32_t m, int32_t shift) {
  int32_t x = acc;
  if (shift > 0) {
    const int64_t wide = (int64_t)acc * (INT64_C(1) << shift);
    x = wide > INT32_MAX ? INT32_MAX : wide < INT32_MIN ? INT32_MIN : (int32_t)wide;
  }
  return tt_rounding_divide_by_pot(tt_sat_rounding_doubling_high_mul(x, m), shift > 0 ? 0 : -shift);
}

static inline uint32_t tt_rng_next(tt_rng *r) {
  uint32_t x = r->state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  r->state = x;
  return x;
}

static inline float tt_rng_uniform(tt_rng *r) { return (float)(tt_rng_next(r) >> 8) * 0x1p-24f; }

/* exp and log with a fixed sequence of float32 operations (no libm: its results differ between the
 * browser, glibc and newlib). Accurate to a few ulp over the range softmax uses. */
float tt_expf(float x);
float tt_logf(float x);

/* ---------------------------------------------------------------------------------------------------
 * Forward kernels (int8 in, int8 out, optional clamp mask)
 * ------------------------------------------------------------------------------------------------- */

/* General kh x kw conv (kh = kernel, kw = kernel_w), strides sy = stride, sx = stride_w (the 3x3 stride-2 stem
 * on 3 channels is the main user; imported models bring rectangular kernels such as micro_speech's 10x8).
 * acc[y][x][o] = bias[o] + sum over ky, kx, i (in that nesting, i innermost) of
 *                (in[y*sy-pad+ky][x*sx-pad_left+kx][i] - in_zp) * w[o][ky][kx][i]; padding reads contribute 0.
 * Output rows [r0, r1). mask: NULL or a whole-tensor mask (requires out_ring == out_h). */
void tt_conv_s8(const tt_conv_shape *shape, const tt_quant *q, const int8_t *in, const int8_t *w,
                const int32_t *bias, const void *mult, int8_t *out, uint8_t *mask, int32_t r0, int32_t r1);

/* Pointwise 1x1 conv, stride 1: acc[p][o] = bias[o] + sum_i (in[p][i] - in_zp) * w[o][i].
 * Output rows [r0, r1) read input rows [r0, r1). */
void tt_pointwise_s8(const tt_conv_shape *shape, const tt_quant *q, const int8_t *in, const int8_t *w,
                     const int32_t *bias, const void *mult, int8_t *out, uint8_t *mask, int32_t r0,
                     int32_t r1);

/* Depthwise k x k conv (k in {3,5,7}), stride 1 or 2:
 * acc[y][x][c] = bias[c] + sum over ky, kx of (in[y*s-pad+ky][x*s-pad+kx][c] - in_zp) * w[ky][kx][c]. */
void tt_depthwise_s8(const tt_conv_shape *shape, const tt_quant *q, const int8_t *in, const int8_t *w,
                     const int32_t *bias, const void *mult, int8_t *out, uint8_t *mask, int32_t r0,
                     int32_t r1);

/* Output columns [x0, x1) of output rows [r0, r1) of tt_depthwise_s8 / tt_conv_s8 (0 <= x0 <= x1 <= out_w): those
 * outputs (and their mask bits) only, each with the whole call's arithmetic. Threads split a one-row band by
 * columns with them; with a mask, columns must start on a mask byte (x0 * channels a multiple of 8). */
void tt_depthwise_s8_cols(const tt_conv_shape *shape, const tt_quant *q, const int8_t *in, const int8_t *w,
                          const int32_t *bias, const void *mult, int8_t *out, uint8_t *mask, int32_t r0, int32_t r1,
                          int32_t x0, int32_t x1);
void tt_conv_s8_cols(const tt_conv_shape *shape, const tt_quant *q, const int8_t *in, const int8_t *w,
                     const int32_t *bias, const void *mult, int8_t *out, uint8_t *mask, int32_t r0, int32_t r1,
                     int32_t x0, int32_t x1);

/* Fully connected / 1x1 classifier on a vector: acc[o] = bias[o] + sum_i (in[i] - in_zp) * w[o][i]. */
void tt_fc_s8(int32_t in_c, int32_t out_c, const tt_quant *q, const int8_t *in, const int8_t *w,
              const int32_t *bias, const void *mult, int8_t *out, uint8_t *mask);

/* Residual add: v = (float)(a - a_zp) * ma + (float)(b - b_zp) * mb (two products, then one add, float32),
 * with ma = s_a / s_y, mb = s_b / s_y, clamped to [-2^30, 2^30]; y = clamp(R(v) + q->out_zp, act_min, act_max)
 * with R = tt_round_half_even when q->requant is TT_REQUANT_FLOAT_HALF_EVEN, else tt_round (the fixed mode
 * has its own kernel, tt_add_s8_fixed). q->in_zp is a's zero point; b_zp is b's. */
void tt_add_s8(int32_t n, const tt_quant *q, int32_t b_zp, float ma, float mb, const int8_t *a,
               const int8_t *b, int8_t *out, uint8_t *mask);

/* Residual add as TFLite's int8 ADD computes it (integer only), or with q->requant == TT_REQUANT_TFLITE_XNNPACK as
 * XNNPACK's int8 add does: mult = {A, B, shift, ...} (A = lrintf(s_a / s_y * 2^shift), B likewise, shift in
 * [1, 30]), y = clamp(((a - a_zp) * A + (b - b_zp) * B + 2^(shift - 1)) >> shift (arithmetic) + q->out_zp).
 * Otherwise mult holds six int32:
 * {M_a, S_a, M_b, S_b, M_y, S_y}, the Q31 multipliers and shifts (tt_requant_fixed) of s_a / (2 max(s_a, s_b)),
 * s_b / (2 max(s_a, s_b)) and 2 max(s_a, s_b) / (2^20 s_y). Per element:
 * ya = tt_requant_fixed((a - a_zp) * 2^20, M_a, S_a), yb likewise, r = tt_requant_fixed(ya + yb, M_y, S_y),
 * clamped to [-2^30, 2^30]; y = clamp(r + q->out_zp, act_min, act_max); the mask as for every forward kernel. */
void tt_add_s8_fixed(int32_t n, const tt_quant *q, int32_t b_zp, const int32_t *mult, const int8_t *a,
                     const int8_t *b, int8_t *out, uint8_t *mask);

/* Global average pool over h*w pixels per channel:
 * sum = sum_p (in[p][c]) (int32), v = (float)(sum - h*w*in_zp) * m with m = s_in / (s_out * h * w),
 * y = clamp(tt_round(v) + out_zp, -128, 127). No mask: the pool is treated as linear in backward. */
void tt_avgpool_s8(int32_t h, int32_t w, int32_t c, int32_t in_zp, int32_t out_zp, float m, const int8_t *in,
                   int8_t *out);

/* Global mean of each channel over h*w pixels in every requantization mode (no mask, like tt_avgpool_s8):
 * sum = sum_p (in[p][c] - q->in_zp) (int32), then
 *   float modes: mult = float[1] {m}, m = s_in / (s_out * h * w); v = (float)sum * m clamped to [-2^30, 2^30],
 *     r = tt_round(v) or tt_round_half_even(v);
 *   TT_REQUANT_TFLITE_FIXED (TFLite's int8 MEAN over h and w): mult = int32[2] {M, S} of s_in / s_out;
 *     t = tt_requant_fixed(sum, M, S); r = (t + n/2) / n when t > 0, else (t - n/2) / n (n = h*w, C division
 *     without overflow), clamped to [-2^30, 2^30];
 *     TFLite's AVERAGE_POOL_2D over the whole input (equal input and output quantization) is this with both
 *     zero points 0 and {M, S} = {2^30, 1} (the multiplier 1).
 * y = clamp(r + q->out_zp, q->act_min, q->act_max). */
void tt_mean_s8(int32_t h, int32_t w, int32_t c, const tt_quant *q, const void *mult, const int8_t *in,
                int8_t *out);
/* Windowed pools and pad (tt_pool.c): HWC int8, whole tensors (in_ring == in_h, out_ring == out_h), out_c == in_c.
 * The window of output (y, x) covers input rows y*stride - pad + ky (ky < kernel) and columns
 * x*stride_w - pad_left + kx (kx < kernel_w); only in-bounds taps count (padding is never read or counted: TFLite's
 * SAME padding), n(y, x) = their number >= 1 (the plan validator refuses a window that reads nothing).
 *
 * Average pool (TFLite AVERAGE_POOL_2D): sum = sum over the in-bounds taps of (in - in_zp), int32 exact.
 *   count_mult == NULL: TFLite's integer rule (its reference_integer_ops::AveragePool and CMSIS-NN's
 *     arm_avgpool_s8, which require input and output to share scale and zero point; in_zp == out_zp here):
 *     raw = sum + n * in_zp (the sum of the stored values); r = raw > 0 ? (raw + n/2) / n : (raw - n/2) / n with
 *     C's truncating division (ties away from zero); y = clamp(r, act_min, act_max).
 *   count_mult != NULL: requantization through the shared forward epilogue with the multiplier of the window's
 *     count: count_mult[n - 1] = s_in / (s_out * n) (kernel * kernel_w floats); v = (float)sum * count_mult[n - 1],
 *     clamped to [-2^30, 2^30]; y = clamp(tt_round(v) + out_zp, act_min, act_max).
 * mask: NULL or the clamp mask (act_min <= y before the clamp <= act_max), as for the conv kernels. */
void tt_avgpool2d_s8(const tt_conv_shape *shape, const tt_quant *q, const float *count_mult, const int8_t *in,
                     int8_t *out, uint8_t *mask);

/* Max pool (TFLite MAX_POOL_2D): y = clamp(max over the in-bounds taps of in, act_min, act_max). Input and output
 * share scale and zero point (q->in_zp == q->out_zp: the max of stored values is the stored max). mask as above. */
void tt_maxpool2d_s8(const tt_conv_shape *shape, const tt_quant *q, const int8_t *in, int8_t *out, uint8_t *mask);

/* Zero-point padding (TFLite PAD, ONNX Pad with constant 0 in real units): out[y][x][c] = in[y - pad][x - pad_left][c]
 * where that lies inside the input, else zp (the shared zero point of input and output). kernel, stride, kernel_w,
 * stride_w are 1; out_h >= in_h + pad, out_w >= in_w + pad_left (bottom and right pads follow from the shape). */
void tt_pad_s8(const tt_conv_shape *shape, int32_t zp, const int8_t *in, int8_t *out);

/* Softmax cross-entropy on dequantized logits z[i] = scale * (float)(logits[i] - zp).
 * mx = max z; e[i] = tt_expf(z[i] - mx); sum = e[0] + e[1] + ... in order; loss = tt_logf(sum) - (z[label] - mx);
 * grad[i] = e[i] / sum - (i == label ? 1 : 0)  (dL/dz, real units). grad may be NULL (evaluation only).
 * Returns the loss. */
float tt_softmax_xent_s8(int32_t n, const int8_t *logits, int32_t zp, float scale, int32_t label, float *grad);

/* ---------------------------------------------------------------------------------------------------
 * Backward kernels (float32 gradients, real units). They read and write whole tensors: in_ring and
 * out_ring are not used.
 * ------------------------------------------------------------------------------------------------- */

/* Gradient of the clamp, in place: g[e] = bit e of mask ? g[e] : 0.0f. */
void tt_clamp_f32_bwd(int32_t n, float *g, const uint8_t *mask);

/* Residual add, one branch: g_in[e] = (mask bit e ? g_out[e] : 0) scaled by nothing (real units pass
 * straight through an add); accumulate: g_in[e] = g_in[e] + that. g_in may alias g_out when !accumulate. */
void tt_add_f32_bwd_input(int32_t n, const float *g_out, const uint8_t *mask, float *g_in, int32_t accumulate);

/* Input gradients. g_out is the pre-activation gradient [out_h][out_w][out_c] (already masked);
 * wscale[o] = s_W[o]. For every input element the result is a float sum; the terms are
 * t = (g_out[...][o] * wscale[o]) * (float)w[...] added in this order:
 *   pointwise: o = 0..out_c-1.
 *   conv:      output y, x ascending (only those reading this input pixel), then o ascending; ky, kx follow
 *              from y, x (ky = iy + pad - y*stride, kx = ix + pad_left - x*stride_w).
 *   depthwise: output y, x ascending (only those reading this input pixel).
 *   fc:        o = 0..out_c-1.
 * The sum starts from 0.0f and the result is stored (accumulate == 0) or added to g_in (accumulate == 1:
 * g_in = g_in + sum). Pixels never read by any output (stride 2 edges) get gradient 0 (or keep g_in). */
void tt_pointwise_f32_bwd_input(const tt_conv_shape *shape, const float *g_out, const int8_t *w,
                                const float *wscale, float *g_in, int32_t accumulate);
void tt_conv_f32_bwd_input(const tt_conv_shape *shape, const float *g_out, const int8_t *w, const float *wscale,
                           float *g_in, int32_t accumulate);
void tt_depthwise_f32_bwd_input(const tt_conv_shape *shape, const float *g_out, const int8_t *w,
                                const float *wscale, float *g_in, int32_t accumulate);
void tt_fc_f32_bwd_input(int32_t in_c, int32_t out_c, const float *g_out, const int8_t *w, const float *wscale,
                         float *g_in, int32_t accumulate);
/* Input rows [r0, r1) of tt_depthwise_f32_bwd_input (0 <= r0 <= r1 <= in_h): those rows of g_in only, each
 * element the same sum in the same order. Threads split one input gradient by rows with it. */
void tt_depthwise_f32_bwd_input_rows(const tt_conv_shape *shape, const float *g_out, const int8_t *w,
                                     const float *wscale, float *g_in, int32_t accumulate, int32_t r0, int32_t r1);

/* Average pool: g_in[p][c] = g_out[c] / (float)(h*w) (or added to g_in when accumulate). */
void tt_avgpool_f32_bwd_input(int32_t h, int32_t w, int32_t c, const float *g_out, float *g_in,
                              int32_t accumulate);

/* Windowed pools and pad, input gradients (real units; shapes as for the forward kernels; tt_pool.c).
 * Average pool: g_in[iy][ix][c] = sum over the outputs (y, x) ascending whose window reads (iy, ix) of
 *   t = g_out[y][x][c] / (float)n(y, x), from 0.0f, then stored or added (g_in = g_in + sum); pixels no window
 *   reads get 0 (or keep g_in). The forward's requantization is not differentiated (straight-through); the clamp
 *   is, by tt_clamp_f32_bwd on g_out first.
 * Max pool: the gradient of output (y, x, c) goes to the first tap in window order (ky, then kx ascending) whose
 *   input equals the window's max (in = the saved forward input). g_in[iy][ix][c] = sum over the outputs (y, x)
 *   ascending that route to it of g_out[y][x][c], from 0.0f, then stored or added; others get 0 (or keep g_in).
 * Pad: g_in[iy][ix][c] = g_out[iy + pad][ix + pad_left][c] (stored, or added: g_in = g_in + that). */
void tt_avgpool2d_f32_bwd_input(const tt_conv_shape *shape, const float *g_out, float *g_in, int32_t accumulate);
void tt_maxpool2d_f32_bwd_input(const tt_conv_shape *shape, const int8_t *in, const float *g_out, float *g_in,
                                int32_t accumulate);
void tt_pad_f32_bwd_input(const tt_conv_shape *shape, const float *g_out, float *g_in, int32_t accumulate);

/* Weight gradients restricted to the first k input channels (depthwise: the first k channels).
 * `in` is the layer input saved for backward, stored with in_stride int8 per pixel (in_stride >= k; a saved
 * slice holds just the first k channels) and zero point in_zp; in_scale = s_x.
 * Each gradient element is s_x * S where S = sum of g_out[...][o] * (float)(x - in_zp) over the output
 * pixels (y, x ascending), starting from 0.0f; the multiply by s_x comes last. Padding terms are skipped.
 * Layouts of g_w:
 *   pointwise / fc: [out_c][k]
 *   conv:           [out_c][kernel][kernel_w][k]
 *   depthwise:      [kernel][kernel][k]   */
void tt_pointwise_f32_bwd_weight(const tt_conv_shape *shape, const float *g_out, const int8_t *in,
                                 int32_t in_stride, int32_t in_zp, float in_scale, int32_t k, float *g_w);
void tt_conv_f32_bwd_weight(const tt_conv_shape *shape, const float *g_out, const int8_t *in, int32_t in_stride,
                            int32_t in_zp, float in_scale, int32_t k, float *g_w);
void tt_depthwise_f32_bwd_weight(const tt_conv_shape *shape, const float *g_out, const int8_t *in,
                                 int32_t in_stride, int32_t in_zp, float in_scale, int32_t k, float *g_w);
void tt_fc_f32_bwd_weight(int32_t in_c, int32_t out_c, const float *g_out, const int8_t *in, int32_t in_zp,
                          float in_scale, int32_t k, float *g_w);

/* Bias gradient: g_b[o] = sum over pixels p ascending of g_out[p][o], from 0.0f. */
void tt_bias_f32_bwd(int32_t pixels, int32_t channels, const float *g_out, float *g_b);

/* ---------------------------------------------------------------------------------------------------
 * Updates: QAS-scaled SGD written straight into integer storage
 * ------------------------------------------------------------------------------------------------- */

/* QAS (PAPER-FACTS section 2). With W = s_W * W_q, the gradient of the stored integer is G_Wq = s_W * G_W and
 * QAS rescales it by s_W^-2, so the step on W_q is lr * G_W / s_W: an fp32 SGD step in real units.
 * Bias (units s_W * s_x): lr * G_b / (s_W * s_x). Without QAS the step is lr * G_Wq = lr * s_W * G_W
 * (and lr * s_W * s_x * G_b). The caller passes that per-channel factor as gscale:
 *   weights: gscale[o] = qas ? 1 / s_W[o] : s_W[o]
 *   biases:  gscale[o] = qas ? 1 / (s_W[o] * s_x) : s_W[o] * s_x
 * Each element: d = lr * (g * gscale[ch]) (float32, in that order); q_new = saturate(q - R(d)), where R is the
 * rounding mode applied to d (truncate: (int32_t)d; nearest: tt_round(d); stochastic: (int32_t)floorf(d + u)
 * with u = tt_rng_uniform(rng), one draw per element in row-major order). d is clamped to [-2^30, 2^30]
 * before rounding (a NaN d counts as 0). Weights saturate to [-127, 127] (symmetric), biases to [-bound, bound],
 * the layer's bias bound 2^31 - 1 - F * 255 * 127 for a fan-in of F terms (the largest |bias| with which its int32
 * accumulator cannot overflow; a model file with a larger bias is refused, so a trained one must stay inside).
 * rng may be NULL unless rounding is stochastic. */
void tt_update_s8(const tt_update_params *p, const float *g, const float *gscale, float lr, int8_t *dst,
                  tt_rng *rng);
void tt_update_s32(int32_t n, int32_t bound, int32_t rounding, const float *g, const float *gscale, float lr, int32_t *dst,
                   tt_rng *rng);

/* Fused weight gradient + update: computes the gradient one row at a time into scratch (row = one output
 * channel for pointwise / fc / conv: kernel*kernel_w*k floats; one kernel tap for depthwise: k floats) and
 * applies tt_update_s8's rule to it at once, so the full gradient never exists. Results (weights and rng
 * state) are bit-identical to *_bwd_weight followed by tt_update_s8 with the matching tt_update_params.
 * rounding is a tt_rounding; w is the layer's weight tensor. Matching params (cols = k, row_stride = in_c):
 * pointwise / fc rows out_c; conv rows out_c*kernel*kernel_w, rows_per_channel kernel*kernel_w; depthwise rows
 * kernel*kernel, channel_is_col 1. *_get_buffer_size returns bytes.
 * The weight row stride is shape->in_c (fc: in_c) and nothing else reads it (the saved input has its own
 * in_stride), so pointwise and fc may update a split weight's head [out_c][k] directly: pass a copy of the
 * shape with in_c = k (fc: in_c = k), like tt_update_s8 with row_stride = k. */
/* Scratch bytes tt_pointwise_bwd_update_s8 needs: one output channel's gradient row, k floats = 4 * k.
 * shape is not read (the row length depends on k only). k >= 1. */
int32_t tt_pointwise_bwd_update_get_buffer_size(const tt_conv_shape *shape, int32_t k);
void tt_pointwise_bwd_update_s8(const tt_conv_shape *shape, const float *g_out, const int8_t *in,
                                int32_t in_stride, int32_t in_zp, float in_scale, int32_t k, const float *gscale,
                                float lr, int32_t rounding, int8_t *w, tt_rng *rng, float *scratch);
/* Output channels [c0, c1) of tt_pointwise_bwd_update_s8 (0 <= c0 <= c1 <= out_c): the same weight elements
 * with the same arithmetic, and for stochastic rounding the same draws when rng holds the state the whole
 * kernel has on reaching channel c0 (c0 * k draws in). Threads split one update by output channel with it, each
 * with its own scratch and rng copy, and the weights equal the single-threaded kernel's bit for bit. */
void tt_pointwise_bwd_update_s8_range(const tt_conv_shape *shape, const float *g_out, const int8_t *in,
                                      int32_t in_stride, int32_t in_zp, float in_scale, int32_t k,
                                      const float *gscale, float lr, int32_t rounding, int8_t *w, tt_rng *rng,
                                      float *scratch, int32_t c0, int32_t c1);
/* Scratch bytes tt_conv_bwd_update_s8 needs: one output channel's gradient row over every tap,
 * kernel * kernel_w * k floats = 4 * shape->kernel * shape->kernel_w * k. k >= 1. */
int32_t tt_conv_bwd_update_get_buffer_size(const tt_conv_shape *shape, int32_t k);
void tt_conv_bwd_update_s8(const tt_conv_shape *shape, const float *g_out, const int8_t *in, int32_t in_stride,
                           int32_t in_zp, float in_scale, int32_t k, const float *gscale, float lr,
                           int32_t rounding, int8_t *w, tt_rng *rng, float *scratch);
/* Scratch bytes tt_depthwise_bwd_update_s8 needs: one kernel tap's gradient row over the first k channels,
 * k floats = 4 * k. shape is not read. k >= 1. */
int32_t tt_depthwise_bwd_update_get_buffer_size(const tt_conv_shape *shape, int32_t k);
void tt_depthwise_bwd_update_s8(const tt_conv_shape *shape, const float *g_out, const int8_t *in,
                                int32_t in_stride, int32_t in_zp, float in_scale, int32_t k,
                                const float *gscale, float lr, int32_t rounding, int8_t *w, tt_rng *rng,
                                float *scratch);
/* Scratch bytes tt_fc_bwd_update_s8 needs: one output's gradient row, k floats = 4 * k. in_c and out_c are
 * not read. k >= 1. */
int32_t tt_fc_bwd_update_get_buffer_size(int32_t in_c, int32_t out_c, int32_t k);
void tt_fc_bwd_update_s8(int32_t in_c, int32_t out_c, const float *g_out, const int8_t *in, int32_t in_zp,
                         float in_scale, int32_t k, const float *gscale, float lr, int32_t rounding, int8_t *w,
                         tt_rng *rng, float *scratch);

/* ---------------------------------------------------------------------------------------------------
 * Data movement
 * ------------------------------------------------------------------------------------------------- */

/* Keep the first k of c channels of every pixel: out[p][i] = in[p][i], i < k (saving a partial slice). */
void tt_slice_channels_s8(int32_t pixels, int32_t c, int32_t k, const int8_t *in, int8_t *out);

/* Join two channel ranges of every pixel: out[p][i] = a[p][i] for i < ka, out[p][ka + j] = b[p][j] for j < kb
 * (out has ka + kb channels; the inverse of tt_slice_channels_s8). out must not overlap a or b.
 * Its use: a partially updated pointwise / fc weight [out_c][in_c] is stored split, the trainable head
 * [out_c][k] in SRAM and the frozen tail [out_c][in_c - k] in flash; before a kernel that reads the whole
 * weight (the forward, the input gradient) the plan assembles it into arena scratch with pixels = out_c,
 * ka = k, kb = in_c - k. */
void tt_concat_channels_s8(int32_t pixels, int32_t ka, int32_t kb, const int8_t *a, const int8_t *b, int8_t *out);

#ifdef __cplusplus
}
#endif

#endif /* TT_KERNELS_H */
