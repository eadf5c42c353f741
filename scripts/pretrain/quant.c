/*
 * quant.c - int8 quantization of a folded model, int8 inference with the kernels of kernels-c, and the
 * model-file writer. The formulas are those of src/compiler/quant.ts (double precision, then one rounding to
 * float32), so the page recomputes bit-identical multipliers from the manifest:
 *   activation range [lo, hi] -> a = min(lo, 0), b = max(hi, a + 1e-6), s = f32((b - a) / 255),
 *                                 z = clamp(round(-128 - a / s), -128, 127)            (asymmetric per tensor)
 *   weights  s_W[c] = f32(max|W[c]| / 127) (1e-8 for an all-zero channel), w_q = clamp(round(W / s_W), +-127)
 *   bias     b_q = round(b / (s_W[c] s_x));  requant m[c] = f32(s_x s_W[c] / s_y)
 *   add      ma = f32(s_a / s_y), mb = f32(s_b / s_y);  pool m = f32(s_in / (s_out h w))
 * round() is JavaScript's Math.round: floor(v + 0.5).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../kernels-c/include/tt_kernels.h"
#include "export.h"

static double js_round(double v) { return floor(v + 0.5); }

QP range_qparams(double lo, double hi) {
  const double a = lo < 0 ? lo : 0, b = hi > a + 1e-6 ? hi : a + 1e-6;
  const float s = (float)((b - a) / 255.0);
  const double z = js_round(-128.0 - a / (double)s);
  return (QP){s, z < -128 ? -128 : z > 127 ? 127 : (int)z};
}

static void quantize_layer(const Layer *l, Folded *f) {
  const long per = l->w_len / l->cout; /* weights per output channel */
  f->wq = malloc((size_t)l->w_len);
  f->bq = malloc(sizeof(int32_t) * l->cout);
  f->sw = malloc(sizeof(float) * l->cout);
  f->mult = malloc(sizeof(float) * l->cout);
  for (int c = 0; c < l->cout; c++) {
    double mx = 0;
    for (long j = 0; j < per; j++) {
      const long e = l->kind == K_DW ? j * l->cout + c : c * per + j;
      mx = fmax(mx, fabs((double)f->w[e]));
    }
    f->sw[c] = mx > 0 ? (float)(mx / 127.0) : 1e-8f;
    for (long j = 0; j < per; j++) {
      const long e = l->kind == K_DW ? j * l->cout + c : c * per + j;
      const double v = js_round((double)f->w[e] / (double)f->sw[c]);
      f->wq[e] = (int8_t)(v < -127 ? -127 : v > 127 ? 127 : v);
    }
    const double bq = js_round((double)f->b[c] / ((double)f->sw[c] * (double)f->in.scale));
    f->bq[c] = (int32_t)(bq < -2147483648.0 ? -2147483648.0 : bq > 2147483647.0 ? 2147483647.0 : bq);
    f->mult[c] = (float)((double)f->in.scale * (double)f->sw[c] / (double)f->out.scale);
  }
}

/* Chooses every tensor's quantization from the calibrated ranges, then quantizes the weights and biases. */
void quantize_model(Model *m) {
  const Net *n = m->n;
  m->input = (QP){(float)(1.0 / 255.0), -128}; /* x_q = p - 128: real p / 255 */
  QP q = m->input;
  for (int i = 0; i + 1 < n->nl; i++) {
    Folded *f = &m->f[i];
    f->in = q;
    f->out = range_qparams(f->lo, f->hi);
    q = f->out;
    if (n->L[i].res_from >= 0)
      q = f->add = range_qparams(f->alo, f->ahi);
    quantize_layer(&n->L[i], f);
  }
  m->pool = range_qparams(m->pool_lo, m->pool_hi);
  Folded *fc = &m->f[n->nl - 1];
  fc->in = m->pool;
  fc->out = range_qparams(fc->lo, fc->hi);
  quantize_layer(&n->L[n->nl - 1], fc);
}

long int8_work_bytes(const Model *m) {
  const Net *n = m->n;
  long s = (long)n->res * n->res * n->in_c;
  for (int i = 0; i + 1 < n->nl; i++)
    s += 2L * n->L[i].oh * n->L[i].ow * n->L[i].cout;
  return s + n->L[n->nl - 1].cin + n->classes;
}

