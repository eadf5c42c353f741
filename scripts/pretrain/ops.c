/*
 * ops.c - fp32 conv kernels for the pretraining trainer, one image at a time, HWC layout.
 *
 * Every pointwise pass is one small GEMM, C[m][n] += sum_k A(m,k) * B[k][n], computed by gemm_acc with
 * a 4 x 16 block of C held in registers while k runs (gcc vectorizes the 16-wide inner loops); A is read
 * through strides so the weight gradient (A = g_out transposed) needs no copy:
 *   forward       Y[p][o]  = sum_i X[p][i]  * Wt[i][o]      (Wt = W transposed once per step)
 *   input grad    GX[p][i] += sum_o GY[p][o] * W[o][i]
 *   weight grad   GW[o][i] += sum_p GY[p][o] * X[p][i]
 * Depthwise and general convs are direct loops whose innermost loop runs over contiguous channels.
 * Padding is k/2 on every side (zeros in fp32), out = ceil(in / stride).
 */
#include <string.h>

#include "net.h"

/* One row block of up to 4 rows and a 16- or 8-wide column chunk, accumulators in registers. */
#define GEMM_BLOCK(NB)                                                                                                 \
  do {                                                                                                                 \
    float acc[4][NB];                                                                                                  \
    for (int r = 0; r < 4; r++)                                                                                        \
      for (int j = 0; j < NB; j++)                                                                                     \
        acc[r][j] = c[(m0 + r) * ldc + n0 + j];                                                                        \
    for (int kk = 0; kk < k; kk++) {                                                                                   \
      const float *bp = b + kk * ldb + n0;                                                                             \
      const float a0 = a[(m0 + 0) * sam + kk * sak], a1 = a[(m0 + 1) * sam + kk * sak];                                \
      const float a2 = a[(m0 + 2) * sam + kk * sak], a3 = a[(m0 + 3) * sam + kk * sak];                                \
      for (int j = 0; j < NB; j++) {                                                                                   \
        acc[0][j] += a0 * bp[j];                                                                                       \
        acc[1][j] += a1 * bp[j];                                                                                       \
        acc[2][j] += a2 * bp[j];                                                                                       \
        acc[3][j] += a3 * bp[j];                                                                                       \
      }                                                                                                                \
    }                                                                                                                  \
    for (int r = 0; r < 4; r++)                                                                                        \
      for (int j = 0; j < NB; j++)                                                                                     \
        c[(m0 + r) * ldc + n0 + j] = acc[r][j];                                                                        \
  } while (0)

void gemm_acc(int m, int nn, int k, const float *a, long sam, long sak, const float *b, long ldb, float *c, long ldc) {
  int m0 = 0;
  for (; m0 + 4 <= m; m0 += 4) {
    int n0 = 0;
    for (; n0 + 16 <= nn; n0 += 16)
      GEMM_BLOCK(16);
    for (; n0 + 8 <= nn; n0 += 8)
      GEMM_BLOCK(8);
    for (; n0 < nn; n0++)
      for (int r = 0; r < 4; r++) {
        float s = c[(m0 + r) * ldc + n0];
        for (int kk = 0; kk < k; kk++)
          s += a[(m0 + r) * sam + kk * sak] * b[kk * ldb + n0];
        c[(m0 + r) * ldc + n0] = s;
      }
  }
  for (; m0 < m; m0++) /* leftover rows: one axpy per k */
    for (int kk = 0; kk < k; kk++) {
      const float av = a[m0 * sam + kk * sak];
      for (int j = 0; j < nn; j++)
        c[m0 * ldc + j] += av * b[kk * ldb + j];
    }
}

/* Forward weights in the layout the forward loops want: conv [k][k][i][o], pointwise/fc [i][o]. */
void transpose_weights(const Layer *l, const float *w, float *wt) {
  if (l->kind == K_DW)
    return;
  const int taps = l->kind == K_CONV ? l->k * l->k : 1, ci = l->cin, co = l->cout;
  for (int o = 0; o < co; o++)
    for (int t = 0; t < taps; t++)
      for (int i = 0; i < ci; i++)
        wt[(t * ci + i) * co + o] = w[(o * taps + t) * ci + i];
}

/* General k x k conv: y[oy][ox][o] = sum_{ky,kx,i} x[oy*s-pad+ky][ox*s-pad+kx][i] * w[o][ky][kx][i]. */
void conv_fwd(const Layer *l, const float *x, const float *wt, float *y) {
  const int ci = l->cin, co = l->cout, k = l->k, s = l->stride;
  for (int oy = 0; oy < l->oh; oy++)
    for (int ox = 0; ox < l->ow; ox++) {
      float *out = y + ((long)oy * l->ow + ox) * co;
      memset(out, 0, sizeof(float) * co);
      for (int ky = 0; ky < k; ky++) {
        const int iy = oy * s - l->pad + ky;
        if (iy < 0 || iy >= l->ih)
          continue;
        for (int kx = 0; kx < k; kx++) {
          const int ix = ox * s - l->pad + kx;
          if (ix < 0 || ix >= l->iw)
            continue;
          const float *xp = x + ((long)iy * l->iw + ix) * ci, *wp = wt + (long)(ky * k + kx) * ci * co;
          for (int i = 0; i < ci; i++)
            for (int o = 0; o < co; o++)
              out[o] += xp[i] * wp[i * co + o];
        }
      }
    }
}

