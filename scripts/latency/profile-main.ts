/**
 * main() of a measurement build (measure.ts replaces the bundle's mcu/main_mcu.c with it): under
 * `qemu-system-arm -M mps2-an500 -icount shift=0` every instruction advances virtual time by 1 ns, and SysTick
 * (processor clock, 24-bit down counter, polled: no interrupt) counts that time, so ticks are proportional to
 * instructions. It prints
 *   "spin <instructions> ticks <t>"     a loop of exactly 2 instructions per turn: instructions per tick
 *   "hook <calls> ticks <t>"            back-to-back empty marks: the mark's own cost, subtracted per step
 *   "train <rep> total <t>"             one tt_train_step on a sample, start to end
 *   "step <i> <t>"                      ticks of plan step i in that training step (call + one mark)
 */
export function profileMain(planSteps: number, reps: number): string {
  return `/* main_mcu.c (measurement build) - instruction counts per plan step of tt_train_step, via SysTick. */
#include <inttypes.h>
#include <stdio.h>

#include "tt_model.h"
#include "tt_samples.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define MASK 0xFFFFFFu
#define NSTEPS ${planSteps}
#define SPIN ((uint32_t)1000000)
#define HOOKS 1000

static uint32_t ticks[NSTEPS + 1]; /* the last slot: the marks' own cost */
static uint32_t last;

__attribute__((noinline)) void tt_profile_step(int32_t step) {
  uint32_t v = SYST_CVR;
  if (step >= 0 && step <= NSTEPS) ticks[step] += (last - v) & MASK;
  last = v;
}

static uint32_t since(uint32_t from) { return (from - SYST_CVR) & MASK; }

/* Exactly 2 instructions per turn (subs, bne). */
static void spin(uint32_t n) { __asm volatile("1:\\n\\tsubs %0, %0, #1\\n\\tbne 1b" : "+r"(n) : : "cc"); }

int main(void) {
  SYST_RVR = MASK;
  SYST_CVR = 0;
  SYST_CSR = 5u; /* enable, processor clock, no interrupt */
  uint32_t t0 = SYST_CVR;
  spin(SPIN);
  printf("spin %" PRIu32 " ticks %" PRIu32 "\\n", (uint32_t)(2u * SPIN), since(t0));
  t0 = SYST_CVR;
  for (int32_t i = 0; i < HOOKS; i++) tt_profile_step(NSTEPS); /* as the model calls it: a real call */
  printf("hook %d ticks %" PRIu32 "\\n", HOOKS, since(t0));
  for (int32_t rep = 0; rep < ${reps}; rep++) {
    for (int32_t i = 0; i < NSTEPS; i++) ticks[i] = 0;
    const tt_sample *x = &tt_samples[rep % tt_num_samples];
    t0 = SYST_CVR;
    float loss = tt_train_step(x->image, x->label, TT_LEARNING_RATE);
    uint32_t total = since(t0);
    printf("train %" PRId32 " total %" PRIu32 " loss_ok %d\\n", rep, total, loss >= 0.0f && loss < 1e5f);
    for (int32_t i = 0; i < NSTEPS; i++) printf("step %" PRId32 " %" PRIu32 "\\n", i, ticks[i]);
  }
  return 0;
}
`;
}