/* int8 forward of one gray R x R image (x_q = p - 128 on every channel) through the tt_*_s8 kernels. */
int int8_predict(const Model *m, const uint8_t *gray, int8_t *work) {
  const Net *n = m->n;
  const int8_t *inputs[MAX_LAYERS];
  int8_t *x = work, *w = work + (long)n->res * n->res * n->in_c;
  for (int p = 0; p < n->res * n->res; p++)
    for (int c = 0; c < n->in_c; c++)
      x[p * n->in_c + c] = (int8_t)(gray[p] - 128);
  for (int i = 0; i + 1 < n->nl; i++) {
    const Layer *l = &n->L[i];
    const Folded *f = &m->f[i];
    const int32_t cnt = l->oh * l->ow * l->cout;
    const tt_conv_shape sh = {l->ih,     l->iw,  l->cin, l->oh, l->ow, l->cout,   l->k,
                              l->stride, l->pad, l->ih,  l->oh, l->k,  l->stride, l->pad};
    const tt_quant q = {f->in.zp, f->out.zp, l->relu ? f->out.zp : -128, 127};
    int8_t *y = w;
    w += cnt;
    inputs[i] = x;
    if (l->kind == K_CONV)
      tt_conv_s8(&sh, &q, x, f->wq, f->bq, f->mult, y, NULL, 0, l->oh);
    else if (l->kind == K_PW)
      tt_pointwise_s8(&sh, &q, x, f->wq, f->bq, f->mult, y, NULL, 0, l->oh);
    else
      tt_depthwise_s8(&sh, &q, x, f->wq, f->bq, f->mult, y, NULL, 0, l->oh);
    if (l->res_from >= 0) {
      const QP sk = m->f[l->res_from].in;
      const tt_quant qa = {f->out.zp, f->add.zp, -128, 127};
      const float ma = (float)((double)f->out.scale / f->add.scale), mb = (float)((double)sk.scale / f->add.scale);
      tt_add_s8(cnt, &qa, sk.zp, ma, mb, y, inputs[l->res_from], w, NULL);
      y = w;
      w += cnt;
    }
    x = y;
  }
  const Layer *last = &n->L[n->nl - 2];
  const Folded *lf = &m->f[n->nl - 2], *fc = &m->f[n->nl - 1];
  const QP qin = last->res_from >= 0 ? lf->add : lf->out;
  const int C = last->cout;
  int8_t *pool = w, *lg = w + C;
  const float pm = (float)((double)qin.scale / ((double)m->pool.scale * last->oh * last->ow));
  tt_avgpool_s8(last->oh, last->ow, C, qin.zp, m->pool.zp, pm, x, pool);
  const tt_quant qf = {m->pool.zp, fc->out.zp, -128, 127};
  tt_fc_s8(C, n->classes, &qf, pool, fc->wq, fc->bq, fc->mult, lg, NULL);
  int best = 0;
  for (int o = 1; o < n->classes; o++)
    if (lg[o] > lg[best])
      best = o;
  return best;
}

static const char *kind_name(int k) {
  return k == K_CONV ? "conv" : k == K_PW ? "pointwise" : k == K_DW ? "depthwise" : "fc";
}

static long put(FILE *f, const void *p, long bytes, long *at) {
  static const char zero[4] = {0};
  const long start = *at, padded = (bytes + 3) / 4 * 4;
  fwrite(p, 1, (size_t)bytes, f);
  fwrite(zero, 1, (size_t)(padded - bytes), f);
  *at += padded;
  return start;
}

static void qp_json(FILE *j, const QP *q) { fprintf(j, "{\"scale\":%.17g,\"zeroPoint\":%d}", (double)q->scale, q->zp); }

/* Blob: per layer its int8 weights, int32 biases, float32 scales, each padded to 4 bytes (the layout of
 * writeModelFile in src/compiler/model-file.ts). JSON: the manifest without the driver's string meta. */
int write_model(const Model *m, const char *bin_path, const char *json_path, double fp32_acc, double int8_acc,
                int test_n, double train_seconds, long steps) {
  const Net *n = m->n;
  FILE *b = fopen(bin_path, "wb"), *j = fopen(json_path, "w");
  if (!b || !j)
    return fprintf(stderr, "cannot write %s / %s\n", bin_path, json_path), -1;
  long at = 0;
  fprintf(j, "{\"format\":\"tinytrain-model\",\"version\":1,\"model\":\"%s\",\"resolution\":%d,", n->model, n->res);
  fprintf(j, "\"inChannels\":%d,\"classes\":%d,\"input\":", n->in_c, n->classes);
  qp_json(j, &m->input);
  fprintf(j, ",\n\"layers\":[");
  for (int i = 0; i < n->nl; i++) {
    const Layer *l = &n->L[i];
    const Folded *f = &m->f[i];
    const long wo = put(b, f->wq, l->w_len, &at), bo = put(b, f->bq, 4L * l->cout, &at);
    const long so = put(b, f->sw, 4L * l->cout, &at);
    fprintf(j, "%s\n{\"name\":\"%s\",\"kind\":\"%s\",\"inC\":%d,\"outC\":%d,\"kernel\":%d,\"stride\":%d,", i ? "," : "",
            l->name, kind_name(l->kind), l->cin, l->cout, l->k, l->stride);
    fprintf(j, "\"weight\":{\"offset\":%ld,\"length\":%ld},\"bias\":{\"offset\":%ld,\"length\":%d},", wo, l->w_len, bo,
            l->cout);
    fprintf(j, "\"weightScale\":{\"offset\":%ld,\"length\":%d},\"output\":", so, l->cout);
    qp_json(j, &f->out);
    fprintf(j, ",\"relu\":%s}", l->relu ? "true" : "false");
  }
  fprintf(j, "],\n\"residuals\":[");
  for (int i = 0, first = 1; i < n->nl; i++)
    if (n->L[i].res_from >= 0) {
      fprintf(j, "%s{\"block\":%d,\"output\":", first ? "" : ",", n->L[i].block);
      qp_json(j, &m->f[i].add);
      fprintf(j, "}");
      first = 0;
    }
  fprintf(j, "],\n\"pool\":{\"output\":");
  qp_json(j, &m->pool);
  fprintf(j, "},\n\"meta\":{\"accuracy\":{\"fp32\":%.4f,\"int8\":%.4f},\"testImages\":%d,", fp32_acc, int8_acc, test_n);
  fprintf(j, "\"trainSeconds\":%.0f,\"steps\":%ld}}\n", train_seconds, steps);
  const int bad = ferror(b) || ferror(j);
  fclose(b), fclose(j);
  return bad ? -1 : 0;
}
