/**
 * The TFLite op converters on a synthetic file written with the flatbuffers Builder: every supported op with
 * non-default options, plus the corner cases the real models lack (early TFLite Micro per-tensor weights with
 * quantized_dimension 3, fused TANH, INT16, dynamic shapes, bad per-channel counts, short buffers).
 */
import { describe, expect, it } from 'vitest';
import { readTflite } from './tflite';
import { ImportError, type OpDesc } from './types';
import { buildTflite, type SpecTensor, type TfliteSpec } from './testing-tflite-builder';

const I8 = 9;
const I32 = 2;
const q = (scale: number, zeroPoint: number) => ({ scale: [scale], zeroPoint: [zeroPoint] });

function spec(): TfliteSpec {
  const act = (shape: number[], name: string, s = 0.05, z = -128): SpecTensor => ({
    shape,
    type: I8,
    name,
    ...q(s, z),
  });
  const w = Int8Array.from({ length: 4 * 3 * 3 * 2 }, (_, i) => ((i * 37) % 255) - 127);
  return {
    tensors: [
      { ...act([1, 8, 8, 2], 'input', 0.1, -3), shapeSignature: [-1, 8, 8, 2] },
      { shape: [4, 3, 3, 2], type: I8, name: 'conv/w', data: w, ...q(0.02, 0), quantizedDimension: 3 },
      { shape: [4], type: I32, name: 'conv/b', data: Int32Array.from([5, -6, 7, -8]), ...q(0.002, 0) },
      act([1, 6, 6, 4], 'conv'),
      { shape: [4, 2], type: I32, name: 'paddings', data: Int32Array.from([0, 0, 1, 1, 1, 1, 0, 0]) },
      act([1, 8, 8, 4], 'pad'),
      act([1, 4, 4, 4], 'avgpool'),
      act([1, 2, 2, 4], 'maxpool'),
      act([1, 2, 2, 4], 'add', 0.1, 0),
      { shape: [2], type: I32, name: 'axes', data: Int32Array.from([1, 2]) },
      act([1, 4], 'mean', 0.1, 0),
      act([1, 4], 'relu', 0.1, 0),
      act([1, 4], 'requant', 0.2, 1),
      { shape: [1, 4], type: 0, name: 'output' },
    ],
    ops: [
      {
        code: 3,
        inputs: [0, 1, 2],
        outputs: [3],
        optionsType: 1,
        options: [
          [0, 'int8', 1],
          [1, 'int32', 1],
          [2, 'int32', 1],
          [3, 'int8', 3],
        ],
      },
      { code: 34, inputs: [3, 4], outputs: [5] },
      {
        code: 1,
        inputs: [5],
        outputs: [6],
        optionsType: 5,
        options: [
          [0, 'int8', 0],
          [1, 'int32', 2],
          [2, 'int32', 2],
          [3, 'int32', 2],
          [4, 'int32', 2],
        ],
      },
      {
        code: 17,
        inputs: [6],
        outputs: [7],
        optionsType: 5,
        options: [
          [0, 'int8', 1],
          [1, 'int32', 2],
          [2, 'int32', 2],
          [3, 'int32', 2],
          [4, 'int32', 2],
        ],
      },
      { code: 0, inputs: [7, 7], outputs: [8], optionsType: 11, options: [[0, 'int8', 1]] },
      { code: 40, inputs: [8, 9], outputs: [10], optionsType: 27, options: [[0, 'bool', 0]] },
      { code: 19, inputs: [10], outputs: [11] },
      { code: 114, inputs: [11], outputs: [12] },
      { code: 6, inputs: [12], outputs: [13] },
    ],
    inputs: [0],
    outputs: [13],
  };
}

function importError(s: TfliteSpec): ImportError {
  try {
    readTflite(buildTflite(s), 'synthetic.tflite');
  } catch (e) {
    if (e instanceof ImportError) return e;
    throw e;
  }
  throw new Error('imported');
}

describe('TFLite op converters', () => {
  it('reads every supported op with its typed options', () => {
    const d = readTflite(buildTflite(spec()), 'synthetic.tflite');
    const byKind = (k: OpDesc['kind']) => d.ops.find((o) => o.kind === k)!;
    expect(d.ops.map((o) => o.kind)).toEqual([
      'conv2d',
      'pad',
      'averagePool2d',
      'maxPool2d',
      'add',
      'mean',
      'relu',
      'quantize',
      'dequantize',
    ]);
    expect(byKind('conv2d').options).toEqual({
      stride: [1, 1],
      padding: { kind: 'valid' },
      dilation: [1, 1],
      activation: 'relu6',
      group: 1,
    });
    expect(byKind('pad').options).toEqual({
      paddings: [
        [0, 0],
        [1, 1],
        [1, 1],
        [0, 0],
      ],
    });
    expect(byKind('averagePool2d').options).toEqual({
      stride: [2, 2],
      padding: { kind: 'same' },
      filter: [2, 2],
      activation: 'none',
    });
    expect(byKind('maxPool2d').options).toMatchObject({ padding: { kind: 'valid' }, filter: [2, 2] });
    expect(byKind('add').options).toEqual({ activation: 'relu' });
    expect(byKind('add').inputs).toEqual([byKind('maxPool2d').outputs[0], byKind('maxPool2d').outputs[0]]);
    expect(byKind('mean').options).toEqual({ axes: [1, 2], keepDims: false });
    expect(d.dynamicBatch).toBe(true);
    // Early TFLite Micro: one scale with quantized_dimension 3 is per-tensor.
    const w = d.tensors.find((t) => t.name === 'conv/w')!;
    expect(w.quant).toEqual({ scale: [Math.fround(0.02)], zeroPoint: [0], axis: null });
    expect(Array.from(w.data!.slice(0, 3))).toEqual([-127, -90, -53]);
    expect(Array.from(d.tensors.find((t) => t.name === 'conv/b')!.data!)).toEqual([5, -6, 7, -8]);
    // Attribute operands are folded into options, not listed as tensors.
    expect(d.tensors.map((t) => t.name)).not.toContain('paddings');
    expect(d.tensors.map((t) => t.name)).not.toContain('axes');
    expect(d.tensors[d.outputs[0]].dtype).toBe('float32');
  });

  it('refuses a fused TANH naming it', () => {
    const s = spec();
    s.ops[0].options![3] = [3, 'int8', 4];
    const e = importError(s);
    expect([e.kind, e.message]).toEqual(['unsupported-op', expect.stringContaining('fused activation TANH')]);
  });

  it('refuses INT16 tensors, dynamic shapes, wrong per-channel counts and short buffers', () => {
    const int16 = spec();
    int16.tensors[0].type = 7;
    expect(importError(int16).message).toMatch(/tensor input is INT16; supported: INT8, INT32, FLOAT32/);
    const dynamic = spec();
    dynamic.tensors[0].shapeSignature = [1, -1, 8, 2];
    expect(importError(dynamic).kind).toBe('dynamic-shape');
    const channels = spec();
    Object.assign(channels.tensors[1], { scale: [0.1, 0.2, 0.3], zeroPoint: [0, 0, 0], quantizedDimension: 0 });
    expect(importError(channels).message).toContain('3 scales but dimension 0 of [4,3,3,2] is 4');
    const short = spec();
    short.tensors[1].data = new Int8Array(10);
    expect(importError(short).message).toContain('holds 10 bytes but its shape [4,3,3,2] needs 72');
  });
});
