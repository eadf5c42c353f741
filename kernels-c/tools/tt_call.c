/*
 * Native kernel runner for tests and benchmarks: reads a batch of kernel calls from stdin, runs each, writes the
 * results to stdout. Lets the TypeScript harness hold native C to the same bit-exact checks as WebAssembly.
 * Little-endian stream. Request: u32 ncalls, then per call: u32 name_len, name, u32 repeat, u32 nargs, and per
 * argument u8 kind (0 NULL, 1 i32, 2 f32, 3 buffer) followed by 4 value bytes (i32/f32) or u32 byte_len + bytes.
 * Response per call: i32 status, u32 return bits, f64 nanoseconds per call (mean over repeat), then every buffer
 * argument's bytes after the last run, in argument order.
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tt_call.h"

#define MAX_ARGS 32

static void read_exact(void *dst, size_t n) {
  if (n && fread(dst, 1, n, stdin) != n) {
    fprintf(stderr, "tt_call: truncated request\n");
    exit(2);
  }
}
static uint32_t read_u32(void) {
  uint32_t v;
  read_exact(&v, 4);
  return v;
}
static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void run_one(void) {
  char name[128];
  uint32_t len = read_u32();
  if (len >= sizeof name) exit(2);
  read_exact(name, len);
  name[len] = 0;
  uint32_t repeat = read_u32(), nargs = read_u32();
  if (nargs > MAX_ARGS) exit(2);
  tt_call_arg a[MAX_ARGS];
  void *raw[MAX_ARGS] = {0};
  uint32_t sizes[MAX_ARGS] = {0};
  for (uint32_t j = 0; j < nargs; j++) {
    uint8_t kind;
    read_exact(&kind, 1);
    if (kind == 0) {
      a[j].p = NULL;
    } else if (kind == 1 || kind == 2) {
      read_exact(&a[j], 4);
    } else {
      sizes[j] = read_u32();
      /* exact-size allocation so AddressSanitizer catches any read or write past the buffer */
      raw[j] = malloc(sizes[j] ? sizes[j] : 1);
      read_exact(raw[j], sizes[j]);
      a[j].p = raw[j];
    }
  }
  uint32_t ret = 0;
  int32_t status = 0;
  double t0 = now_ns();
  for (uint32_t r = 0; r < (repeat ? repeat : 1) && status == 0; r++) status = tt_call_dispatch(name, a, (int)nargs, &ret);
  double ns = (now_ns() - t0) / (repeat ? repeat : 1);
  fwrite(&status, 4, 1, stdout);
  fwrite(&ret, 4, 1, stdout);
  fwrite(&ns, 8, 1, stdout);
  for (uint32_t j = 0; j < nargs; j++) {
    if (raw[j]) {
      fwrite(raw[j], 1, sizes[j], stdout);
      free(raw[j]);
    }
  }
}

int main(void) {
  uint32_t n = read_u32();
  for (uint32_t c = 0; c < n; c++) run_one();
  fflush(stdout);
  return 0;
}
