/*
 * train.c - fp32 pretraining of a backbone on Fashion-MNIST (gray 28x28 resized to R x R, replicated to the
 * input channels), batch norm, SGD with Nesterov momentum or AdamW, warmup + cosine learning rate.
 *
 * Usage: pretrain_train --spec S --data DIR --ckpt FILE [--batch 32] [--epochs 1] [--lr 0.05] [--wd 5e-5]
 *        [--opt sgd|adam] [--seed 1] [--limit N] [--res R] [--init CKPT] [--resume] [--gradcheck]
 * --res trains at another input resolution than the spec's (every layer is resolution-agnostic); --init starts
 * from the parameters and BN statistics of another checkpoint with a fresh optimizer and schedule, which is
 * how a low-resolution phase hands over to a full-resolution one (progressive resizing).
 * Sample g of the run (g = step * B + b) is image perm_e[g mod N] of epoch e = g / N, shuffled by a
 * permutation seeded from (seed, e); its augmentation (shift of up to 2 px, horizontal flip) comes from a
 * generator seeded by (seed, g). So a run, and a resumed run, sees the same samples in the same order.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ckpt.h"
#include "net.h"

typedef struct {
  const char *spec, *data, *ckpt, *opt, *init;
  int batch, limit, res, resume, gradcheck, log_every;
  double epochs;
  float lr, wd;
  uint64_t seed;
} Args;

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void parse_args(int argc, char **argv, Args *a) {
  *a = (Args){.batch = 32, .epochs = 1.0, .lr = 0.05f, .wd = 5e-5f, .opt = "sgd", .seed = 1, .log_every = 20};
  for (int i = 1; i < argc; i++) {
    const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
    if (!strcmp(k, "--resume"))
      a->resume = 1;
    else if (!strcmp(k, "--gradcheck"))
      a->gradcheck = 1;
    else if (!strcmp(k, "--spec"))
      a->spec = v, i++;
    else if (!strcmp(k, "--data"))
      a->data = v, i++;
    else if (!strcmp(k, "--ckpt"))
      a->ckpt = v, i++;
    else if (!strcmp(k, "--init"))
      a->init = v, i++;
    else if (!strcmp(k, "--opt"))
      a->opt = v, i++;
    else if (!strcmp(k, "--batch"))
      a->batch = atoi(v), i++;
    else if (!strcmp(k, "--limit"))
      a->limit = atoi(v), i++;
    else if (!strcmp(k, "--res"))
      a->res = atoi(v), i++;
    else if (!strcmp(k, "--log-every"))
      a->log_every = atoi(v), i++;
    else if (!strcmp(k, "--epochs"))
      a->epochs = atof(v), i++;
    else if (!strcmp(k, "--lr"))
      a->lr = (float)atof(v), i++;
    else if (!strcmp(k, "--wd"))
      a->wd = (float)atof(v), i++;
    else if (!strcmp(k, "--seed"))
      a->seed = strtoull(v, NULL, 10), i++;
    else
      fprintf(stderr, "unknown argument %s\n", k), exit(2);
  }
  if (!a->spec || !a->data || (!a->ckpt && !a->gradcheck)) {
    fprintf(stderr, "usage: pretrain_train --spec S --data DIR --ckpt FILE [options]\n");
    exit(2);
  }
}

/* Fills n->in and labels with samples g0 .. g0+B-1 of the run (see the header comment). */
static void load_batch(Net *n, const Dataset *d, int ntrain, long g0, uint64_t seed, int augment, int **perm,
                       int *perm_epoch, uint8_t *labels) {
  const long img_sz = (long)n->res * n->res * n->in_c;
  for (int b = 0; b < n->batch; b++) {
    const long g = g0 + b;
    const int e = (int)(g / ntrain);
    if (e != *perm_epoch)
      permutation(ntrain, seed * 1000003ull + (uint64_t)e, *perm), *perm_epoch = e;
    const int idx = (*perm)[g % ntrain];
    const uint64_t aug = augment ? seed ^ (0x5851F42D4C957F2Dull * (uint64_t)(g + 1)) : 0;
    sample_input(d, idx, n->res, n->in_c, aug, n->in + b * img_sz);
    labels[b] = d->lab[idx];
  }
}

/* Warmup over the first 3% of steps, then cosine decay to 0. */
static float lr_at(float base, long step, long total) {
  const long warm = total / 33 > 0 ? total / 33 : 1;
  if (step < warm)
    return base * (float)(step + 1) / (float)warm;
  const double t = (double)(step - warm) / (double)(total - warm > 0 ? total - warm : 1);
  return (float)(base * 0.5 * (1.0 + cos(3.14159265358979 * t)));
}

/* SGD-Nesterov: m = mu m + g', p -= lr (g' + mu m); AdamW: bias-corrected moments, decoupled decay.
 * g' = g + wd p on conv/fc weights only (not on BN parameters or biases). */
static void optimizer_step(Net *n, const char *opt, float lr, float wd, long step) {
  const float mu = 0.9f, b1 = 0.9f, b2 = 0.999f;
  const float c1 = 1.0f - powf(b1, (float)(step + 1)), c2 = 1.0f - powf(b2, (float)(step + 1));
  const int adam = !strcmp(opt, "adam");
  for (int i = 0; i < n->nl; i++) {
    const Layer *l = &n->L[i];
    const long end = l->bet_off + l->cout;
    for (long j = l->w_off; j < end; j++) {
      const float decay = j < l->w_off + l->w_len ? wd : 0.0f;
      float g = n->G[j], *p = n->P + j;
      if (adam) {
        n->M[j] = b1 * n->M[j] + (1 - b1) * g;
        n->V[j] = b2 * n->V[j] + (1 - b2) * g * g;
        *p -= lr * ((n->M[j] / c1) / (sqrtf(n->V[j] / c2) + 1e-8f) + decay * *p);
      } else {
        g += decay * *p;
        n->M[j] = mu * n->M[j] + g;
        *p -= lr * (g + mu * n->M[j]);
      }
    }
  }
}

