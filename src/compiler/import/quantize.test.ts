/**
 * Post-training quantization on the fp32 MobileNet-style fixture (conv, depthwise, ReLU / ReLU6, max pool,
 * residual add, pad, average pool, global average pool, flatten, Gemm, softmax) with given ranges.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readOnnx } from './onnx';
import { activationQuant, quantizeModel, quantizeWeights, type Range } from './quantize';
import type { OpDesc } from './types';

const fp32 = () =>
  readOnnx(new Uint8Array(readFileSync(new URL('./fixtures/fp32_mobilenet.onnx', import.meta.url))), 'fp32.onnx');

describe('quantization', () => {
  it('maps a range to int8 with real zero exact', () => {
    const q = activationQuant({ min: -1, max: 3 });
    expect(q.scale[0]).toBeCloseTo(4 / 255, 7);
    expect(q.zeroPoint[0]).toBe(-64);
    expect(activationQuant({ min: 0.5, max: 6 })).toEqual({
      scale: [Math.fround(6 / 255)],
      zeroPoint: [-128],
      axis: null,
    });
  });

  it('quantizes weights per output channel, symmetric, max |q| = 127 in every non-zero channel', () => {
    const w = Float32Array.from([0.5, -1, 0.25, 0, 0, 0, 2, 1, -0.5]);
    const { data, quant } = quantizeWeights(w, [3, 3], 0);
    expect(Array.from(data)).toEqual([64, -127, 32, 0, 0, 0, 127, 64, -32]);
    expect(quant.scale.map((s) => s * 127)).toEqual([expect.closeTo(1, 6), 127, expect.closeTo(2, 6)]);
    expect(quant.zeroPoint).toEqual([0, 0, 0]);
    expect(quant.axis).toBe(0);
  });

  it('turns the fp32 fixture into an int8 description with fused ReLUs, int32 biases and float softmax', () => {
    const d = fp32();
    const ranges = (id: number): Range => {
      const reader = d.ops.find((o) => o.outputs.includes(id));
      return reader && (reader.kind === 'relu' || reader.kind === 'relu6') ? { min: 0, max: 4 } : { min: -2, max: 3 };
    };
    const q = quantizeModel(d, ranges);
    expect(q.quantStyle).toBe('int8-ops');
    expect(q.ops.map((o) => o.kind)).toEqual([
      'quantize',
      'conv2d',
      'depthwiseConv2d',
      'conv2d',
      'maxPool2d',
      'depthwiseConv2d',
      'conv2d',
      'add',
      'pad',
      'averagePool2d',
      'mean',
      'reshape',
      'fullyConnected',
      'dequantize',
      'softmax',
    ]);
    const acts = q.ops
      .filter((o) => 'activation' in o.options)
      .map((o) => (o.options as { activation: string }).activation);
    expect(acts).toEqual(['relu', 'relu6', 'relu', 'none', 'relu', 'none', 'none', 'none', 'none']);
    const conv = q.ops[1] as Extract<OpDesc, { kind: 'conv2d' }>;
    const [x, w, b] = conv.inputs.map((i) => q.tensors[i!]);
    expect(w.dtype).toBe('int8');
    expect(w.quant!.axis).toBe(0);
    expect(b.dtype).toBe('int32');
    expect(b.quant!.scale[3]).toBe(Math.fround(x.quant!.scale[0] * w.quant!.scale[3]));
    // The bias is the float bias at that scale.
    const fb = d.tensors.find((t) => t.name === b.name)!.data!;
    expect(b.data![3] * b.quant!.scale[3]).toBeCloseTo(fb[3], 4);
    // Fused ReLU outputs start at zero: zero point -128.
    expect(q.tensors[conv.outputs[0]].quant!.zeroPoint).toEqual([-128]);
    // Max pool shares its input's parameters.
    const mp = q.ops[4];
    expect(q.tensors[mp.outputs[0]].quant).toEqual(q.tensors[mp.inputs[0]!].quant);
    // Graph input stays float, graph output too (softmax after a dequantize).
    expect(q.tensors[q.inputs[0]].dtype).toBe('float32');
    expect(q.tensors[q.outputs[0]]).toMatchObject({ name: 'probs', dtype: 'float32' });
  });

  it('refuses a quantized model and an unfused ReLU in one line', () => {
    const d = fp32();
    expect(() => quantizeModel({ ...d, needsQuantization: false }, () => ({ min: 0, max: 1 }))).toThrow(
      /already quantized/,
    );
    const relu = d.ops.findIndex((o) => o.kind === 'relu');
    d.ops.splice(relu, 0, { ...d.ops[relu] }); // a ReLU with two readers of the conv output cannot fuse
    expect(() => quantizeModel(d, () => ({ min: 0, max: 1 }))).toThrow(/has no int8 form here/);
  });
});
