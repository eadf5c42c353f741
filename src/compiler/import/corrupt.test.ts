/**
 * Corrupt files: random byte overwrites in real models and fixtures must end in an ImportError with a one-line
 * message or in a sound description, never in another exception (a TypeError from a bad offset, say).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkDescription } from './check';
import { importModel, ImportError } from './index';

const MODELS = fileURLToPath(new URL('../../../../shared/models/', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const FILES = [
  ...(existsSync(MODELS) ? [MODELS + 'hello_world_int8.tflite', MODELS + 'micro_speech_quantized.tflite'] : []),
  FIXTURES + 'qoperator_conv.onnx',
  FIXTURES + 'qdq_conv.onnx',
  FIXTURES + 'fp32_mobilenet.onnx',
];

describe('corrupt model files', () => {
  it.each(FILES)('%s: 300 corrupted copies each fail cleanly or import soundly', (file) => {
    const original = new Uint8Array(readFileSync(file));
    let seed = 2026;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const outcomes: Record<string, number> = {};
    for (let k = 0; k < 300; k++) {
      const bytes = original.slice();
      for (let j = 0; j < 1 + Math.floor(rnd() * 4); j++) bytes[Math.floor(rnd() * bytes.length)] = rnd() * 256;
      try {
        expect(checkDescription(importModel(bytes, 'corrupt'))).toEqual([]);
        outcomes.ok = (outcomes.ok ?? 0) + 1;
      } catch (e) {
        if (!(e instanceof ImportError)) throw e;
        expect(e.message).not.toMatch(/[\n\r]/);
        outcomes[e.kind] = (outcomes[e.kind] ?? 0) + 1;
      }
    }
    // Most corruptions are detected (a flipped weight byte is still a valid model).
    expect(Object.keys(outcomes).length).toBeGreaterThan(2);
  });
});
