import { describe, expect, it } from 'vitest';
import { buildForwardGraph } from '../forward';
import { randomImage } from '../testing/gradients';
import { forwardSnapshot } from '../testing/surrogate';
import { buildModel, ModelError } from './model';

describe('buildModel', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = buildModel({ model: 'mbv2-w0.35', classes: 10, resolution: 64, seed: 4 });
    const b = buildModel({ model: 'mbv2-w0.35', classes: 10, resolution: 64, seed: 4 });
    const c = buildModel({ model: 'mbv2-w0.35', classes: 10, resolution: 64, seed: 5 });
    expect(Array.from(a.convs[10].weight)).toEqual(Array.from(b.convs[10].weight));
    expect(Array.from(a.convs[10].weight)).not.toEqual(Array.from(c.convs[10].weight));
  });

  it('indexes convs in forward order with the paper counts, classifier separate', () => {
    const m = buildModel({ model: 'proxyless-w0.3', classes: 7, resolution: 96 });
    expect(m.convs.length).toBe(60);
    expect(m.convs.map((c) => c.index)).toEqual(m.convs.map((_, i) => i));
    expect(m.convs[0].name).toBe('first_conv');
    expect(m.convs[59].name).toBe('blocks.19.pw2');
    expect([m.classifier.index, m.classifier.outC, m.classifier.inC]).toEqual([-1, 7, 96]);
    expect(m.convs.every((c) => c.pad === Math.floor(c.kernel / 2) && c.outH === Math.ceil(c.inH / c.stride))).toBe(
      true,
    );
  });

  it('uses ReLU clamps at z_y for the stem, pw1 and dw, linear pw2 and classifier', () => {
    const m = buildModel({ model: 'mcunet-5fps', classes: 10, resolution: 64 });
    for (const c of m.convs) expect(c.relu).toBe(!c.name.endsWith('pw2'));
    expect(m.classifier.relu).toBe(false);
    for (const c of m.convs.filter((x) => x.relu)) expect(c.output.zeroPoint).toBe(-128);
    m.convs.forEach(
      (c, i) =>
        i > 0 &&
        !m.nodes.some(
          (n) =>
            n.op === 'add' &&
            n.inputs.some((r) => m.nodes[r]?.op === 'layer' && (m.nodes[r] as { conv: number }).conv === i - 1),
        ) &&
        expect(c.input).toEqual(m.convs[i - 1].output),
    );
  });

  it('has plausible random quantization: a forward pass neither saturates nor vanishes', () => {
    const m = buildModel({ model: 'mcunet-5fps', classes: 10, resolution: 64 });
    const g = buildForwardGraph(m);
    const snap = forwardSnapshot(g, randomImage(64 * 64 * 3, 2));
    for (const op of g.ops.filter((o) => o.kind === 'pointwise' || o.kind === 'conv')) {
      const y = snap.values.get(op.outputs[0])!;
      const zp = g.tensors[op.outputs[0]].quant!.zeroPoint;
      const relu = m.convs[op.layer!].relu;
      const sat = y.filter((v) => v === 127 || (!relu && v === -128)).length / y.length;
      const live = y.filter((v) => v !== zp).length / y.length;
      expect(sat, `${op.name} saturation`).toBeLessThan(0.05);
      expect(live, `${op.name} non-zero`).toBeGreaterThan(0.05);
    }
  });

  it('rejects bad options with clear messages', () => {
    expect(() => buildModel({ model: 'vgg', classes: 10 })).toThrow(ModelError);
    expect(() => buildModel({ model: 'vgg', classes: 10 })).toThrow(/unknown model "vgg"; available:/);
    expect(() => buildModel({ model: 'mcunet-5fps', classes: 10, resolution: 16 })).toThrow(
      /resolution must be an integer from 32 to 224/,
    );
    expect(() => buildModel({ model: 'tiny-cnn', classes: 1 })).toThrow(/classes must be an integer from 2 to 1000/);
  });
});
