/*
 * export.c - turns a training checkpoint into an int8 model file and measures fp32 and int8 test accuracy.
 *
 * Usage: pretrain_export --spec S --data DIR --ckpt C --bin OUT.bin --json OUT.report.json
 *        [--recal 2000] [--calib 2000] [--test 10000] [--seed 1]
 * Steps:
 *  1. Precise BN: population statistics over `recal` training images (no augmentation), from batch means
 *     and E[z^2] of batches of 50: mean = avg(mean_b), var = avg(var_b + mean_b^2) - mean^2.
 *  2. Fold BN into the conv: s = gamma / sqrt(var + eps), W'[o] = s[o] W[o], b'[o] = beta[o] - s[o] mean[o].
 *  3. fp32 test accuracy of the folded network (what the int8 model approximates).
 *  4. Calibrate every activation tensor's [min, max] on `calib` training images, quantize (quant.c).
 *  5. int8 test accuracy with the kernels of kernels-c, then write the blob and the manifest body.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt.h"
#include "export.h"

static void *xmalloc(size_t n) {
  void *p = malloc(n);
  if (!p)
    fprintf(stderr, "out of memory\n"), exit(1);
  return p;
}

static void recalibrate_bn(Net *n, const Dataset *d, int count, uint64_t seed) {
  const int B = n->batch, K = count / B;
  if (K <= 0)
    return;
  int *perm = xmalloc(sizeof(int) * d->n), correct;
  uint8_t *labels = xmalloc((size_t)B);
  double *sm = calloc(MAX_LAYERS * 1024, sizeof(double)), *sq = calloc(MAX_LAYERS * 1024, sizeof(double));
  permutation(d->n, seed * 7919u + 17u, perm);
  const long img = (long)n->res * n->res * n->in_c;
  for (int k = 0; k < K; k++) {
    for (int b = 0; b < B; b++) {
      const int idx = perm[k * B + b];
      sample_input(d, idx, n->res, n->in_c, 0, n->in + b * img);
      labels[b] = d->lab[idx];
    }
    net_forward_train(n, labels, &correct, 0.0f);
    for (int i = 0; i + 1 < n->nl; i++)
      for (int c = 0; c < n->L[i].cout; c++) {
        const double mu = n->L[i].mean[c], is = n->L[i].invstd[c];
        sm[i * 1024 + c] += mu;
        sq[i * 1024 + c] += 1.0 / (is * is) - BN_EPS + mu * mu;
      }
  }
  for (int i = 0; i + 1 < n->nl; i++)
    for (int c = 0; c < n->L[i].cout; c++) {
      const double mu = sm[i * 1024 + c] / K, var = sq[i * 1024 + c] / K - mu * mu;
      n->L[i].run_mean[c] = (float)mu;
      n->L[i].run_var[c] = (float)(var > 0 ? var : 0);
    }
  free(perm), free(labels), free(sm), free(sq);
}

static void fold_bn(Model *m) {
  const Net *n = m->n;
  for (int i = 0; i < n->nl; i++) {
    const Layer *l = &n->L[i];
    Folded *f = &m->f[i];
    f->w = xmalloc(sizeof(float) * l->w_len);
    f->wt = xmalloc(sizeof(float) * l->w_len);
    f->b = xmalloc(sizeof(float) * l->cout);
    memcpy(f->w, n->P + l->w_off, sizeof(float) * l->w_len);
    for (int c = 0; c < l->cout; c++) {
      if (l->kind == K_FC) {
        f->b[c] = n->P[l->bet_off + c];
        continue;
      }
      const float s = n->P[l->gam_off + c] / sqrtf(l->run_var[c] + BN_EPS);
      f->b[c] = n->P[l->bet_off + c] - s * l->run_mean[c];
      if (l->kind == K_DW)
        for (int t = 0; t < l->k * l->k; t++)
          f->w[t * l->cout + c] *= s;
      else
        for (long j = 0; j < l->w_len / l->cout; j++)
          f->w[c * (l->w_len / l->cout) + j] *= s;
    }
    transpose_weights(l, f->w, f->wt);
  }
}

static long work_floats(const Net *n) {
  long s = 0;
  for (int i = 0; i + 1 < n->nl; i++)
    s += 2L * n->L[i].oh * n->L[i].ow * n->L[i].cout;
  return s + 2L * n->L[n->nl - 1].cin + n->classes;
}

static void widen(float *lo, float *hi, float v) {
  if (v < *lo)
    *lo = v;
  if (v > *hi)
    *hi = v;
}

/* Folded fp32 forward of one image; with `calib`, widens the ranges in m (single-threaded only).
 * work holds, per conv layer, its output and (residual layers) the sum; returns the predicted class. */
