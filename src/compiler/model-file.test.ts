import { describe, expect, it } from 'vitest';
import { biasBound, ModelFileError, parseModelFile, writeModelFile } from './model-file';
import { buildModel, modelToFile } from './models/model';

function tinyFile() {
  const m = buildModel({ model: 'tiny-cnn', classes: 5, seed: 7 });
  return { m, ...writeModelFile(modelToFile(m, { dataset: 'test' })) };
}

describe('model files', () => {
  it('round-trip: write, parse, rebuild gives the same weights and quantization', () => {
    const { m, manifest, bin } = tinyFile();
    const text = JSON.stringify(manifest);
    const file = parseModelFile(text, bin.buffer as ArrayBuffer);
    const m2 = buildModel({ model: 'tiny-cnn', classes: 5, pretrained: file });
    expect(m2.source).toBe('pretrained');
    m.convs.forEach((c, i) => {
      expect(Array.from(m2.convs[i].weight)).toEqual(Array.from(c.weight));
      expect(Array.from(m2.convs[i].bias)).toEqual(Array.from(c.bias));
      expect(Array.from(m2.convs[i].weightScale)).toEqual(Array.from(c.weightScale));
      expect(m2.convs[i].output).toEqual(c.output);
      expect(m2.convs[i].input).toEqual(c.input);
    });
    expect(m2.nodes).toEqual(m.nodes);
    expect(Array.from(m2.classifier.weight)).toEqual(Array.from(m.classifier.weight));
    expect(file.meta).toEqual({ dataset: 'test' });
  });

  it('reinitializes only the classifier when the class count differs (transfer learning)', () => {
    const { m, manifest, bin } = tinyFile();
    const m2 = buildModel({ model: 'tiny-cnn', classes: 3, pretrained: parseModelFile(manifest, bin) });
    expect(m2.classifier.outC).toBe(3);
    expect(m2.classifier.weight.length).toBe(3 * 16);
    expect(Array.from(m2.convs[8].weight)).toEqual(Array.from(m.convs[8].weight));
    expect(m2.classifier.input).toEqual(m.nodes.find((n) => n.op === 'mean')!.output);
  });

  const broken: [string, (o: any) => void, RegExp][] = [
    ['format', (o) => (o.format = 'x'), /format: expected "tinytrain-model"/],
    ['version', (o) => (o.version = 3), /version: expected 1 or 2/],
    ['kind', (o) => (o.layers[1].kind = 'dense'), /layers\[1\] \(blocks\.0\.dw\)\.kind: expected one of/],
    [
      'length',
      (o) => (o.layers[2].weight.length = 3),
      /layers\[2\] \(blocks\.0\.pw2\)\.weight\.length: expected 128 elements/,
    ],
    ['bounds', (o) => (o.layers[0].bias.offset = 1e6), /layers\[0\] \(first_conv\)\.bias: bytes .* exceed the blob/],
    ['scale', (o) => (o.input.scale = -1), /input\.scale: expected a positive finite number/],
    [
      'zero point',
      (o) => (o.layers[3].output.zeroPoint = 300),
      /layers\[3\] \(blocks\.1\.pw1\)\.output\.zeroPoint: expected an integer in \[-128, 127\]/,
    ],
    ['classes', (o) => (o.classes = 7), /classifier has 5 outputs but classes is 7/],
    ['relu', (o) => delete o.layers[0].relu, /first_conv\)\.relu: expected a boolean/],
  ];
  it.each(broken)('rejects a malformed manifest (%s) with a message naming the field', (_name, edit, msg) => {
    const { manifest, bin } = tinyFile();
    const o = JSON.parse(JSON.stringify(manifest));
    edit(o);
    expect(() => parseModelFile(o, bin)).toThrow(ModelFileError);
    expect(() => parseModelFile(o, bin)).toThrow(msg);
  });

  /** The tiny file with one int32 bias or float32 weight scale of layer `layer` overwritten in the blob. */
  function patched(layer: number, field: 'bias' | 'weightScale', value: number) {
    const { manifest, bin } = tinyFile();
    const blob = bin.slice();
    const at = (manifest.layers as { bias: { offset: number }; weightScale: { offset: number } }[])[layer][field];
    const view = new DataView(blob.buffer);
    if (field === 'bias') view.setInt32(at.offset, value, true);
    else view.setFloat32(at.offset, value, true);
    return () => parseModelFile(manifest, blob);
  }

  it('bounds biases by the int32 accumulator: |b| + fan-in * 255 * 127 <= 2^31 - 1', () => {
    // first_conv: 3x3 conv on 3 channels, fan-in 27: 2147483647 - 27 * 32385 = 2146609252
    expect(biasBound('conv', 3, 3)).toBe(2146609252);
    // blocks.0.dw: 3x3 depthwise, fan-in 9; blocks.1.pw1: pointwise on 16 channels
    expect(biasBound('depthwise', 32, 3)).toBe(2147483647 - 9 * 32385);
    expect(biasBound('pointwise', 16, 1)).toBe(2147483647 - 16 * 32385);
    expect(patched(0, 'bias', 2 ** 31 - 1)).toThrow(
      'model file: layers[0] (first_conv).bias[0]: 2147483647 is outside +-2146609252: the int32 accumulator (fan-in 27) overflows',
    );
    expect(patched(0, 'bias', -2146609253)).toThrow(/first_conv\)\.bias\[0\]: -2146609253 is outside/);
    expect(patched(0, 'bias', 2146609252)).not.toThrow();
    expect(patched(0, 'bias', -2146609252)).not.toThrow();
    expect(patched(3, 'bias', 2147483647 - 16 * 32385 + 1)).toThrow(/blocks\.1\.pw1\)\.bias\[0\]/);
  });

  it('refuses a layer whose fan-in overflows int32 with any bias', () => {
    expect(biasBound('conv', 7400, 3)).toBeLessThan(0); // 66600 * 32385 > 2^31
    expect(biasBound('pointwise', 66311, 1)).toBeGreaterThanOrEqual(0);
    expect(biasBound('pointwise', 66312, 1)).toBeLessThan(0);
  });

  it('bounds scales to [2^-32, 2^32] so every derived float32 multiplier is normal and finite', () => {
    expect(patched(2, 'weightScale', 1e-12)).toThrow(
      /blocks\.0\.pw2\)\.weightScale\[0\]: .* is outside \[2\^-32, 2\^32\]/,
    );
    expect(patched(2, 'weightScale', 1e12)).toThrow(/weightScale\[0\]: .* is outside/);
    expect(patched(2, 'weightScale', Infinity)).toThrow(/weightScale\[0\]: must be positive and finite/);
    expect(patched(2, 'weightScale', 2 ** -32)).not.toThrow();
    const { manifest, bin } = tinyFile();
    const o = JSON.parse(JSON.stringify(manifest));
    o.layers[4].output.scale = 1e-30;
    expect(() => parseModelFile(o, bin)).toThrow(/layers\[4\] \(blocks\.1\.dw\)\.output\.scale: 1e-30 is outside/);
    o.layers[4].output.scale = 0.05;
    o.input.scale = 2 ** 33;
    expect(() => parseModelFile(o, bin)).toThrow(/input\.scale: 8589934592 is outside/);
  });

  it('rejects invalid JSON and a file whose layers do not match the architecture', () => {
    const { manifest, bin } = tinyFile();
    expect(() => parseModelFile('{nope', bin)).toThrow(/manifest: not valid JSON/);
    const o = JSON.parse(JSON.stringify(manifest));
    o.model = 'mcunet-5fps';
    expect(() =>
      buildModel({ model: 'mcunet-5fps', classes: 5, resolution: 32, pretrained: parseModelFile(o, bin) }),
    ).toThrow(/layers/);
  });
});
