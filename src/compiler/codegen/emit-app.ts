/**
 * The demo application of a firmware bundle, shared by the host and the MCU builds:
 *   app/tt_samples.{h,c}  the embedded samples (int8 images already quantized, in flash)
 *   app/tt_demo.{h,c}     runs N training steps over the samples, printing every loss, then the weight
 *                         checksum, then inference on every sample
 *   app/main_host.c       main() for a desktop build
 * The printed lines are the contract the playground's test checks against the WebAssembly executor:
 *   "before <i> label <l> predicted <p> loss 0x<float bits> <decimal>"   (inference before any training: the
 *                                                                        weights as the bundle embeds them)
 *   "train <step> sample <i> label <l> loss 0x<float bits> <decimal>"
 *   "weights fnv1a 0x<hash>"
 *   "eval <i> label <l> predicted <p> loss 0x<float bits> <decimal>"
 * Losses are printed as their exact float bits (plus a decimal computed with integers, so newlib-nano needs no
 * float printf).
 */
import { cArrayBody, cInt } from './c-syntax';
import type { FirmwareSample } from './samples';

export function samplesHeader(): string {
  return `/* tt_samples.h - labelled images embedded in flash for the demo (already quantized to the model input). */
#ifndef TT_SAMPLES_H
#define TT_SAMPLES_H

#include <stdint.h>

typedef struct {
  int32_t label;
  const int8_t *image; /* TT_INPUT_BYTES values, HWC */
} tt_sample;

extern const tt_sample tt_samples[];
extern const int32_t tt_num_samples;

#endif /* TT_SAMPLES_H */
`;
}

export function samplesSource(samples: readonly FirmwareSample[], inputBytes: number): string {
  if (samples.length === 0) throw new Error('a firmware bundle needs at least one sample');
  const arrays = samples.map((s, i) => {
    if (s.image.length !== inputBytes)
      throw new Error(`sample ${i} has ${s.image.length} bytes; the input takes ${inputBytes}`);
    return `static const int8_t sample_${i}[TT_INPUT_BYTES] = {\n${cArrayBody(s.image, cInt, 24)}\n};`;
  });
  const table = samples.map((s, i) => `  {${cInt(s.label)}, sample_${i}},`).join('\n');
  return `/* tt_samples.c - ${samples.length} embedded samples for the demo. */
#include "tt_samples.h"
#include "tt_model.h"

${arrays.join('\n\n')}

const tt_sample tt_samples[] = {
${table}
};
const int32_t tt_num_samples = ${samples.length};
`;
}

export function demoHeader(): string {
  return `/* tt_demo.h - the demo run shared by the host and MCU builds. */
#ifndef TT_DEMO_H
#define TT_DEMO_H

/* Trains TT_DEMO_STEPS steps on the embedded samples and evaluates them; returns 0 when every loss is finite. */
int tt_demo_run(void);

#endif /* TT_DEMO_H */
`;
}

export function demoSource(steps: number): string {
  return `/*
 * tt_demo.c - trains on the embedded samples and prints losses (exact float bits), the weight checksum and the
 * predictions. On a real board, replace the samples with camera frames and labels (see README.md).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tt_demo.h"
#include "tt_model.h"
#include "tt_samples.h"

#ifndef TT_DEMO_STEPS
#define TT_DEMO_STEPS ${steps}
#endif

/* Prints " loss 0x<bits> <decimal>"; the decimal uses integer arithmetic (no float printf needed). */
static int print_loss(float loss) {
  uint32_t bits;
  memcpy(&bits, &loss, sizeof bits);
  printf(" loss 0x%08" PRIx32, bits);
  if (!(loss >= 0.0f && loss < 100000.0f)) {
    printf(" (not finite or out of range)\\n");
    return 1;
  }
  int32_t t = (int32_t)(loss * 10000.0f + 0.5f);
  printf(" %" PRId32 ".%04" PRId32 "\\n", t / 10000, t % 10000);
  return 0;
}

int tt_demo_run(void) {
  int bad = 0;
  printf("tinytrain firmware: model %s, %d classes, board %s\\n", TT_MODEL_NAME, TT_NUM_CLASSES, TT_BOARD);
  printf("scheme %s\\n", TT_SCHEME);
  printf("experiment %s\\n", TT_EXPERIMENT);
  for (int32_t c = 0; c < TT_NUM_CLASSES; c++) printf("class %" PRId32 ": %s\\n", c, tt_class_labels[c]);
  /* the embedded weights as they are: their checksum and predictions equal the playground's */
  printf("initial weights fnv1a 0x%08" PRIx32 "\\n", tt_weights_checksum());
  for (int32_t i = 0; i < tt_num_samples; i++) {
    float loss;
    int32_t p = tt_infer(tt_samples[i].image, tt_samples[i].label, &loss);
    printf("before %" PRId32 " label %" PRId32 " predicted %" PRId32, i, tt_samples[i].label, p);
    bad |= print_loss(loss);
  }
  for (int32_t s = 0; s < TT_DEMO_STEPS; s++) {
    const tt_sample *x = &tt_samples[s % tt_num_samples];
    float loss = tt_train_step(x->image, x->label, TT_LEARNING_RATE);
    printf("train %" PRId32 " sample %" PRId32 " label %" PRId32, s, s % tt_num_samples, x->label);
    bad |= print_loss(loss);
  }
  printf("weights fnv1a 0x%08" PRIx32 "\\n", tt_weights_checksum());
  for (int32_t i = 0; i < tt_num_samples; i++) {
    float loss;
    int32_t p = tt_infer(tt_samples[i].image, tt_samples[i].label, &loss);
    printf("eval %" PRId32 " label %" PRId32 " predicted %" PRId32, i, tt_samples[i].label, p);
    bad |= print_loss(loss);
  }
  printf("done\\n");
  return bad;
}
`;
}

export function hostMain(): string {
  return `/* main_host.c - the demo on a desktop (make host): the same model code and kernels as the MCU build. */
#include "tt_demo.h"

int main(void) { return tt_demo_run(); }
`;
}
