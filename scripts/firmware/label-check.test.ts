/**
 * The generated firmware's label guard: tt_train_step with a label outside [0, TT_NUM_CLASSES) returns
 * TT_LABEL_ERROR and changes nothing (weights checksum, the next valid step's loss bits), tt_infer returns -1.
 * Builds the small CNN bundle's model and kernels with the host compiler (-Wall -Wextra -Werror) and a test main.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CASES } from './cases';
import { prepare, run } from './harness';

const MAIN = `#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "tt_model.h"

/* Two identical valid steps, with bad labels between them in run A only: every print must match. */
static void steps(int bad) {
  static int8_t image[TT_INPUT_BYTES];
  for (int32_t i = 0; i < TT_INPUT_BYTES; i++) image[i] = (int8_t)(i * 37);
  float a = tt_train_step(image, 1, TT_LEARNING_RATE);
  uint32_t bits;
  memcpy(&bits, &a, 4);
  printf("step1 %08" PRIx32 " %08" PRIx32 "\\n", bits, tt_weights_checksum());
  if (bad) {
    const int32_t labels[] = {-1, TT_NUM_CLASSES, TT_NUM_CLASSES + 1, INT32_MIN, INT32_MAX};
    for (int i = 0; i < 5; i++) {
      float l = tt_train_step(image, labels[i], TT_LEARNING_RATE);
      float il = 0.0f;
      int32_t p = tt_infer(image, labels[i], &il);
      printf("bad %" PRId32 " train %s infer %" PRId32 " %s\\n", labels[i], l == TT_LABEL_ERROR ? "error" : "ran", p,
             il == TT_LABEL_ERROR ? "error" : "ran");
    }
  }
  float b = tt_train_step(image, 2, TT_LEARNING_RATE);
  memcpy(&bits, &b, 4);
  printf("step2 %08" PRIx32 " %08" PRIx32 "\\n", bits, tt_weights_checksum());
}

int main(int argc, char **argv) {
  (void)argv;
  steps(argc > 1);
  return 0;
}
`;

const dir = mkdtempSync(join(tmpdir(), 'tt-label-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('generated firmware: label guard', () => {
  it('a label out of range returns TT_LABEL_ERROR / -1 and changes no weight', async () => {
    prepare(CASES[0], dir);
    writeFileSync(join(dir, 'label_main.c'), MAIN);
    const flags = ['-std=c11', '-O1', '-Wall', '-Wextra', '-Werror', '-ffp-contract=off', '-fno-fast-math'];
    const inc = ['-Ikernels/include', '-Imodel', '-Iapp'];
    const srcs = await run('sh', ['-c', 'ls model/*.c kernels/src/*.c'], dir);
    expect(srcs.ok, srcs.stderr).toBe(true);
    const build = await run(
      'gcc',
      [...flags, ...inc, '-o', 'label', 'label_main.c', ...srcs.stdout.split(/\s+/).filter(Boolean), '-lm'],
      dir,
    );
    expect(build.ok, build.stderr).toBe(true);
    const clean = await run(join(dir, 'label'), [], dir);
    const dirty = await run(join(dir, 'label'), ['bad'], dir);
    expect(clean.ok && dirty.ok).toBe(true);
    const bad = dirty.stdout.split('\n').filter((l) => l.startsWith('bad '));
    expect(bad).toEqual(
      ['-1', '4', '5', '-2147483648', '2147483647'].map((l) => `bad ${l} train error infer -1 error`),
    );
    // the valid steps around the refused ones give the same loss bits and weights as without them
    const valid = (out: string) => out.split('\n').filter((l) => l.startsWith('step'));
    expect(valid(dirty.stdout)).toEqual(valid(clean.stdout));
    expect(valid(clean.stdout)).toHaveLength(2);
    expect(valid(clean.stdout)[0].split(' ')[2]).not.toBe(valid(clean.stdout)[1].split(' ')[2]);
  }, 300_000);
});
