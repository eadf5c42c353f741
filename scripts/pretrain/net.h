/*
 * net.h - the fp32 training graph used to pretrain TinyTrain backbones (scripts/pretrain/).
 *
 * A network is a list of conv layers (general conv, pointwise, depthwise), each followed by batch norm and
 * an optional ReLU6, optionally closed by a residual add, then a global average pool and a fully connected
 * classifier. Tensors are HWC per image, a batch is B images back to back. Parameters live in one flat
 * float vector (so the optimizer and the checkpoint are one loop / one fwrite).
 *
 * Determinism: work on a batch is split into NLANES fixed lanes (images b with b % NLANES == lane), each
 * lane owns its gradient accumulator and the lanes are reduced in lane order. The result is therefore the
 * same whether one or two threads run the lanes.
 */
#ifndef PRETRAIN_NET_H
#define PRETRAIN_NET_H

#include <stddef.h>
#include <stdint.h>

#define MAX_LAYERS 96
#define NLANES 2
#define BN_EPS 1e-5f

enum { K_CONV = 0, K_PW = 1, K_DW = 2, K_FC = 3 };

typedef struct {
  char name[32];
  int kind, cin, cout, k, stride, pad, relu, block, res_from; /* res_from: layer whose input is added, or -1 */
  int ih, iw, oh, ow;
  long w_off, w_len;         /* weights in the flat vector: conv [o][k][k][i], pw/fc [o][i], dw [k][k][c] */
  long gam_off, bet_off;     /* BN gamma/beta (conv kinds), or fc bias at bet_off */
  float *run_mean, *run_var; /* BN running statistics (not trained by SGD) */
  float *wt;                 /* scratch: transposed weights for the forward pass (conv [k][k][i][o], pw [i][o]) */
  /* batch activations, [B][oh][ow][cout] unless said otherwise */
  float *x, *gx;        /* layer input and its gradient (aliases of the previous output) */
  float *z;             /* conv output, normalized in place to zhat = (z - mean) * invstd */
  float *y, *gy;        /* output after BN, ReLU6 and the residual add */
  float *mean, *invstd; /* batch statistics of the current step */
} Layer;

typedef struct {
  char model[32];
  int res, in_c, classes, batch, nl; /* nl layers, the last one is the fc classifier */
  Layer L[MAX_LAYERS];
  long np;               /* number of trainable floats */
  float *P, *G, *M, *V;  /* parameters, gradient, first and second optimizer moments */
  float *lane_g[NLANES]; /* per-lane gradient accumulators */
  float *in, *gin;       /* input batch [B][res][res][in_c] (gin: gradient sink for layer 0, unused) */
  float *pool, *gpool;   /* [B][C] pooled features and their gradient */
  float *logits;         /* [B][classes] */
} Net;

/* net.c */
int net_parse_spec(Net *n, const char *path, int batch);
int net_set_resolution(Net *n, int res);
void net_alloc(Net *n);
void net_init_params(Net *n, uint64_t seed);
float net_forward_train(Net *n, const uint8_t *labels, int *correct, float momentum);
void net_backward(Net *n, const uint8_t *labels);
long net_activation_floats(const Net *n);

/* ops.c: one image at a time, HWC */
void gemm_acc(int m, int nn, int k, const float *a, long sam, long sak, const float *b, long ldb, float *c, long ldc);
void conv_fwd(const Layer *l, const float *x, const float *wt, float *y);
void conv_bwd_input(const Layer *l, const float *gy, const float *w, float *gx);
void conv_bwd_weight(const Layer *l, const float *gy, const float *x, float *gw);
void dw_fwd(const Layer *l, const float *x, const float *w, float *y);
void dw_bwd_input(const Layer *l, const float *gy, const float *w, float *gx);
void dw_bwd_weight(const Layer *l, const float *gy, const float *x, float *gw);
void layer_fwd(const Layer *l, const float *x, const float *w, float *y);
void transpose_weights(const Layer *l, const float *w, float *wt);

/* data.c */
typedef struct {
  int n, h, w;
  uint8_t *img, *lab;
} Dataset;
int load_idx(const char *images_gz, const char *labels_gz, Dataset *d);
void resize_bilinear_u8(const uint8_t *src, int ih, int iw, int r, uint8_t *dst);
void shift_flip_u8(const uint8_t *src, int h, int w, int dx, int dy, int flip, uint8_t *dst);
void gray_to_input(const uint8_t *gray, int r, int c, float *x);
void sample_input(const Dataset *d, int idx, int r, int c, uint64_t aug, float *x);
uint64_t splitmix64(uint64_t *s);
float rand_uniform(uint64_t *s);
float rand_normal(uint64_t *s);
void permutation(int n, uint64_t seed, int *perm);

#endif
