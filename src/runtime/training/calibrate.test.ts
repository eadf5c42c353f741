/**
 * Calibration + quantization end to end on the fp32 MobileNet-style fixture under onnxruntime-web: the int8
 * model (QLinearConv, QGemm, QLinearAdd, QLinearAveragePool, ...) runs and its probabilities follow the fp32
 * ones closely on held-out inputs (the fixture is untrained, so the check is closeness, not accuracy).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readOnnx } from '../../compiler/import/onnx';
import { quantizeModel } from '../../compiler/import/quantize';
import { writeOnnx } from '../../compiler/export/onnx-writer';
import * as ort from 'onnxruntime-web';
import { calibrate, runFloat } from './calibrate';

const FIXTURE = new URL('../../compiler/import/fixtures/fp32_mobilenet.onnx', import.meta.url);

function images(seed: number, count: number, n: number): Float32Array[] {
  let s = seed;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  return Array.from({ length: count }, () => Float32Array.from({ length: n }, next));
}

describe('calibrated quantization under onnxruntime-web', () => {
  it('gives int8 probabilities within a hundredth of the fp32 ones', async () => {
    const bytes = new Uint8Array(readFileSync(FIXTURE));
    const d = readOnnx(bytes, 'fp32_mobilenet.onnx');
    const shape = d.tensors[d.inputs[0]].shape;
    const n = shape.reduce((a, b) => a * b, 1);
    const range = await calibrate(ort, d, images(1, 50, n));
    const q = quantizeModel(d, range);
    const test = images(2, 30, n);
    const f = await runFloat(ort, bytes, test, shape);
    const i8 = await runFloat(ort, writeOnnx(q), test, shape);
    const diffs = f.flatMap((p, k) => Array.from(p, (v, j) => Math.abs(v - i8[k][j])));
    expect(Math.max(...diffs)).toBeLessThan(0.01);
    expect(Math.max(...diffs)).toBeGreaterThan(0); // it really is the int8 model
  });
});
