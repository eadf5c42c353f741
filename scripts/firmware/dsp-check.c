/*
 * dsp-check.c - the SMLAD dot product of kernels-c/src/tt_arm_dsp.h against the portable loop, on the Cortex-M7
 * of QEMU's mps2-an500 (the firmware test builds it with a bundle's start-up code and linker script). Random and
 * extreme int8 vectors, every length 0..300, zero points -128..127; exits 1 on the first mismatch.
 */
#include <inttypes.h>
#include <stdio.h>

#include "tt_arm_dsp.h"

#if !defined(__ARM_FEATURE_DSP)
#error "build for a core with the DSP extension (-mcpu=cortex-m7)"
#endif

static uint32_t state = 12345u;
static int8_t next_i8(void) {
  state = state * 1664525u + 1013904223u;
  return (int8_t)(state >> 24);
}

static int32_t dot_portable(const int8_t *x, const int8_t *w, int32_t n, int32_t zp) {
  int32_t acc = 0;
  for (int32_t i = 0; i < n; i++) acc += (x[i] - zp) * w[i];
  return acc;
}

int main(void) {
  static int8_t buf[2][304];
  int32_t checked = 0;
  for (int32_t round = 0; round < 6; round++) {
    for (int32_t i = 0; i < 304; i++) {
      buf[0][i] = round == 0 ? -128 : round == 1 ? 127 : next_i8();
      buf[1][i] = round == 0 ? -128 : round == 1 ? -128 : next_i8();
    }
    for (int32_t n = 0; n <= 300; n++) {
      for (int32_t zp = -128; zp <= 127; zp += (round < 2 ? 255 : 37)) {
        for (int32_t off = 0; off < 4; off++) { /* unaligned starts too */
          int32_t a = tt_dot_s8_dsp(buf[0] + off, buf[1] + (3 - off), n, zp);
          int32_t b = dot_portable(buf[0] + off, buf[1] + (3 - off), n, zp);
          if (a != b) {
            printf("MISMATCH n=%" PRId32 " zp=%" PRId32 " off=%" PRId32 ": %" PRId32 " != %" PRId32 "\n", n, zp, off, a, b);
            return 1;
          }
          checked++;
        }
      }
    }
  }
  printf("dsp dot products identical: %" PRId32 "\n", checked);
  return 0;
}
