/*
 * ckpt.c - see ckpt.h. Layout: magic "TTCK", version 1, np, step, seconds (double), resolution, then
 * P, M, V (np floats each) and for every layer its running mean and variance (cout floats each).
 */
#include <stdio.h>
#include <string.h>

#include "ckpt.h"

typedef struct {
  char magic[4];
  int32_t version, res;
  int64_t np, step;
  double seconds;
} Header;

int ckpt_save(const Net *n, const char *path, long step, double seconds) {
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "wb");
  if (!f)
    return fprintf(stderr, "cannot write %s\n", tmp), -1;
  Header h;
  memset(&h, 0, sizeof h); /* zero the padding too: equal states give equal files */
  memcpy(h.magic, "TTCK", 4);
  h.version = 1, h.res = n->res, h.np = n->np, h.step = step, h.seconds = seconds;
  int ok = fwrite(&h, sizeof h, 1, f) == 1;
  ok &= fwrite(n->P, sizeof(float), (size_t)n->np, f) == (size_t)n->np;
  ok &= fwrite(n->M, sizeof(float), (size_t)n->np, f) == (size_t)n->np;
  ok &= fwrite(n->V, sizeof(float), (size_t)n->np, f) == (size_t)n->np;
  for (int i = 0; i < n->nl; i++) {
    ok &= fwrite(n->L[i].run_mean, sizeof(float), (size_t)n->L[i].cout, f) == (size_t)n->L[i].cout;
    ok &= fwrite(n->L[i].run_var, sizeof(float), (size_t)n->L[i].cout, f) == (size_t)n->L[i].cout;
  }
  ok &= fclose(f) == 0;
  if (!ok || rename(tmp, path))
    return fprintf(stderr, "writing %s failed\n", path), -1;
  return 0;
}

int ckpt_load(Net *n, const char *path, long *step, double *seconds) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return -1;
  Header h;
  if (fread(&h, sizeof h, 1, f) != 1 || memcmp(h.magic, "TTCK", 4) || h.version != 1 || h.np != n->np) {
    fclose(f);
    return fprintf(stderr, "%s: not a checkpoint of this model\n", path), -1;
  }
  int ok = fread(n->P, sizeof(float), (size_t)n->np, f) == (size_t)n->np;
  ok &= fread(n->M, sizeof(float), (size_t)n->np, f) == (size_t)n->np;
  ok &= fread(n->V, sizeof(float), (size_t)n->np, f) == (size_t)n->np;
  for (int i = 0; i < n->nl; i++) {
    ok &= fread(n->L[i].run_mean, sizeof(float), (size_t)n->L[i].cout, f) == (size_t)n->L[i].cout;
    ok &= fread(n->L[i].run_var, sizeof(float), (size_t)n->L[i].cout, f) == (size_t)n->L[i].cout;
  }
  fclose(f);
  if (!ok)
    return fprintf(stderr, "%s: truncated\n", path), -1;
  *step = (long)h.step;
  if (seconds)
    *seconds = h.seconds;
  return 0;
}
