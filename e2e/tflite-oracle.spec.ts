/**
 * The TFLite oracle from a spec: the TFLite web runtime (served from node_modules, no network) runs TFLite
 * Micro's hello_world model and our re-export of it on the same int8 inputs and gives identical int8 outputs;
 * our every-op export loads and runs too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { readTflite } from '../src/compiler/import/tflite';
import { writeTflite } from '../src/compiler/export/tflite-writer';
import { tfliteEveryOp } from '../src/compiler/export/testing-descriptions';
import { compareInt8, seededInt8Inputs } from '../scripts/oracles/compare';
import { openTflitePage, runTfliteInPage } from '../scripts/oracles/tflite-oracle';

const MODEL = new URL('../../shared/models/hello_world_int8.tflite', import.meta.url);

test('the TFLite web runtime gives our re-export the same int8 outputs as the original', async ({ page }) => {
  test.skip(!existsSync(MODEL), 'the shared TFLite Micro models are absent');
  const original = new Uint8Array(readFileSync(MODEL));
  const inputs = seededInt8Inputs(5, 20, 1);
  await openTflitePage(page);
  const a = await runTfliteInPage(page, original, inputs);
  const b = await runTfliteInPage(page, writeTflite(readTflite(original, 'hello_world_int8.tflite')), inputs);
  expect(a.inputType).toBe('int8');
  const ours = b.results.map((r) => r[0].values);
  const theirs = a.results.map((r) => r[0].values);
  expect(compareInt8(ours, theirs)).toMatchObject({ fractionIdentical: 1, maxLsbDiff: 0 });
  expect(new Set(theirs.map((v) => v[0])).size).toBeGreaterThan(3);
});

test('the TFLite web runtime runs our every-op export (conv, depthwise, pools, pad, mean, fc, softmax)', async ({
  page,
}) => {
  await openTflitePage(page);
  const run = await runTfliteInPage(page, writeTflite(tfliteEveryOp()), [new Array(9 * 9 * 2).fill(0.5)]);
  const probs = run.results[0][0].values;
  expect(run.results[0][0].shape).toEqual([1, 3]);
  expect(probs.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 1);
});

const q = (scale: number[]) => ({ scale, zeroPoint: scale.map(() => 0), axis: scale.length > 1 ? 0 : null });

/** int8 x [1, 1] -> fully connected by weights 1 (scale 1, per-tensor or per-channel) -> y at scale 2: x / 2. */
function halving(outputs: number): Uint8Array {
  const ones = new Array(outputs).fill(1);
  return writeTflite({
    format: 'tflite',
    quantStyle: 'int8-ops',
    needsQuantization: false,
    layout: 'NHWC',
    tensors: [
      { id: 0, name: 'x', shape: [1, 1], dtype: 'int8', quant: q([1]), data: null },
      { id: 1, name: 'w', shape: [outputs, 1], dtype: 'int8', quant: q(ones), data: Int8Array.from(ones) },
      { id: 2, name: 'y', shape: [1, outputs], dtype: 'int8', quant: q([2]), data: null },
    ],
    ops: [
      {
        kind: 'fullyConnected',
        sourceOp: 'FULLY_CONNECTED',
        name: '#0',
        inputs: [0, 1, null],
        outputs: [2],
        options: { activation: 'none' },
      },
    ],
    inputs: [0],
    outputs: [2],
    dynamicBatch: false,
    producer: 'test',
  });
}
const TIES = [[1], [3], [5], [-1], [-3], [-5]];

// Measured: the web runtime hands int8 FULLY_CONNECTED with per-tensor weights to its XNNPACK delegate, which
// requantizes in float and rounds ties to even; with per-channel weights its builtin kernel runs, whose
// fixed-point requantization rounds these ties up (toward +infinity: -0.5 -> 0, -2.5 -> -2).
test('the TFLite web runtime rounds requantization ties to even in XNNPACK, up in its builtin FC', async ({ page }) => {
  await openTflitePage(page);
  const xnn = await runTfliteInPage(page, halving(1), TIES);
  expect(xnn.results.map((r) => r[0].values[0])).toEqual([0, 2, 2, 0, -2, -2]);
  expect(xnn.kernels).toEqual(['TfLiteXNNPackDelegate:[y]']);
  const builtin = await runTfliteInPage(page, halving(2), TIES);
  expect(builtin.results.map((r) => r[0].values[0])).toEqual([1, 2, 3, 0, -1, -2]);
  expect(builtin.kernels).toEqual(['FULLY_CONNECTED:[y]']);
});
