/**
 * The TFLite writer against our own reader: read(write(d)) gives d back for TFLite Micro's real models and a
 * synthetic model with every op; explicit padding that TFLite cannot say becomes a PAD op; NCHW is refused.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readTflite } from '../import/tflite';
import { checkDescription } from '../import/check';
import { readOnnx } from '../import/onnx';
import type { ModelDescription, OpDesc } from '../import/types';
import { roundTripView } from './round-trip';
import { tfliteEveryOp } from './testing-descriptions';
import { TFLITE_DESCRIPTION, writeTflite } from './tflite-writer';

const MODELS = fileURLToPath(new URL('../../../../shared/models/', import.meta.url));
const haveModels = existsSync(MODELS);
const FIXTURES = fileURLToPath(new URL('../import/fixtures/', import.meta.url));

describe('TFLite writer', () => {
  it.runIf(haveModels).each(['micro_speech_quantized.tflite', 'hello_world_int8.tflite'])(
    'read(write(d)) is d for %s',
    (file) => {
      const d = readTflite(new Uint8Array(readFileSync(MODELS + file)), file);
      const bytes = writeTflite(d);
      const back = readTflite(bytes, 'exported.tflite');
      expect(roundTripView(back)).toEqual(roundTripView(d));
      expect(back.producer).toBe(TFLITE_DESCRIPTION);
      expect(back.dynamicBatch).toBe(d.dynamicBatch);
      // Writing the re-read description gives the very same bytes: the writer is deterministic.
      expect(writeTflite(back)).toEqual(bytes);
    },
  );

  it('round-trips every op kind with non-default options, per-channel weights and fused activations', () => {
    const d = tfliteEveryOp();
    expect(checkDescription(d)).toEqual([]);
    const back = readTflite(writeTflite(d), 'every-op.tflite');
    expect(roundTripView(back)).toEqual(roundTripView(d));
    expect(back.ops.map((o) => o.sourceOp)).toEqual(d.ops.map((o) => o.sourceOp));
  });

  it('writes builtin_code and deprecated_builtin_code, 16-byte aligned buffers and the TFL3 identifier', () => {
    const bytes = writeTflite(tfliteEveryOp());
    expect(String.fromCharCode(...bytes.subarray(4, 8))).toBe('TFL3');
    const d = readTflite(bytes, 'x.tflite');
    expect(d.ops.some((o) => o.sourceOp === 'QUANTIZE')).toBe(true); // code 114 read back through builtin_code
  });

  it('puts a PAD op (in the zero point) before a convolution whose explicit padding is not SAME or VALID', () => {
    const d = tfliteEveryOp();
    const conv = d.ops[1] as Extract<OpDesc, { kind: 'conv2d' }>;
    // 9x9 input, 3x3 kernel, stride 2: SAME pads 1/1; top/left 2, bottom/right 0 is something else.
    conv.options.padding = { kind: 'explicit', top: 2, left: 2, bottom: 0, right: 0 };
    const back = readTflite(writeTflite(d), 'padded.tflite');
    expect(back.ops.map((o) => o.kind).slice(0, 3)).toEqual(['quantize', 'pad', 'conv2d']);
    const pad = back.ops[1] as Extract<OpDesc, { kind: 'pad' }>;
    expect(pad.options.paddings).toEqual([
      [0, 0],
      [2, 0],
      [2, 0],
      [0, 0],
    ]);
    expect(back.tensors[pad.outputs[0]].quant).toEqual(back.tensors[pad.inputs[0]!].quant);
    const c = back.ops[2] as Extract<OpDesc, { kind: 'conv2d' }>;
    expect(c.options.padding).toEqual({ kind: 'valid' });
    expect(c.inputs[0]).toBe(pad.outputs[0]);
    // Explicit padding equal to SAME is written as SAME, with no PAD.
    conv.options.padding = { kind: 'explicit', top: 1, left: 1, bottom: 1, right: 1 };
    const same = readTflite(writeTflite(d), 'same.tflite');
    expect(same.ops[1].kind).toBe('conv2d');
    expect((same.ops[1] as typeof conv).options.padding).toEqual({ kind: 'same' });
  });

  it('refuses an NCHW description and a pool whose padding TFLite cannot say, in one line', () => {
    const onnx = readOnnx(new Uint8Array(readFileSync(FIXTURES + 'qoperator_conv.onnx')), 'q.onnx');
    expect(() => writeTflite(onnx)).toThrow(/NCHW description cannot be written as TFLite/);
    const d: ModelDescription = tfliteEveryOp();
    const pool = d.ops.find((o) => o.kind === 'averagePool2d')!;
    (pool.options as { padding: unknown }).padding = { kind: 'explicit', top: 1, left: 0, bottom: 0, right: 0 };
    expect(() => writeTflite(d)).toThrow(/op #4: a pool with explicit padding .* has no TFLite form/);
  });
});
