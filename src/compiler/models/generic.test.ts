import { describe, expect, it } from 'vitest';
import { compile } from '../compile';
import { modelToDescription } from '../import/from-model';
import { descriptionToModel } from '../import/to-model';
import { ModelFileError, parseModelFile, writeModelFile } from '../model-file';
import { buildModel, modelToFile, type Model } from './model';
import { INPUT, nodeShapes, walkNodes } from './nodes';
import { planHash, pretrainedFile } from './plan-identity';
import { weightsChecksum } from './trained';
import { transferModel } from './transfer';

/** A v2 file written and parsed again. */
function roundTrip(m: Model) {
  const { manifest, bin } = writeModelFile(modelToFile(m, { note: 'v2' }));
  return { manifest: manifest as Record<string, any>, bin, file: parseModelFile(JSON.stringify(manifest), bin) };
}

/** An imported-style model (no ARCHS entry): tiny-cnn through the ONNX mapping, with a flatten-free head. */
const imported = () => {
  const base = buildModel({ model: 'tiny-cnn', classes: 4, seed: 5 });
  return descriptionToModel(modelToDescription(base, 'onnx'), { name: 'my-net', requant: 'float-half-even' });
};

describe('model files, version 2 (the node list)', () => {
  it('a built-in written as v2 reads back to the same plan; the v1 files still read', () => {
    const m = buildModel({ model: 'tiny-cnn', classes: 10, pretrained: pretrainedFile('tiny-cnn') });
    const { manifest, file } = roundTrip(m);
    expect(manifest.version).toBe(2);
    expect(manifest.residuals).toBeUndefined();
    expect(file.nodes).toEqual(m.nodes);
    const back = buildModel({ model: 'tiny-cnn', classes: 10, pretrained: file });
    expect(planHash(compile(back, 'last:4'))).toBe(planHash(compile(m, 'last:4')));
    expect(pretrainedFile('mcunet-5fps').nodes).toBeUndefined();
  });

  it('an imported model (any topology) is saved and reopened: same plan, same weights', () => {
    const m = imported();
    expect(m.nodes.some((n) => n.op === 'reshape')).toBe(true);
    const { file } = roundTrip(m);
    expect(file.inputShape).toEqual([32, 32, 3]);
    expect(file.requant).toBe('float-half-even');
    const back = buildModel({ model: 'my-net', classes: 4, pretrained: file });
    expect(back.source).toBe('pretrained');
    expect(weightsChecksum(back)).toBe(weightsChecksum(m));
    expect(planHash(compile(back, 'full'))).toBe(planHash(compile(m, 'full')));
  });

  it('transfer learning on an imported model: a fresh, linear classifier for the new classes', () => {
    const m = imported();
    const { file } = roundTrip(m);
    const t = transferModel({ model: 'my-net', resolution: 32, classes: 7, pretrained: file, seed: 2 });
    expect(t.classifier.outC).toBe(7);
    expect(t.classifier.relu).toBe(false);
    expect(t.convs.map((c) => c.weight)).toEqual(m.convs.map((c) => c.weight));
    expect(compile(t, 'classifier').layers.find((l) => l.index === -1)!.outC).toBe(7);
  });

  const broken: [string, (o: any) => void, RegExp][] = [
    [
      'a forward reference',
      (o) => (o.nodes[0].inputs = [3]),
      /nodes\[0\] \(.*\)\.inputs\[0\]: expected an integer in \[-1, -1\]/,
    ],
    ['a layer twice', (o) => (o.nodes[1].conv = 0), /nodes\[1\]\.conv: layer 0 appears twice/],
    ['an unknown op', (o) => (o.nodes[2].op = 'gelu'), /nodes\[2\]\.op: expected one of layer, add, mean/],
    ['the classifier not last', (o) => o.nodes.pop(), /the nodes use .* of the file's .* layers|the last node must be/],
    ['requant', (o) => (o.requant = 'stochastic'), /requant: expected one of float-half-away/],
    ['input shape', (o) => (o.inputShape = [32, 32]), /inputShape: expected \[h, w, c\]/],
  ];
  it.each(broken)('rejects %s with a message naming the field', (_n, edit, msg) => {
    const { manifest, bin } = roundTrip(imported());
    const o = JSON.parse(JSON.stringify(manifest));
    edit(o);
    expect(() => parseModelFile(o, bin)).toThrow(ModelFileError);
    expect(() => parseModelFile(o, bin)).toThrow(msg);
  });

  it('a node list whose shapes do not chain is refused when the model is assembled', () => {
    const { manifest, bin } = roundTrip(imported());
    const o = JSON.parse(JSON.stringify(manifest));
    const add = o.nodes.findIndex((n: any) => n.op === 'add');
    o.nodes[add].inputs = [0, add - 1];
    const file = parseModelFile(o, bin);
    expect(() => buildModel({ model: 'my-net', classes: 4, pretrained: file })).toThrow(/adds \[\d+, \d+, \d+\] and/);
  });
});

describe('the node walk', () => {
  it('visits every node once with its inputs, and infers shapes along the list', () => {
    const m = buildModel({ model: 'tiny-cnn', classes: 3 });
    const seen: string[] = [];
    const last = walkNodes(m.nodes, 'in', {
      layer: (n, [x]) => (seen.push(`${n.name}(${x})`), n.name),
      add: (n, [a, b]) => (seen.push(`${n.name}(${a},${b})`), n.name),
      mean: (n, [x]) => (seen.push(`${n.name}(${x})`), n.name),
      reshape: (n) => n.name,
      avgpool: (n) => n.name,
      maxpool: (n) => n.name,
      pad: (n) => n.name,
    });
    expect(last).toBe('classifier');
    expect(seen).toContain('blocks.2.add(blocks.1.pw2,blocks.2.pw2)');
    expect(seen.at(-2)).toBe('pool(blocks.2.add)');
    const shapes = nodeShapes(m.nodes, m.inputShape, (conv, _in) =>
      conv < 0 ? [m.classifier.outC] : [m.convs[conv].outH, m.convs[conv].outW, m.convs[conv].outC],
    );
    expect(shapes.at(-2)).toEqual([16]);
    expect(m.nodes[0].inputs).toEqual([INPUT]);
  });
});
