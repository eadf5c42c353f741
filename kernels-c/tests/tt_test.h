/* Minimal native test harness: CHECK macros and a deterministic generator for random shapes and values. */
#ifndef TT_TEST_H
#define TT_TEST_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <stdint.h>

static int tt_test_failures = 0;
static int tt_test_checks = 0;
#define CHECK(cond, ...)                                                   \
  do {                                                                     \
    tt_test_checks++;                                                      \
    if (!(cond)) {                                                         \
      tt_test_failures++;                                                  \
      fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                        \
      fprintf(stderr, "\n");                                               \
    }                                                                      \
  } while (0)

/* splitmix64: test data only. */
static uint64_t tt_test_seed = 0x9E3779B97F4A7C15ull;
static inline uint64_t tt_test_next(void) {
  uint64_t z = (tt_test_seed += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
static inline int32_t tt_test_int(int32_t lo, int32_t hi) { /* inclusive */
  return lo + (int32_t)(tt_test_next() % (uint64_t)(hi - lo + 1));
}
static inline float tt_test_float(float lo, float hi) {
  return lo + (hi - lo) * (float)((tt_test_next() >> 40) * 0x1p-24);
}

/* Prints the closing line and returns the process exit code. */
static inline int tt_test_report(const char *name) {
  printf("%s: %d passed, %d failed\n", name, tt_test_checks - tt_test_failures, tt_test_failures);
  return tt_test_failures ? 1 : 0;
}
#endif
