import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeModelFile, ImportError } from './index';

const MODELS = fileURLToPath(new URL('../../../../shared/models/', import.meta.url));
const haveModels = existsSync(MODELS);
if (!haveModels) console.warn(`skipping model summary tests: ${MODELS} is absent`);
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));

describe('describeModelFile', () => {
  it.runIf(haveModels)('summarises micro_speech: ops histogram, params, shapes, quantization', () => {
    const s = describeModelFile(new Uint8Array(readFileSync(MODELS + 'micro_speech_quantized.tflite')), 'ms.tflite');
    expect(s.ops).toEqual({ RESHAPE: 1, DEPTHWISE_CONV_2D: 1, FULLY_CONNECTED: 1, SOFTMAX: 1 });
    // weights 640 + 16000 int8, biases 8 + 4 int32
    expect(s.params).toBe(640 + 16000 + 8 + 4);
    expect(s.paramBytes).toBe(640 + 16000 + 4 * 12);
    expect(s.inputs).toEqual([
      { name: 'Reshape_1', shape: [1, 1960], dtype: 'int8', quant: expect.stringContaining('zero point -128') },
    ]);
    expect(s.outputs[0].shape).toEqual([1, 4]);
    expect([s.perChannelWeights, s.weightTensors]).toEqual([1, 2]);
    expect(s.lines[0]).toBe('ms.tflite: TFLite int8 model');
    expect(s.lines).toContain('ops: RESHAPE x1, DEPTHWISE_CONV_2D x1, FULLY_CONNECTED x1, SOFTMAX x1');
    expect(s.lines).toContain('params: 16,652 (16,688 bytes)');
  });

  it('summarises an fp32 ONNX model as needing quantization', () => {
    const s = describeModelFile(fixture('fp32_mobilenet.onnx'), 'net.onnx');
    expect(s.needsQuantization).toBe(true);
    expect(s.ops.Conv).toBe(5);
    // conv0 8*9+8, dw1 8*9+8, pw1 16*8+16, dw2 16*9+16, pw2 16*16+16, pads 8 (int64, folded: not a param), fc 160+10
    expect(s.params).toBe(80 + 80 + 144 + 160 + 272 + 170);
    expect(s.lines[0]).toContain('will be quantized');
    expect(s.inputs[0].shape).toEqual([1, 1, 28, 28]);
  });

  it('throws the importer error for a file it cannot read', () => {
    expect(() => describeModelFile(new TextEncoder().encode('hello'), 'x.bin')).toThrow(ImportError);
    expect(() => describeModelFile(new TextEncoder().encode('hello'), 'x.bin')).toThrow(/not a TFLite or ONNX model/);
  });
});
