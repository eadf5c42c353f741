/*
 * export.h - from a trained checkpoint to an int8 model file: BN folding, calibration, quantization,
 * and int8 inference with the real kernels of kernels-c (tt_kernels.h).
 */
#ifndef PRETRAIN_EXPORT_H
#define PRETRAIN_EXPORT_H

#include "net.h"

typedef struct {
  float scale;
  int zp;
} QP;

/* One conv/fc layer after BN folding, with its calibration ranges and its int8 form. */
typedef struct {
  float *w, *b;    /* folded fp32 weights (natural layout) and bias */
  float *wt;       /* forward layout for conv / pointwise (see transpose_weights) */
  float lo, hi;    /* calibrated range of the layer output (pre-add) */
  float alo, ahi;  /* calibrated range of the residual sum (layers with res_from >= 0) */
  QP in, out, add; /* quantization of the input, the output and the residual sum */
  int8_t *wq;
  int32_t *bq;
  float *sw, *mult; /* s_W[c] and m[c] = s_x s_W[c] / s_y */
} Folded;

typedef struct {
  Net *n;
  Folded f[MAX_LAYERS];
  QP input, pool;
  float pool_lo, pool_hi;
} Model;

/* quant.c */
QP range_qparams(double lo, double hi);
void quantize_model(Model *m);
int int8_predict(const Model *m, const uint8_t *gray, int8_t *work);
long int8_work_bytes(const Model *m);
int write_model(const Model *m, const char *bin_path, const char *json_path, double fp32_acc, double int8_acc,
                int test_n, double train_seconds, long steps);

#endif
