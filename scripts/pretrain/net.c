/*
 * net.c - builds the fp32 training graph from a text spec and runs its forward and backward passes.
 *
 * Spec (written by scripts/pretrain/spec.ts), one item per line:
 *   model <name> <resolution> <in_channels> <classes>
 *   layer <name> <conv|pw|dw|fc> <cin> <cout> <k> <stride> <relu 0/1> <block> <res_from>
 * Layers form a chain; res_from >= 0 adds the *input* of layer res_from to this layer's output (the
 * inverted-bottleneck skip, closed after pw2). The last layer is the fc classifier after a global average
 * pool. Every conv layer is followed by batch norm:
 *   zhat = (z - mean_B) / sqrt(var_B + eps),  u = gamma * zhat + beta,  y = relu6(u) (+ skip)
 * with mean_B / var_B over the batch and all pixels (biased variance, as in the normalization itself).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

static void *xcalloc(size_t n, size_t sz) {
  void *p = calloc(n, sz);
  if (!p) {
    fprintf(stderr, "out of memory (%zu x %zu)\n", n, sz);
    exit(1);
  }
  return p;
}

static long in_size(const Layer *l) { return (long)l->ih * l->iw * l->cin; }
static long out_size(const Layer *l) { return (long)l->oh * l->ow * l->cout; }

static int parse_kind(const char *s) {
  if (!strcmp(s, "conv"))
    return K_CONV;
  if (!strcmp(s, "pw"))
    return K_PW;
  if (!strcmp(s, "dw"))
    return K_DW;
  if (!strcmp(s, "fc"))
    return K_FC;
  return -1;
}

/* Reads the spec and derives every shape. Returns 0 on success. */
int net_parse_spec(Net *n, const char *path, int batch) {
  FILE *f = fopen(path, "r");
  if (!f)
    return fprintf(stderr, "cannot open spec %s\n", path), -1;
  memset(n, 0, sizeof *n);
  n->batch = batch;
  char line[256], name[32], kind[16];
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "model %31s %d %d %d", n->model, &n->res, &n->in_c, &n->classes) == 4)
      continue;
    Layer *l = &n->L[n->nl];
    if (sscanf(line, "layer %31s %15s %d %d %d %d %d %d %d", name, kind, &l->cin, &l->cout, &l->k, &l->stride, &l->relu,
               &l->block, &l->res_from) != 9)
      continue;
    if (n->nl + 1 >= MAX_LAYERS)
      return fprintf(stderr, "too many layers\n"), fclose(f), -1;
    snprintf(l->name, sizeof l->name, "%s", name);
    l->kind = parse_kind(kind);
    if (l->kind < 0)
      return fprintf(stderr, "spec: bad kind %s\n", kind), fclose(f), -1;
    n->nl++;
  }
  fclose(f);
  if (n->nl < 2 || n->L[n->nl - 1].kind != K_FC || n->L[n->nl - 1].cout != n->classes)
    return fprintf(stderr, "spec: the last layer must be the fc classifier\n"), -1;
  return net_set_resolution(n, n->res);
}

/* Derives every shape for input resolution res (pad = k/2, out = ceil(in/stride)) and checks the chain. */
int net_set_resolution(Net *n, int res) {
  int h = res, c = n->in_c;
  n->res = res;
  for (int i = 0; i < n->nl; i++) {
    Layer *l = &n->L[i];
    if (l->cin != c || (l->kind == K_DW && l->cin != l->cout))
      return fprintf(stderr, "spec: bad layer %s (cin %d, expected %d)\n", l->name, l->cin, c), -1;
    l->pad = l->k / 2;
    l->ih = l->iw = l->kind == K_FC ? 1 : h;
    l->oh = l->ow = l->kind == K_FC ? 1 : (h + l->stride - 1) / l->stride;
    if (l->res_from >= 0) {
      const Layer *src = &n->L[l->res_from];
      if (l->res_from >= i || l->relu || src->ih != l->oh || src->cin != l->cout)
        return fprintf(stderr, "spec: bad residual on %s\n", l->name), -1;
    }
    h = l->oh, c = l->cout;
  }
  return 0;
}

/* Lays out the flat parameter vector and allocates every batch tensor. */
void net_alloc(Net *n) {
  const int B = n->batch;
  long off = 0;
  for (int i = 0; i < n->nl; i++) {
    Layer *l = &n->L[i];
    const int taps = l->kind == K_CONV || l->kind == K_DW ? l->k * l->k : 1;
    l->w_off = off;
    l->w_len = (long)taps * l->cout * (l->kind == K_DW ? 1 : l->cin);
    off += l->w_len;
    l->gam_off = off;
    off += l->kind == K_FC ? 0 : l->cout;
    l->bet_off = off;
    off += l->cout;
    l->run_mean = xcalloc(l->cout, sizeof(float));
    l->run_var = xcalloc(l->cout, sizeof(float));
    l->mean = xcalloc(l->cout, sizeof(float));
    l->invstd = xcalloc(l->cout, sizeof(float));
    l->wt = xcalloc(l->w_len, sizeof(float));
  }
  n->np = off;
  n->P = xcalloc(off, sizeof(float));
  n->G = xcalloc(off, sizeof(float));
  n->M = xcalloc(off, sizeof(float));
  n->V = xcalloc(off, sizeof(float));
  for (int k = 0; k < NLANES; k++)
    n->lane_g[k] = xcalloc(off, sizeof(float));
  n->in = xcalloc((size_t)B * n->res * n->res * n->in_c, sizeof(float));
  for (int i = 0; i + 1 < n->nl; i++) {
    Layer *l = &n->L[i];
    l->x = i == 0 ? n->in : n->L[i - 1].y;
    l->gx = i == 0 ? NULL : n->L[i - 1].gy;
    l->z = xcalloc((size_t)B * out_size(l), sizeof(float));
    l->y = xcalloc((size_t)B * out_size(l), sizeof(float));
    l->gy = xcalloc((size_t)B * out_size(l), sizeof(float));
  }
  const int feat = n->L[n->nl - 1].cin;
  n->pool = xcalloc((size_t)B * feat, sizeof(float));
  n->gpool = xcalloc((size_t)B * feat, sizeof(float));
  n->logits = xcalloc((size_t)B * n->classes, sizeof(float));
}

