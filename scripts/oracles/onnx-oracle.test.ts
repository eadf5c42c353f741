/**
 * The ONNX oracle (onnxruntime-web in Node): our int8 input convention survives the model's QuantizeLinear and
 * the int8 output is read back exactly; every readable fixture, written again by our ONNX writer, gives
 * onnxruntime-web the very same outputs as the original file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readOnnx } from '../../src/compiler/import/onnx';
import type { ModelDescription } from '../../src/compiler/import/types';
import { writeOnnx } from '../../src/compiler/export/onnx-writer';
import { runOnnx } from './onnx-oracle';
import { compareInt8, seededInt8Inputs } from './compare';

const FIXTURES = fileURLToPath(new URL('../../src/compiler/import/fixtures/', import.meta.url));
const readable = readdirSync(FIXTURES).filter((f) => f.endsWith('.onnx') && !f.startsWith('refuse_'));

/** float x [1, 6] -> QuantizeLinear -> DequantizeLinear -> y: the int8 values come back unchanged. */
function identity(): ModelDescription {
  const quant = { scale: [Math.fround(0.037)], zeroPoint: [-7], axis: null };
  const t = (id: number, name: string, dtype: 'int8' | 'float32', q: typeof quant | null) => ({
    id,
    name,
    shape: [1, 6],
    dtype,
    quant: q,
    data: null,
  });
  return {
    format: 'onnx',
    quantStyle: 'qdq',
    needsQuantization: false,
    layout: 'NCHW',
    tensors: [t(0, 'x', 'float32', null), t(1, 'xq', 'int8', quant), t(2, 'y', 'float32', null)],
    ops: [
      { kind: 'quantize', sourceOp: 'QuantizeLinear', name: 'q', inputs: [0], outputs: [1], options: {} },
      { kind: 'dequantize', sourceOp: 'DequantizeLinear', name: 'dq', inputs: [1], outputs: [2], options: {} },
    ],
    inputs: [0],
    outputs: [2],
    dynamicBatch: false,
    producer: 'test',
  };
}

describe('ONNX oracle', () => {
  it('passes int8 inputs through QuantizeLinear and reads int8 outputs back exactly', async () => {
    const inputs = seededInt8Inputs(3, 20, 6);
    const run = await runOnnx(writeOnnx(identity()), inputs);
    expect(run.inputQuant!.zeroPoint).toEqual([-7]);
    expect(run.results.map((r) => r.int8)).toEqual(inputs.map((x) => Array.from(x)));
    expect(run.results[0].float[0]).toBeCloseTo(0.037 * (inputs[0][0] + 7), 5);
  });

  it('runs an int8 Clip written for a fused ReLU6: it clamps, so outputs change against no activation', async () => {
    const file = 'qoperator_conv.onnx';
    const d = readOnnx(new Uint8Array(readFileSync(FIXTURES + file)), file);
    const conv = d.ops.find((o) => o.kind === 'conv2d')!;
    d.tensors[conv.outputs[0]].quant = { scale: [Math.fround(0.002)], zeroPoint: [3], axis: null };
    const inputs = seededInt8Inputs(
      13,
      10,
      d.tensors[d.inputs[0]].shape.reduce((a, b) => a * b, 1),
    );
    const plain = await runOnnx(writeOnnx(d), inputs);
    (conv.options as { activation: string }).activation = 'relu6';
    const clipped = await runOnnx(writeOnnx(d), inputs);
    expect(clipped.results.map((r) => r.int8)).not.toEqual(plain.results.map((r) => r.int8));
  });

  it.each(readable)('runs %s, and our re-written file gives identical outputs', async (file) => {
    const bytes = new Uint8Array(readFileSync(FIXTURES + file));
    const d = readOnnx(bytes, file);
    const n = d.tensors[d.inputs[0]].shape.reduce((a, b) => a * b, 1);
    const inputs = seededInt8Inputs(11, 10, n);
    const original = await runOnnx(bytes, inputs, file);
    const rewritten = await runOnnx(writeOnnx(d), inputs, file);
    expect(rewritten.results.map((r) => r.float)).toEqual(original.results.map((r) => r.float));
    if (original.results[0].int8) {
      const agreement = compareInt8(
        rewritten.results.map((r) => r.int8!),
        original.results.map((r) => r.int8!),
      );
      expect(agreement.fractionIdentical).toBe(1);
      // Seeded inputs drive the outputs: not every sample gives the same answer.
      expect(new Set(original.results.map((r) => r.int8!.join(','))).size).toBeGreaterThan(1);
    }
  });
});
