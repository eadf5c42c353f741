/*
 * data.c - Fashion-MNIST IDX reading (gzip, via zlib), the deterministic integer bilinear resize shared
 * with src/runtime/training/data.ts, light augmentation and the random numbers of the trainer.
 *
 * Resize (same integer arithmetic as resizeBilinearU8 in src/runtime/training/data.ts, so both give the same bytes):
 * for output coordinate o of R and an input of N pixels, the sample point is (o + 0.5) * N / R - 0.5,
 * i.e. num / den with num = (2o + 1) N - R, den = 2R. num <= 0 gives (i0 = 0, f = 0); otherwise
 * i0 = num / den, f = num % den, and i0 >= N - 1 gives (N - 1, 0). Weights (den - f, f) on (i0, i0 + 1).
 * value = floor((sum p * wy * wx + den^2 / 2) / den^2): exact integers, rounded half up.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "net.h"

static uint32_t be32(const unsigned char *b) {
  return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static int read_all(gzFile f, void *dst, size_t n) {
  unsigned char *p = dst;
  while (n > 0) {
    const int chunk = n > (1u << 30) ? (1 << 30) : (int)n;
    const int got = gzread(f, p, (unsigned)chunk);
    if (got <= 0)
      return -1;
    p += got, n -= (size_t)got;
  }
  return 0;
}

/* Loads an IDX image file (magic 0x803: n, h, w) and its label file (magic 0x801: n). Returns 0 on success. */
int load_idx(const char *images_gz, const char *labels_gz, Dataset *d) {
  unsigned char hdr[16];
  gzFile fi = gzopen(images_gz, "rb"), fl = gzopen(labels_gz, "rb");
  if (!fi || !fl)
    return fprintf(stderr, "cannot open %s / %s\n", images_gz, labels_gz), -1;
  if (read_all(fi, hdr, 16) || be32(hdr) != 0x803)
    return fprintf(stderr, "%s: not IDX images\n", images_gz), -1;
  d->n = (int)be32(hdr + 4), d->h = (int)be32(hdr + 8), d->w = (int)be32(hdr + 12);
  if (read_all(fl, hdr, 8) || be32(hdr) != 0x801 || (int)be32(hdr + 4) != d->n)
    return fprintf(stderr, "%s: not IDX labels for %d images\n", labels_gz, d->n), -1;
  d->img = malloc((size_t)d->n * d->h * d->w);
  d->lab = malloc((size_t)d->n);
  if (read_all(fi, d->img, (size_t)d->n * d->h * d->w) || read_all(fl, d->lab, (size_t)d->n))
    return fprintf(stderr, "%s: truncated\n", images_gz), -1;
  gzclose(fi);
  gzclose(fl);
  return 0;
}

static void axis_taps(int o, int n_in, int r, int *i0, int *i1, int *f) {
  const int num = (2 * o + 1) * n_in - r, den = 2 * r;
  if (num <= 0) {
    *i0 = 0, *f = 0;
  } else {
    *i0 = num / den, *f = num % den;
    if (*i0 >= n_in - 1)
      *i0 = n_in - 1, *f = 0;
  }
  *i1 = *i0 + 1 < n_in ? *i0 + 1 : n_in - 1;
}

void resize_bilinear_u8(const uint8_t *src, int ih, int iw, int r, uint8_t *dst) {
  const int den = 2 * r, den2 = den * den;
  for (int oy = 0; oy < r; oy++) {
    int y0, y1, fy;
    axis_taps(oy, ih, r, &y0, &y1, &fy);
    for (int ox = 0; ox < r; ox++) {
      int x0, x1, fx;
      axis_taps(ox, iw, r, &x0, &x1, &fx);
      const int top = src[y0 * iw + x0] * (den - fx) + src[y0 * iw + x1] * fx;
      const int bot = src[y1 * iw + x0] * (den - fx) + src[y1 * iw + x1] * fx;
      dst[oy * r + ox] = (uint8_t)((top * (den - fy) + bot * fy + den2 / 2) / den2);
    }
  }
}

/* dst[y][x] = s(y - dy, x - dx), s(y, x) = src[y][flip ? w-1-x : x], 0 outside (the background is 0). */
void shift_flip_u8(const uint8_t *src, int h, int w, int dx, int dy, int flip, uint8_t *dst) {
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      const int sy = y - dy, sx0 = x - dx, sx = flip ? w - 1 - sx0 : sx0;
      dst[y * w + x] = sy >= 0 && sy < h && sx0 >= 0 && sx0 < w ? src[sy * w + sx] : 0;
    }
}

/* Image idx as the network input x[R][R][c]: optional augmentation (aug != 0 seeds a shift of up to 2 px and a
 * horizontal flip), resize to R x R, replication to c channels. */
void sample_input(const Dataset *d, int idx, int r, int c, uint64_t aug, float *x) {
  uint8_t tmp[64 * 64], big[512 * 512];
  const uint8_t *src = d->img + (long)idx * d->h * d->w;
  if (aug) {
    uint64_t s = aug;
    const int dx = (int)(splitmix64(&s) % 5) - 2, dy = (int)(splitmix64(&s) % 5) - 2;
    shift_flip_u8(src, d->h, d->w, dx, dy, (int)(splitmix64(&s) & 1), tmp);
    src = tmp;
  }
  resize_bilinear_u8(src, d->h, d->w, r, big);
  gray_to_input(big, r, c, x);
}

/* Real input value p / 255, the dequantized int8 input x_q = p - 128 with scale 1/255, zero point -128. */
void gray_to_input(const uint8_t *gray, int r, int c, float *x) {
  for (int p = 0; p < r * r; p++)
    for (int j = 0; j < c; j++)
      x[p * c + j] = (float)gray[p] / 255.0f;
}

uint64_t splitmix64(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

float rand_uniform(uint64_t *s) { return (float)(splitmix64(s) >> 40) * 0x1p-24f; }

/* Box-Muller; one normal per call (the second is dropped for simplicity). */
float rand_normal(uint64_t *s) {
  const float u1 = rand_uniform(s) + 0x1p-25f, u2 = rand_uniform(s);
  return sqrtf(-2.0f * logf(u1)) * cosf(6.2831853f * u2);
}

/* Fisher-Yates shuffle of 0..n-1 from a seed. */
void permutation(int n, uint64_t seed, int *perm) {
  uint64_t s = seed;
  for (int i = 0; i < n; i++)
    perm[i] = i;
  for (int i = n - 1; i > 0; i--) {
    const int j = (int)(splitmix64(&s) % (uint64_t)(i + 1));
    const int t = perm[i];
    perm[i] = perm[j], perm[j] = t;
  }
}
