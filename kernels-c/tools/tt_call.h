/* Native kernel runner: argument cells shared by tt_call.c and the generated dispatcher. */
#ifndef TT_CALL_H
#define TT_CALL_H
#include <stdint.h>
typedef union {
  void *p;
  int32_t i;
  float f;
} tt_call_arg;
/* Calls kernel `name`; returns 0, -1 (unknown name) or -2 (wrong argument count). *ret gets the return bits. */
int tt_call_dispatch(const char *name, tt_call_arg *a, int nargs, uint32_t *ret);
#endif
