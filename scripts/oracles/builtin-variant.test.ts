import { describe, expect, it } from 'vitest';
import { writeTflite } from '../../src/compiler/export';
import { importModel } from '../../src/compiler/import';
import { modelToDescription } from '../../src/compiler/import/from-model';
import { buildModel } from '../../src/compiler/models/model';
import { builtinKernelVariant } from './builtin-variant';

describe('builtinKernelVariant (the TFLite builtin-kernel oracle)', () => {
  const d = modelToDescription(buildModel({ model: 'tiny-cnn', classes: 10, seed: 3 }), 'tflite');
  const v = builtinKernelVariant(d);
  const producer = (id: number) => v.ops.find((o) => o.outputs.includes(id));

  it('feeds every weight tensor and the mean axes through a RESHAPE of the same constant', () => {
    const isWeighted = (o: (typeof v.ops)[number]) => ['conv2d', 'depthwiseConv2d', 'fullyConnected'].includes(o.kind);
    const weighted = v.ops.filter(isWeighted);
    expect(weighted.length).toBe(d.ops.filter(isWeighted).length);
    expect(weighted.length).toBeGreaterThan(3);
    for (const op of weighted) {
      const w = v.tensors[op.inputs[1]!];
      const r = producer(w.id)!;
      const c = v.tensors[r.inputs[0]!];
      expect(w.data).toBeNull();
      expect(r.kind).toBe('reshape');
      expect(c.data).not.toBeNull();
      expect([c.shape, c.quant, c.dtype]).toEqual([w.shape, w.quant, w.dtype]);
      expect(v.ops.indexOf(r)).toBeLessThan(v.ops.indexOf(op));
      // the constant is the original weight tensor, untouched
      const original = d.ops.find((o) => o.name === op.name)!;
      expect(c).toBe(d.tensors[original.inputs[1]!]);
    }
    const mean = v.ops.find((o) => o.kind === 'mean')!;
    const axes = v.tensors[producer(mean.inputs[1]!)!.inputs[0]!];
    expect(Array.from(axes.data as Int32Array)).toEqual(mean.options.axes);
    // every other op is the original one, in the original order
    const rest = (ops: typeof v.ops) => ops.filter((o) => o.kind !== 'reshape').map((o) => o.name);
    expect(rest(v.ops)).toEqual(rest(d.ops));
  });

  it('is written with the MEAN reading the computed axes (our importer, which folds axes, refuses it so)', () => {
    expect(() => importModel(writeTflite(v), 'v.tflite')).toThrow(/MEAN axes .* must be a constant/);
    expect(importModel(writeTflite(d), 'd.tflite').ops.length).toBe(d.ops.length);
  });
});
