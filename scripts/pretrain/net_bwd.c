/*
 * net_bwd.c - backward pass of the fp32 training graph (see net.c for the forward definitions).
 *
 * Softmax cross-entropy: dL/dlogit = (p - onehot) / B. Average pool: each pixel gets g / pixels.
 * Residual: y = u + skip, so the skip tensor's gradient receives g unchanged. ReLU6: g passes where
 * 0 < y < 6. Batch norm with N = B * pixels, g_u the gradient of u = gamma * zhat + beta:
 *   dgamma = sum g_u * zhat,  dbeta = sum g_u,
 *   g_z = gamma * invstd / N * (N * g_u - dbeta - zhat * dgamma)
 * Conv weight gradients of the images of one lane go to that lane's accumulator; lanes are summed in order
 * into n->G at the end (deterministic for any thread count).
 */
#include <stdlib.h>
#include <string.h>

#include "net.h"

static long in_size(const Layer *l) { return (long)l->ih * l->iw * l->cin; }
static long out_size(const Layer *l) { return (long)l->oh * l->ow * l->cout; }

/* g holds the gradient of u on entry and the gradient of z on exit. dgamma/dbeta go to gacc. */
static void bn_backward(const Net *n, const Layer *l, float *g, float *gacc) {
  const long cnt = (long)n->batch * l->oh * l->ow;
  const int C = l->cout;
  double *dg = calloc(2 * (size_t)C, sizeof(double)), *db = dg + C;
  for (long p = 0; p < cnt; p++)
    for (int c = 0; c < C; c++) {
      dg[c] += (double)g[p * C + c] * l->z[p * C + c];
      db[c] += g[p * C + c];
    }
  const float *gam = n->P + l->gam_off;
  float *k1 = malloc(3 * sizeof(float) * C), *mdb = k1 + C, *mdg = k1 + 2 * C;
  for (int c = 0; c < C; c++) {
    gacc[l->gam_off + c] += (float)dg[c];
    gacc[l->bet_off + c] += (float)db[c];
    k1[c] = gam[c] * l->invstd[c];
    mdb[c] = (float)(db[c] / (double)cnt);
    mdg[c] = (float)(dg[c] / (double)cnt);
  }
  for (long p = 0; p < cnt; p++)
    for (int c = 0; c < C; c++) {
      const long e = p * C + c;
      g[e] = k1[c] * (g[e] - mdb[c] - l->z[e] * mdg[c]);
    }
  free(dg);
  free(k1);
}

/* Weight gradient (into gw) and, unless gx is NULL, input gradient (accumulated into gx) of one image. */
static void conv_backward_image(const Layer *l, const float *gy, const float *x, const float *w, float *gw, float *gx) {
  const int pix = l->oh * l->ow;
  switch (l->kind) {
  case K_CONV:
    conv_bwd_weight(l, gy, x, gw);
    if (gx)
      conv_bwd_input(l, gy, w, gx);
    break;
  case K_DW:
    dw_bwd_weight(l, gy, x, gw);
    if (gx)
      dw_bwd_input(l, gy, w, gx);
    break;
  default:
    gemm_acc(l->cout, l->cin, pix, gy, 1, l->cout, x, l->cin, gw, l->cin);
    if (gx)
      gemm_acc(pix, l->cin, l->cout, gy, l->cout, 1, w, l->cin, gx, l->cin);
  }
}

/* Classifier and pool backward: fills the gradient of the last conv output. */
static void head_backward(Net *n, const uint8_t *labels, float *gacc) {
  const Layer *last = &n->L[n->nl - 2], *fc = &n->L[n->nl - 1];
  const int B = n->batch, C = fc->cin, K = n->classes, pix = last->oh * last->ow;
  for (int b = 0; b < B; b++) {
    float *gl = n->logits + (long)b * K, *gp = n->gpool + (long)b * C;
    const float *pool = n->pool + (long)b * C;
    memset(gp, 0, sizeof(float) * C);
    for (int o = 0; o < K; o++) {
      gl[o] = (gl[o] - (o == labels[b] ? 1.0f : 0.0f)) / (float)B;
      gacc[fc->bet_off + o] += gl[o];
      const float *w = n->P + fc->w_off + (long)o * C;
      float *gw = gacc + fc->w_off + (long)o * C;
      for (int c = 0; c < C; c++) {
        gw[c] += gl[o] * pool[c];
        gp[c] += gl[o] * w[c];
      }
    }
    for (int p = 0; p < pix; p++)
      for (int c = 0; c < C; c++)
        last->gy[((long)b * pix + p) * C + c] = gp[c] / (float)pix;
  }
}

/* Full backward pass; the summed gradient ends in n->G. Expects net_forward_train to have run. */
void net_backward(Net *n, const uint8_t *labels) {
  const int B = n->batch;
  for (int k = 0; k < NLANES; k++)
    memset(n->lane_g[k], 0, sizeof(float) * n->np);
  for (int i = 0; i + 1 < n->nl; i++)
    memset(n->L[i].gy, 0, sizeof(float) * B * out_size(&n->L[i]));
  head_backward(n, labels, n->lane_g[0]);
  for (int i = n->nl - 2; i >= 0; i--) {
    Layer *l = &n->L[i];
    const long total = (long)B * out_size(l);
    float *g = l->gy;
    if (l->res_from >= 0) {
      float *gs = n->L[l->res_from].gx;
      for (long e = 0; e < total; e++)
        gs[e] += g[e];
    }
    if (l->relu)
      for (long e = 0; e < total; e++)
        if (!(l->y[e] > 0.0f && l->y[e] < 6.0f))
          g[e] = 0.0f;
    bn_backward(n, l, g, n->lane_g[0]);
    const float *w = n->P + l->w_off;
#pragma omp parallel for schedule(static, 1)
    for (int lane = 0; lane < NLANES; lane++)
      for (int b = lane; b < B; b += NLANES)
        conv_backward_image(l, g + b * out_size(l), l->x + b * in_size(l), w, n->lane_g[lane] + l->w_off,
                            l->gx ? l->gx + b * in_size(l) : NULL);
  }
  for (long j = 0; j < n->np; j++) {
    float s = n->lane_g[0][j];
    for (int k = 1; k < NLANES; k++)
      s += n->lane_g[k][j];
    n->G[j] = s;
  }
}