static int folded_predict(Model *m, const float *x0, float *work, int calib) {
  const Net *n = m->n;
  const float *x = x0;
  float *w = work;
  const float *inputs[MAX_LAYERS];
  for (int i = 0; i + 1 < n->nl; i++) {
    const Layer *l = &n->L[i];
    Folded *f = &m->f[i];
    const long cnt = (long)l->oh * l->ow, C = l->cout;
    float *y = w;
    w += cnt * C;
    inputs[i] = x;
    layer_fwd(l, x, l->kind == K_DW ? f->w : f->wt, y);
    for (long p = 0; p < cnt; p++)
      for (int c = 0; c < C; c++) {
        float v = y[p * C + c] + f->b[c];
        if (l->relu)
          v = v < 0.0f ? 0.0f : v > 6.0f ? 6.0f : v;
        y[p * C + c] = v;
        if (calib)
          widen(&f->lo, &f->hi, v);
      }
    if (l->res_from >= 0) {
      float *s = w;
      w += cnt * C;
      for (long e = 0; e < cnt * C; e++) {
        s[e] = y[e] + inputs[l->res_from][e];
        if (calib)
          widen(&f->alo, &f->ahi, s[e]);
      }
      y = s;
    }
    x = y;
  }
  const Layer *last = &n->L[n->nl - 2], *fc = &n->L[n->nl - 1];
  const int C = fc->cin, pix = last->oh * last->ow;
  float *pool = w, *lg = w + C;
  for (int c = 0; c < C; c++)
    pool[c] = 0.0f;
  for (int p = 0; p < pix; p++)
    for (int c = 0; c < C; c++)
      pool[c] += x[(long)p * C + c];
  for (int c = 0; c < C; c++) {
    pool[c] /= (float)pix;
    if (calib)
      widen(&m->pool_lo, &m->pool_hi, pool[c]);
  }
  int best = 0;
  for (int o = 0; o < n->classes; o++) {
    float s = m->f[n->nl - 1].b[o];
    for (int c = 0; c < C; c++)
      s += pool[c] * m->f[n->nl - 1].w[(long)o * C + c];
    lg[o] = s;
    if (calib)
      widen(&m->f[n->nl - 1].lo, &m->f[n->nl - 1].hi, s);
    if (s > lg[best])
      best = o;
  }
  return best;
}

/* Test accuracy of the folded fp32 model (mode 0) or of the int8 kernels (mode 1); preds[i] gets each class. */
static double evaluate(Model *m, const Dataset *d, int count, int mode, int *preds) {
  const Net *n = m->n;
  long correct = 0;
#pragma omp parallel reduction(+ : correct)
  {
    float *x = xmalloc(sizeof(float) * n->res * n->res * n->in_c), *work = xmalloc(sizeof(float) * work_floats(n));
    uint8_t *gray = xmalloc((size_t)n->res * n->res);
    int8_t *w8 = xmalloc((size_t)int8_work_bytes(m));
#pragma omp for schedule(static)
    for (int i = 0; i < count; i++) {
      int p;
      if (mode == 0) {
        sample_input(d, i, n->res, n->in_c, 0, x);
        p = folded_predict(m, x, work, 0);
      } else {
        resize_bilinear_u8(d->img + (long)i * d->h * d->w, d->h, d->w, n->res, gray);
        p = int8_predict(m, gray, w8);
      }
      preds[i] = p;
      correct += p == d->lab[i];
    }
    free(x), free(work), free(gray), free(w8);
  }
  return (double)correct / count;
}