/* gx[iy][ix][i] += sum over (oy, ox, o) reading that pixel of gy[oy][ox][o] * w[o][ky][kx][i]. */
void conv_bwd_input(const Layer *l, const float *gy, const float *w, float *gx) {
  const int ci = l->cin, co = l->cout, k = l->k, s = l->stride;
  for (int oy = 0; oy < l->oh; oy++)
    for (int ox = 0; ox < l->ow; ox++) {
      const float *g = gy + ((long)oy * l->ow + ox) * co;
      for (int ky = 0; ky < k; ky++) {
        const int iy = oy * s - l->pad + ky;
        if (iy < 0 || iy >= l->ih)
          continue;
        for (int kx = 0; kx < k; kx++) {
          const int ix = ox * s - l->pad + kx;
          if (ix < 0 || ix >= l->iw)
            continue;
          float *gp = gx + ((long)iy * l->iw + ix) * ci;
          for (int o = 0; o < co; o++) {
            const float *wp = w + ((long)(o * k + ky) * k + kx) * ci;
            for (int i = 0; i < ci; i++)
              gp[i] += g[o] * wp[i];
          }
        }
      }
    }
}

/* gw[o][ky][kx][i] += sum over output pixels of gy[oy][ox][o] * x[iy][ix][i]. */
void conv_bwd_weight(const Layer *l, const float *gy, const float *x, float *gw) {
  const int ci = l->cin, co = l->cout, k = l->k, s = l->stride;
  for (int oy = 0; oy < l->oh; oy++)
    for (int ox = 0; ox < l->ow; ox++) {
      const float *g = gy + ((long)oy * l->ow + ox) * co;
      for (int ky = 0; ky < k; ky++) {
        const int iy = oy * s - l->pad + ky;
        if (iy < 0 || iy >= l->ih)
          continue;
        for (int kx = 0; kx < k; kx++) {
          const int ix = ox * s - l->pad + kx;
          if (ix < 0 || ix >= l->iw)
            continue;
          const float *xp = x + ((long)iy * l->iw + ix) * ci;
          for (int o = 0; o < co; o++) {
            float *gp = gw + ((long)(o * k + ky) * k + kx) * ci;
            for (int i = 0; i < ci; i++)
              gp[i] += g[o] * xp[i];
          }
        }
      }
    }
}

/* Depthwise: y[oy][ox][c] = sum_{ky,kx} x[oy*s-pad+ky][ox*s-pad+kx][c] * w[ky][kx][c]. */
void dw_fwd(const Layer *l, const float *x, const float *w, float *y) {
  const int c = l->cout, k = l->k, s = l->stride;
  for (int oy = 0; oy < l->oh; oy++)
    for (int ox = 0; ox < l->ow; ox++) {
      float *out = y + ((long)oy * l->ow + ox) * c;
      memset(out, 0, sizeof(float) * c);
      for (int ky = 0; ky < k; ky++) {
        const int iy = oy * s - l->pad + ky;
        if (iy < 0 || iy >= l->ih)
          continue;
        for (int kx = 0; kx < k; kx++) {
          const int ix = ox * s - l->pad + kx;
          if (ix < 0 || ix >= l->iw)
            continue;
          const float *xp = x + ((long)iy * l->iw + ix) * c, *wp = w + (long)(ky * k + kx) * c;
          for (int j = 0; j < c; j++)
            out[j] += xp[j] * wp[j];
        }
      }
    }
}

void dw_bwd_input(const Layer *l, const float *gy, const float *w, float *gx) {
  const int c = l->cout, k = l->k, s = l->stride;
  for (int oy = 0; oy < l->oh; oy++)
    for (int ox = 0; ox < l->ow; ox++) {
      const float *g = gy + ((long)oy * l->ow + ox) * c;
      for (int ky = 0; ky < k; ky++) {
        const int iy = oy * s - l->pad + ky;
        if (iy < 0 || iy >= l->ih)
          continue;
        for (int kx = 0; kx < k; kx++) {
          const int ix = ox * s - l->pad + kx;
          if (ix < 0 || ix >= l->iw)
            continue;
          float *gp = gx + ((long)iy * l->iw + ix) * c;
          const float *wp = w + (long)(ky * k + kx) * c;
          for (int j = 0; j < c; j++)
            gp[j] += g[j] * wp[j];
        }
      }
    }
}

void dw_bwd_weight(const Layer *l, const float *gy, const float *x, float *gw) {
  const int c = l->cout, k = l->k, s = l->stride;
  for (int oy = 0; oy < l->oh; oy++)
    for (int ox = 0; ox < l->ow; ox++) {
      const float *g = gy + ((long)oy * l->ow + ox) * c;
      for (int ky = 0; ky < k; ky++) {
        const int iy = oy * s - l->pad + ky;
        if (iy < 0 || iy >= l->ih)
          continue;
        for (int kx = 0; kx < k; kx++) {
          const int ix = ox * s - l->pad + kx;
          if (ix < 0 || ix >= l->iw)
            continue;
          const float *xp = x + ((long)iy * l->iw + ix) * c;
          float *gp = gw + (long)(ky * k + kx) * c;
          for (int j = 0; j < c; j++)
            gp[j] += g[j] * xp[j];
        }
      }
    }
}

/* Forward of one conv-like layer without BN: y = conv(x). w is the natural layout for depthwise and the
 * transposed layout (transpose_weights) for conv and pointwise. */
void layer_fwd(const Layer *l, const float *x, const float *w, float *y) {
  const long pix = (long)l->oh * l->ow;
  switch (l->kind) {
  case K_CONV:
    conv_fwd(l, x, w, y);
    break;
  case K_DW:
    dw_fwd(l, x, w, y);
    break;
  default:
    memset(y, 0, sizeof(float) * pix * l->cout);
    gemm_acc((int)pix, l->cout, l->cin, x, l->cin, 1, w, l->cout, y, l->cout);
  }
}