/* Central differences on a few parameters against the analytic gradient (momentum 0: no stat updates). */
static int gradcheck(Net *n, const Dataset *d, uint64_t seed) {
  uint8_t labels[64];
  int *perm = malloc(sizeof(int) * d->n), pe = -1, correct, bad = 0;
  uint64_t s = seed;
  for (long j = 0; j < n->np; j++)
    n->P[j] += (getenv("GC_NOISE") ? (float)atof(getenv("GC_NOISE")) : 0.02f) * rand_normal(&s);
  load_batch(n, d, d->n, 0, seed, 1, &perm, &pe, labels);
  net_forward_train(n, labels, &correct, 0.0f);
  net_backward(n, labels);
  for (int t = 0; t < 24; t++) {
    const Layer *l = &n->L[(t * 7) % n->nl];
    const long j = l->w_off + (long)(splitmix64(&s) % (uint64_t)(l->bet_off + l->cout - l->w_off));
    const float p0 = n->P[j], h = getenv("GC_H") ? (float)atof(getenv("GC_H")) : 3e-3f;
    n->P[j] = p0 + h;
    const float lp = net_forward_train(n, labels, &correct, 0.0f);
    n->P[j] = p0 - h;
    const float lm = net_forward_train(n, labels, &correct, 0.0f);
    n->P[j] = p0;
    const float num = (lp - lm) / (2 * h), ana = n->G[j];
    const float err = fabsf(num - ana) / fmaxf(fabsf(num) + fabsf(ana), 1e-3f);
    bad += err > 0.1f;
    printf("%-16s param %7ld analytic % .6e numeric % .6e rel %.3f%s\n", l->name, j, ana, num, err,
           err > 0.1f ? "  <-- MISMATCH" : "");
  }
  free(perm);
  printf("gradcheck: %d of 24 mismatched\n", bad);
  return bad > 2;
}

static void train(Net *n, const Dataset *d, const Args *a) {
  const int ntrain = a->limit > 0 && a->limit < d->n ? a->limit : d->n;
  const long total = (long)ceil(a->epochs * ntrain / n->batch);
  long step = 0;
  double before = 0.0; /* training seconds of the runs this one resumes or starts from */
  if (a->init) {
    if (ckpt_load(n, a->init, &step, &before))
      exit(1);
    memset(n->M, 0, sizeof(float) * n->np), memset(n->V, 0, sizeof(float) * n->np);
    step = 0;
    printf("initialized from %s (%.0f s trained)\n", a->init, before);
  }
  if (a->resume && ckpt_load(n, a->ckpt, &step, &before) == 0)
    printf("resumed %s at step %ld (%.0f s trained)\n", a->ckpt, step, before);
  int *perm = malloc(sizeof(int) * ntrain), pe = -1, correct;
  uint8_t *labels = malloc((size_t)n->batch);
  double t0 = now_s(), loss_acc = 0, t_log = t0;
  long seen = 0, hit = 0, since_log = 0;
  printf("train: %s res %d, %d images, batch %d, %ld steps, %s lr %g wd %g, %ld params, %.1f MB activations\n",
         n->model, n->res, ntrain, n->batch, total, a->opt, a->lr, a->wd, n->np,
         net_activation_floats(n) * 4.0 * 3 * n->batch / 1e6);
  for (; step < total; step++) {
    load_batch(n, d, ntrain, step * n->batch, a->seed, 1, &perm, &pe, labels);
    const float loss = net_forward_train(n, labels, &correct, 0.05f);
    net_backward(n, labels);
    const float lr = lr_at(a->lr, step, total);
    optimizer_step(n, a->opt, lr, a->wd, step);
    loss_acc += loss, hit += correct, seen += n->batch, since_log++;
    if ((step + 1) % a->log_every == 0 || step + 1 == total) {
      const double t = now_s();
      printf("step %6ld/%ld epoch %.3f lr %.4f loss %.4f acc %.4f  %.1f img/s  elapsed %.0f s\n", step + 1, total,
             (double)(step + 1) * n->batch / ntrain, lr, loss_acc / since_log, (double)hit / seen,
             since_log * n->batch / (t - t_log), t - t0);
      fflush(stdout);
      loss_acc = 0, hit = 0, seen = 0, since_log = 0, t_log = t;
    }
    if (!isfinite(loss))
      fprintf(stderr, "loss diverged at step %ld\n", step), exit(1);
    if ((step + 1) % 200 == 0 || step + 1 == total)
      ckpt_save(n, a->ckpt, step + 1, before + now_s() - t0);
  }
  printf("train: done in %.1f s (%.1f s with resumed runs)\n", now_s() - t0, before + now_s() - t0);
  free(perm);
  free(labels);
}

int main(int argc, char **argv) {
  Args a;
  parse_args(argc, argv, &a);
  Net *n = calloc(1, sizeof(Net));
  Dataset d;
  char ip[1024], lp[1024];
  snprintf(ip, sizeof ip, "%s/train-images-idx3-ubyte.gz", a.data);
  snprintf(lp, sizeof lp, "%s/train-labels-idx1-ubyte.gz", a.data);
  if (net_parse_spec(n, a.spec, a.gradcheck ? 4 : a.batch) || load_idx(ip, lp, &d))
    return 1;
  if (a.res > 0)
    net_set_resolution(n, a.res);
  net_alloc(n);
  net_init_params(n, a.seed);
  if (a.gradcheck)
    return gradcheck(n, &d, a.seed);
  train(n, &d, &a);
  return 0;
}