long net_activation_floats(const Net *n) {
  long s = 0;
  for (int i = 0; i + 1 < n->nl; i++)
    s += out_size(&n->L[i]);
  return s;
}

/* He-normal weights (std sqrt(2 / fan_in)), fc std 0.01, gamma 1 (0 on the last BN of a residual block so
 * every block starts as the identity), beta 0, running variance 1. */
void net_init_params(Net *n, uint64_t seed) {
  uint64_t s = seed;
  for (int i = 0; i < n->nl; i++) {
    Layer *l = &n->L[i];
    const int fan_in = l->kind == K_DW ? l->k * l->k : l->kind == K_CONV ? l->k * l->k * l->cin : l->cin;
    const float std = l->kind == K_FC ? 0.01f : sqrtf(2.0f / (float)fan_in);
    for (long j = 0; j < l->w_len; j++)
      n->P[l->w_off + j] = std * rand_normal(&s);
    for (int c = 0; c < l->cout; c++) {
      if (l->kind != K_FC)
        n->P[l->gam_off + c] = l->res_from >= 0 ? 0.0f : 1.0f;
      n->P[l->bet_off + c] = 0.0f;
      l->run_var[c] = 1.0f;
    }
  }
}

/* Batch norm + ReLU6 + skip over the whole batch; z becomes zhat. Running stats use the unbiased variance. */
static void bn_forward(Net *n, Layer *l, float momentum) {
  const long cnt = (long)n->batch * l->oh * l->ow;
  const int C = l->cout;
  double *acc = xcalloc(2 * (size_t)C, sizeof(double)), *sq = acc + C;
  for (long p = 0; p < cnt; p++)
    for (int c = 0; c < C; c++)
      acc[c] += l->z[p * C + c];
  for (int c = 0; c < C; c++)
    acc[c] /= (double)cnt;
  for (long p = 0; p < cnt; p++)
    for (int c = 0; c < C; c++) {
      const double d = l->z[p * C + c] - acc[c];
      sq[c] += d * d;
    }
  for (int c = 0; c < C; c++) {
    const double var = sq[c] / (double)cnt;
    l->mean[c] = (float)acc[c];
    l->invstd[c] = (float)(1.0 / sqrt(var + BN_EPS));
    l->run_mean[c] = (1 - momentum) * l->run_mean[c] + momentum * (float)acc[c];
    l->run_var[c] = (1 - momentum) * l->run_var[c] + momentum * (float)(var * cnt / (cnt - 1));
  }
  free(acc);
  const float *gam = n->P + l->gam_off, *bet = n->P + l->bet_off;
  const float *skip = l->res_from >= 0 ? n->L[l->res_from].x : NULL;
  for (long p = 0; p < cnt; p++)
    for (int c = 0; c < C; c++) {
      const long e = p * C + c;
      const float zh = (l->z[e] - l->mean[c]) * l->invstd[c];
      float u = gam[c] * zh + bet[c];
      if (l->relu)
        u = u < 0.0f ? 0.0f : u > 6.0f ? 6.0f : u;
      l->z[e] = zh;
      l->y[e] = skip ? u + skip[e] : u;
    }
}

/* Forward pass in training mode. Leaves softmax probabilities in n->logits; returns the mean loss. */
float net_forward_train(Net *n, const uint8_t *labels, int *correct, float momentum) {
  const int B = n->batch;
  for (int i = 0; i + 1 < n->nl; i++) {
    Layer *l = &n->L[i];
    const float *w = n->P + l->w_off;
    transpose_weights(l, w, l->wt);
    const float *wf = l->kind == K_DW ? w : l->wt;
#pragma omp parallel for schedule(static, 1)
    for (int lane = 0; lane < NLANES; lane++)
      for (int b = lane; b < B; b += NLANES)
        layer_fwd(l, l->x + b * in_size(l), wf, l->z + b * out_size(l));
    bn_forward(n, l, momentum);
  }
  const Layer *last = &n->L[n->nl - 2], *fc = &n->L[n->nl - 1];
  const int C = fc->cin, K = n->classes, pix = last->oh * last->ow;
  float loss = 0.0f;
  *correct = 0;
  for (int b = 0; b < B; b++) {
    float *pool = n->pool + (long)b * C, *lg = n->logits + (long)b * K;
    for (int c = 0; c < C; c++)
      pool[c] = 0.0f;
    for (int p = 0; p < pix; p++)
      for (int c = 0; c < C; c++)
        pool[c] += last->y[((long)b * pix + p) * C + c];
    for (int c = 0; c < C; c++)
      pool[c] /= (float)pix;
    int best = 0;
    float mx = -1e30f, sum = 0.0f;
    for (int o = 0; o < K; o++) {
      float s = n->P[fc->bet_off + o];
      for (int c = 0; c < C; c++)
        s += pool[c] * n->P[fc->w_off + (long)o * C + c];
      lg[o] = s;
      if (s > mx)
        mx = s, best = o;
    }
    for (int o = 0; o < K; o++)
      sum += lg[o] = expf(lg[o] - mx);
    for (int o = 0; o < K; o++)
      lg[o] /= sum;
    loss += -logf(lg[labels[b]] + 1e-30f);
    *correct += best == labels[b];
  }
  return loss / (float)B;
}