static void calibrate(Model *m, const Dataset *d, int count, uint64_t seed) {
  const Net *n = m->n;
  for (int i = 0; i < n->nl; i++)
    m->f[i].lo = m->f[i].alo = 1e30f, m->f[i].hi = m->f[i].ahi = -1e30f;
  m->pool_lo = 1e30f, m->pool_hi = -1e30f;
  int *perm = xmalloc(sizeof(int) * d->n);
  float *x = xmalloc(sizeof(float) * n->res * n->res * n->in_c), *work = xmalloc(sizeof(float) * work_floats(n));
  permutation(d->n, seed * 104729u + 3u, perm);
  for (int k = 0; k < count && k < d->n; k++) {
    sample_input(d, perm[k], n->res, n->in_c, 0, x);
    folded_predict(m, x, work, 1);
  }
  free(perm), free(x), free(work);
}

int main(int argc, char **argv) {
  const char *spec = NULL, *data = NULL, *ckpt = NULL, *bin = NULL, *json = NULL;
  int recal = 2000, calib = 2000, test = 10000;
  uint64_t seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *k = argv[i], *v = argv[i + 1];
    if (!strcmp(k, "--spec"))
      spec = v;
    else if (!strcmp(k, "--data"))
      data = v;
    else if (!strcmp(k, "--ckpt"))
      ckpt = v;
    else if (!strcmp(k, "--bin"))
      bin = v;
    else if (!strcmp(k, "--json"))
      json = v;
    else if (!strcmp(k, "--recal"))
      recal = atoi(v);
    else if (!strcmp(k, "--calib"))
      calib = atoi(v);
    else if (!strcmp(k, "--test"))
      test = atoi(v);
    else if (!strcmp(k, "--seed"))
      seed = strtoull(v, NULL, 10);
    else
      return fprintf(stderr, "unknown argument %s\n", k), 2;
  }
  if (!spec || !data || !ckpt || !bin || !json)
    return fprintf(stderr, "missing arguments\n"), 2;
  Net *n = calloc(1, sizeof(Net));
  Dataset tr, te;
  char a[1024], b[1024], c[1024], e[1024];
  snprintf(a, sizeof a, "%s/train-images-idx3-ubyte.gz", data);
  snprintf(b, sizeof b, "%s/train-labels-idx1-ubyte.gz", data);
  snprintf(c, sizeof c, "%s/t10k-images-idx3-ubyte.gz", data);
  snprintf(e, sizeof e, "%s/t10k-labels-idx1-ubyte.gz", data);
  long steps;
  double train_s = 0;
  if (net_parse_spec(n, spec, 50) || load_idx(a, b, &tr) || load_idx(c, e, &te))
    return 1;
  net_alloc(n);
  if (ckpt_load(n, ckpt, &steps, &train_s))
    return fprintf(stderr, "cannot load %s\n", ckpt), 1;
  if (test > te.n)
    test = te.n;
  Model m = {.n = n};
  recalibrate_bn(n, &tr, recal, seed);
  fold_bn(&m);
  int *p32 = xmalloc(sizeof(int) * test), *p8 = xmalloc(sizeof(int) * test);
  const double acc32 = evaluate(&m, &te, test, 0, p32);
  printf("fp32 (BN folded) test accuracy: %.4f on %d images\n", acc32, test);
  calibrate(&m, &tr, calib, seed);
  quantize_model(&m);
  const double acc8 = evaluate(&m, &te, test, 1, p8);
  int agree = 0;
  for (int i = 0; i < test; i++)
    agree += p32[i] == p8[i];
  printf("int8 (kernels-c) test accuracy: %.4f; int8 and fp32 agree on %.4f of the images\n", acc8,
         (double)agree / test);
  return write_model(&m, bin, json, acc32, acc8, test, train_s, steps) ? 1 : 0;
}
