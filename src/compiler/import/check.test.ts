import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkDescription, resolvePadding } from './check';
import { importModel, ImportError, type ModelDescription } from './index';
import { buildTflite } from './testing-tflite-builder';

const MODELS = fileURLToPath(new URL('../../../../shared/models/', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

function loadAll(): [string, ModelDescription][] {
  const files = [
    ...(existsSync(MODELS) ? readdirSync(MODELS).map((f) => MODELS + f) : []),
    ...readdirSync(FIXTURES).map((f) => FIXTURES + f),
  ].filter((f) => /\.(tflite|onnx)$/.test(f));
  const out: [string, ModelDescription][] = [];
  for (const f of files) {
    try {
      out.push([f, importModel(new Uint8Array(readFileSync(f)), f)]);
    } catch (e) {
      if (!(e instanceof ImportError)) throw e;
    }
  }
  return out;
}

describe('resolvePadding', () => {
  it("puts SAME's odd pixel at the bottom / right (TFLite, SAME_UPPER) or top / left (SAME_LOWER)", () => {
    expect(resolvePadding({ kind: 'same' }, 0, 8, 3, 2)).toEqual({ before: 0, after: 1, out: 4 });
    expect(resolvePadding({ kind: 'same-lower' }, 0, 8, 3, 2)).toEqual({ before: 1, after: 0, out: 4 });
    expect(resolvePadding({ kind: 'same' }, 0, 7, 3, 2)).toEqual({ before: 1, after: 1, out: 4 });
    // micro_speech's depthwise conv: 49x40 input, 10x8 kernel, stride 2 -> 25x20
    expect(resolvePadding({ kind: 'same' }, 0, 49, 10, 2)).toEqual({ before: 4, after: 5, out: 25 });
    expect(resolvePadding({ kind: 'same' }, 1, 40, 8, 2)).toEqual({ before: 3, after: 3, out: 20 });
    expect(resolvePadding({ kind: 'valid' }, 1, 8, 3, 1)).toEqual({ before: 0, after: 0, out: 6 });
    const explicit = { kind: 'explicit', top: 1, left: 2, bottom: 0, right: 2 } as const;
    expect(resolvePadding(explicit, 1, 5, 3, 2, 2)).toEqual({ before: 2, after: 2, out: 3 });
    expect(resolvePadding({ kind: 'same' }, 0, 1, 1, 1)).toEqual({ before: 0, after: 0, out: 1 });
  });
});

describe('checkDescription', () => {
  it('finds no problem in any model the readers accept', () => {
    const all = loadAll();
    expect(all.length).toBeGreaterThanOrEqual(3);
    for (const [f, d] of all) expect(checkDescription(d), f).toEqual([]);
  });

  it('reports a read before write and a bad per-channel count', () => {
    const [, d] = loadAll().find(([f]) => f.endsWith('qoperator_conv.onnx'))!;
    const broken: ModelDescription = { ...d, ops: [...d.ops].reverse() };
    expect(checkDescription(broken).join('\n')).toMatch(/reads tensor \d+ before it is written/);
    const w = d.tensors.find((t) => t.quant?.axis === 0)!;
    w.quant!.scale.push(1);
    expect(checkDescription(d).join('\n')).toContain(`tensor ${w.name} per-channel count`);
  });

  it('refuses a TFLite file whose stored conv output size contradicts its padding', () => {
    const t = (shape: number[], name: string) => ({ shape, type: 9, name, scale: [0.1], zeroPoint: [0] });
    const spec = {
      tensors: [
        t([1, 8, 8, 1], 'x'),
        { ...t([2, 3, 3, 1], 'w'), data: new Int8Array(18) },
        t([1, 8, 8, 2], 'y'), // SAME stride 2 gives 4x4
      ],
      ops: [
        {
          code: 3,
          inputs: [0, 1],
          outputs: [2],
          optionsType: 1,
          options: [
            [1, 'int32', 2],
            [2, 'int32', 2],
          ] as [number, 'int32', number][],
        },
      ],
      inputs: [0],
      outputs: [2],
    };
    expect(() => importModel(buildTflite(spec), 'bad.tflite')).toThrow(/outputs \[1,8,8,2\] but its window gives 4x4/);
  });
});
