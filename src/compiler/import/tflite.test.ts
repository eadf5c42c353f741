/**
 * The TFLite reader on TensorFlow Lite Micro's real models (../shared/models). Expected numbers were read with
 * an independent tool (Debian's flatc 2.0.8, `flatc --json --raw-binary` with the schema's tables) and by
 * summing the buffers it printed; scales are compared at float32 precision to flatc's 6 printed digits.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readTflite } from './tflite';
import { importModel, ImportError, type ModelDescription, type TensorDesc } from './index';

const MODELS = fileURLToPath(new URL('../../../../shared/models/', import.meta.url));
const haveModels = existsSync(MODELS);
if (!haveModels) console.warn(`skipping TFLite model tests: ${MODELS} is absent`);
const load = (name: string) => new Uint8Array(readFileSync(MODELS + name));

const sum = (t: TensorDesc) => Array.from(t.data!).reduce((a, b) => a + b, 0);
const byName = (d: ModelDescription, name: string) => d.tensors.find((t) => t.name === name)!;

function importError(f: () => unknown): ImportError {
  try {
    f();
  } catch (e) {
    if (e instanceof ImportError) return e;
    throw e;
  }
  throw new Error('expected an ImportError');
}

describe.runIf(haveModels)('TFLite reader on TFLite Micro models', () => {
  it('reads hello_world_int8: three fully connected layers with their quantization', () => {
    const d = readTflite(load('hello_world_int8.tflite'), 'hello_world_int8.tflite');
    expect(d.ops.map((o) => [o.kind, o.options])).toEqual([
      ['fullyConnected', { activation: 'relu' }],
      ['fullyConnected', { activation: 'relu' }],
      ['fullyConnected', { activation: 'none' }],
    ]);
    expect(d.quantStyle).toBe('int8-ops');
    expect(d.dynamicBatch).toBe(true); // shape_signature [-1, 1]
    const input = d.tensors[d.inputs[0]];
    expect(input.shape).toEqual([1, 1]);
    expect(input.dtype).toBe('int8');
    expect(input.quant!.scale[0]).toBeCloseTo(0.02448, 5);
    expect(input.quant!.zeroPoint).toEqual([-128]);
    const output = d.tensors[d.outputs[0]];
    expect(output.quant!.zeroPoint).toEqual([5]);
    expect(output.quant!.scale[0]).toBeCloseTo(0.008291, 6);
    const w0 = byName(d, 'sequential/dense/MatMul');
    expect(w0.shape).toEqual([16, 1]);
    expect(sum(w0)).toBe(838);
    expect(sum(byName(d, 'sequential/dense_1/MatMul'))).toBe(-171);
    expect(Array.from(byName(d, 'sequential/dense_2/BiasAdd/ReadVariableOp').data!)).toEqual([429]);
    const b0 = byName(d, 'sequential/dense/BiasAdd/ReadVariableOp');
    expect(b0.dtype).toBe('int32');
    expect(sum(b0)).toBe(-29019);
    // Each op reads [input, weights, bias] and every op input is defined before use.
    d.ops.forEach((o, i) => {
      expect(o.inputs).toHaveLength(3);
      if (i > 0) expect(o.inputs[0]).toBe(d.ops[i - 1].outputs[0]);
    });
  });

  it('reads micro_speech_quantized: reshape, per-channel depthwise conv, fully connected, softmax', () => {
    const d = readTflite(load('micro_speech_quantized.tflite'), 'micro_speech_quantized.tflite');
    expect(d.ops.map((o) => o.sourceOp)).toEqual(['RESHAPE', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'SOFTMAX']);
    const [reshape, dw, fc, softmax] = d.ops;
    expect(reshape.options).toEqual({ newShape: [-1, 49, 40, 1] });
    expect(dw.options).toEqual({
      stride: [2, 2],
      padding: { kind: 'same' },
      dilation: [1, 1],
      activation: 'relu',
      depthMultiplier: 8,
    });
    expect(softmax.options).toEqual({ beta: 1, axis: -1 });
    expect(d.tensors[d.inputs[0]].shape).toEqual([1, 1960]);
    expect(d.tensors[reshape.outputs[0]].shape).toEqual([1, 49, 40, 1]);
    expect(d.tensors[dw.outputs[0]].shape).toEqual([1, 25, 20, 8]);
    const w = d.tensors[dw.inputs[1]!];
    expect(w.shape).toEqual([1, 10, 8, 8]);
    expect(w.quant!.axis).toBe(3);
    expect(w.quant!.scale).toHaveLength(8);
    expect(w.quant!.scale[0]).toBeCloseTo(0.000622, 6);
    expect(w.quant!.scale[6]).toBeCloseTo(0.000808, 6);
    expect(sum(w)).toBe(-4040);
    const bias = d.tensors[dw.inputs[2]!];
    expect(bias.quant!.axis).toBe(0);
    expect(sum(bias)).toBe(-1852);
    const fw = d.tensors[fc.inputs[1]!];
    expect(fw.shape).toEqual([4, 4000]);
    expect(sum(fw)).toBe(-648);
    expect(Array.from(d.tensors[fc.inputs[2]!].data!)).toEqual([427, -518, -94, 186]);
    const out = d.tensors[d.outputs[0]];
    expect(out.quant).toEqual({ scale: [1 / 256], zeroPoint: [-128], axis: null });
    // The reshape's shape operand is folded into its options, not listed as a tensor.
    expect(d.tensors.find((t) => t.name === 'Reshape_2/shape')).toBeUndefined();
  });

  it('refuses keyword_scrambled_8bit naming SVDF, the operator and the supported list', () => {
    const e = importError(() => importModel(load('keyword_scrambled_8bit.tflite'), 'keyword_scrambled_8bit.tflite'));
    expect(e.kind).toBe('unsupported-op');
    expect(e.message).toContain('SVDF');
    expect(e.message).toContain('operator #1');
    expect(e.message).toContain('DEPTHWISE_CONV_2D');
    expect(e.message).not.toContain('\n');
  });

  it('refuses a wrong file identifier and truncated files with their own messages', () => {
    const bytes = load('micro_speech_quantized.tflite');
    const wrong = bytes.slice();
    wrong.set([0x58, 0x58, 0x58, 0x58], 4);
    const e = importError(() => importModel(wrong, 'wrong.tflite'));
    expect(e.kind).toBe('not-a-model');
    expect(e.message).toContain('TFL3');
    for (const cut of [12, 100, 2000, bytes.length >> 1, bytes.length - 200]) {
      const t = importError(() => importModel(bytes.slice(0, cut), 'cut.tflite'));
      expect(t.kind, `cut at ${cut}`).toBe('truncated');
    }
  });
});

describe('TFLite reader input checks', () => {
  it('refuses a file over 50 MB before parsing it', () => {
    const big = new Uint8Array(50 * 1024 * 1024 + 1);
    big.set([0x54, 0x46, 0x4c, 0x33], 4);
    const e = importError(() => importModel(big, 'big.tflite'));
    expect(e.kind).toBe('too-large');
    expect(e.message).toContain('50 MB');
  });

  it('refuses bytes that are neither TFLite nor ONNX', () => {
    const junk = new TextEncoder().encode('<html><body>not a model</body></html>');
    expect(importError(() => importModel(junk, 'page.html')).kind).toBe('not-a-model');
    expect(importError(() => importModel(new Uint8Array(0), 'empty.tflite')).kind).toBe('not-a-model');
  });
});
