/**
 * How onnxruntime-web 1.30 rounds ties when it requantizes, measured (the requantization mode of the plan must
 * match it for bit-identical inference): QuantizeLinear, QLinearMatMul and com.microsoft QGemm on inputs whose
 * exact results are k + 0.5.
 */
import { describe, expect, it } from 'vitest';
import type { ModelDescription } from '../../src/compiler/import/types';
import { writeOnnx } from '../../src/compiler/export/onnx-writer';
import { runOnnx, runOnnxFloat } from './onnx-oracle';

const q = (scale: number) => ({ scale: [scale], zeroPoint: [0], axis: null });

/** int8 x [1, 1] (scale 1) -> fully connected by weight 1 (scale 1) -> int8 y at scale 2: y = x / 2 exactly. */
function halving(weightName: string): ModelDescription {
  return {
    format: 'onnx',
    quantStyle: 'int8-ops',
    needsQuantization: false,
    layout: 'NCHW',
    tensors: [
      { id: 0, name: 'x', shape: [1, 1], dtype: 'int8', quant: q(1), data: null },
      { id: 1, name: weightName, shape: [1, 1], dtype: 'int8', quant: q(1), data: Int8Array.of(1) },
      { id: 2, name: 'y', shape: [1, 1], dtype: 'int8', quant: q(2), data: null },
    ],
    ops: [
      {
        kind: 'fullyConnected',
        sourceOp: '',
        name: 'fc',
        inputs: [0, 1, null],
        outputs: [2],
        options: { activation: 'none' },
      },
    ],
    inputs: [0],
    outputs: [2],
    dynamicBatch: false,
    producer: 'test',
  };
}

const TIES = [1, 3, 5, -1, -3, -5];
const HALF_EVEN = [0, 2, 2, 0, -2, -2];

describe('onnxruntime-web tie rounding', () => {
  it('QuantizeLinear rounds half to even', async () => {
    const d: ModelDescription = {
      ...halving('unused'),
      tensors: [
        { id: 0, name: 'x', shape: [1, 6], dtype: 'float32', quant: null, data: null },
        { id: 1, name: 'y', shape: [1, 6], dtype: 'int8', quant: q(1), data: null },
      ],
      ops: [{ kind: 'quantize', sourceOp: 'QuantizeLinear', name: 'q', inputs: [0], outputs: [1], options: {} }],
      inputs: [0],
      outputs: [1],
    };
    const [y] = await runOnnxFloat(writeOnnx(d), [Float32Array.from(TIES, (v) => v / 2)], [1, 6]);
    expect(Array.from(y)).toEqual(HALF_EVEN);
  });

  it.each([
    ['QLinearMatMul', 'w^T'],
    ['QGemm', 'w'],
  ])('%s rounds half to even', async (_op, name) => {
    const run = await runOnnx(
      writeOnnx(halving(name)),
      TIES.map((v) => [v]),
    );
    expect(run.results.map((r) => r.int8![0])).toEqual(HALF_EVEN);
  });
});
