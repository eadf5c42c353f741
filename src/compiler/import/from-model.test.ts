import { describe, expect, it } from 'vitest';
import { compile } from '../compile';
import { createState, evaluate } from '../interpret';
import { MODEL_NAMES } from '../models/arch';
import { assembleModel, type LayerSpec } from '../models/generic';
import { mulberry32 } from '../models/init';
import { buildModel, type Model } from '../models/model';
import { planHash, pretrainedFile } from '../models/plan-identity';
import { weightsChecksum } from '../models/trained';
import { modelToDescription } from './from-model';
import { evalDescription } from './testing-desc-eval';
import { descriptionToModel } from './to-model';
import type { ModelDescription } from './types';

const FORMATS = ['tflite', 'onnx'] as const;

function image(m: Model, seed: number): Int8Array {
  const rand = mulberry32(seed);
  return Int8Array.from({ length: m.inputShape.reduce((a, b) => a * b, 1) }, () => Math.floor(rand() * 256) - 128);
}

function toLayout(m: Model, d: ModelDescription, img: Int8Array): Int8Array {
  if (d.layout === 'NHWC') return img;
  const [h, w, c] = m.inputShape;
  const out = new Int8Array(img.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) out[(ch * h + y) * w + x] = img[(y * w + x) * c + ch];
  return out;
}

/** Our inference vs the file-semantics evaluator of the exported description: identical bytes, max |diff|. */
function agreement(m: Model, d: ModelDescription, n: number) {
  const plan = compile(m, 'classifier');
  const st = createState(plan);
  let same = 0;
  let total = 0;
  let max = 0;
  for (let k = 0; k < n; k++) {
    const img = image(m, k + 1);
    const ours = evaluate(plan, st, img, 0).logits;
    const theirs = evalDescription(d, toLayout(m, d, img));
    ours.forEach((v, i) => {
      const diff = Math.abs(v - theirs[i]);
      max = Math.max(max, diff);
      same += diff === 0 ? 1 : 0;
      total++;
    });
  }
  return { same: same / total, max };
}

describe('export mapping: the built-ins go out and come back unchanged', () => {
  const cases = MODEL_NAMES.flatMap((name) => FORMATS.map((f) => [name, f] as const));
  it.each(cases)('%s as %s: same plan (hash), same arrays', (name, format) => {
    const res = name === 'tiny-cnn' ? 32 : 40;
    const m = buildModel({ model: name, resolution: res, classes: 10, pretrained: pretrainedFile(name) });
    const d = modelToDescription(m, format);
    expect(d.layout).toBe(format === 'onnx' ? 'NCHW' : 'NHWC');
    const back = descriptionToModel(d, { name: m.name });
    for (const scheme of ['last:4', 'full']) {
      const [a, b] = [compile(m, scheme), compile(back, scheme)];
      expect(b.metrics.peakSramBytes).toBe(a.metrics.peakSramBytes);
      expect(b.steps.length).toBe(a.steps.length);
      expect(planHash(b)).toBe(planHash(a));
    }
    expect(weightsChecksum(back)).toBe(weightsChecksum(m));
    [...m.convs, m.classifier].forEach((l, i) => {
      const r = i < m.convs.length ? back.convs[i] : back.classifier;
      expect(r.weight).toEqual(l.weight);
      expect(r.bias).toEqual(l.bias);
      expect(r.weightScale).toEqual(l.weightScale);
      expect([r.input, r.output]).toEqual([l.input, l.output]);
    });
  });

  it.each(FORMATS)('tiny-cnn as %s: the file semantics give our logits bit for bit', (format) => {
    const m = buildModel({ model: 'tiny-cnn', classes: 10, pretrained: pretrainedFile('tiny-cnn') });
    expect(agreement(m, modelToDescription(m, format), 10)).toEqual({ same: 1, max: 0 });
  });

  it('mcunet-5fps as tflite: SAME / PAD + VALID padding means what our top / left padding means', () => {
    const m = buildModel({
      model: 'mcunet-5fps',
      resolution: 48,
      classes: 10,
      pretrained: pretrainedFile('mcunet-5fps'),
    });
    const d = modelToDescription(m, 'tflite');
    expect(d.ops.filter((o) => o.kind === 'pad').length).toBeGreaterThan(0);
    // float64 reference vs float32 requantization in 42 layers: an LSB here and there, never a layout error
    const r = agreement(m, d, 4);
    expect(r.max).toBeLessThanOrEqual(1);
    expect(r.same).toBeGreaterThanOrEqual(0.9);
  });
});

/** A small generic model: conv 6x6x2 -> conv s2 -> flatten [3, 3, 4] -> fc 36 -> 5 -> fc 5 -> 3. */
function flattenModel(): Model {
  const rand = mulberry32(11);
  const q = (scale: number, zeroPoint: number) => ({ scale, zeroPoint });
  const layer = (
    name: string,
    kind: LayerSpec['kind'],
    inC: number,
    outC: number,
    k: number,
    s: number,
    fan: number,
  ) => ({
    name,
    kind,
    inC,
    outC,
    kernel: k,
    stride: s,
    weight: Int8Array.from({ length: fan * outC }, () => Math.floor(rand() * 255) - 127),
    bias: Int32Array.from({ length: outC }, () => Math.floor(rand() * 2000) - 1000),
    weightScale: Float32Array.from({ length: outC }, () => 0.002 + rand() * 0.002),
    output: q(0.05, -3),
    relu: kind !== 'fc',
  });
  const layers: LayerSpec[] = [
    layer('c1', 'conv', 2, 4, 3, 1, 18),
    layer('c2', 'conv', 4, 4, 3, 2, 36),
    layer('f1', 'fc', 36, 5, 1, 1, 36),
    { ...layer('f2', 'fc', 5, 3, 1, 1, 5), relu: false },
  ];
  return assembleModel(
    {
      name: 'flatten',
      inputShape: [6, 6, 2],
      input: q(0.02, 1),
      layers,
      nodes: [
        { op: 'layer', name: 'c1', inputs: [-1], block: -1, conv: 0 },
        { op: 'layer', name: 'c2', inputs: [0], block: -1, conv: 1 },
        { op: 'reshape', name: 'flat', inputs: [1], block: -1, shape: [36] },
        { op: 'layer', name: 'f1', inputs: [2], block: -1, conv: 2 },
        { op: 'layer', name: 'f2', inputs: [3], block: -1, conv: -1 },
      ],
      requant: 'float-half-away',
      source: 'imported',
      seed: 1,
    },
    3,
    false,
  );
}

describe('export mapping: a generic model with a flatten before an fc', () => {
  it.each(FORMATS)('as %s: round trip and file semantics (ONNX flattens C, H, W: the fc columns are permuted)', (f) => {
    const m = flattenModel();
    const d = modelToDescription(m, f);
    const back = descriptionToModel(d, { name: m.name });
    expect(back.convs[2].weight).toEqual(m.convs[2].weight);
    expect(planHash(compile(back, 'full'))).toBe(planHash(compile(m, 'full')));
    if (f === 'onnx') {
      const fc = d.ops.find((o) => o.kind === 'fullyConnected' && o.name === 'f1')!;
      expect(d.tensors[fc.inputs[1]!].data).not.toEqual(m.convs[2].weight);
    }
    expect(agreement(m, d, 8)).toEqual({ same: 1, max: 0 });
  });
});

describe('export mapping: pad and pool nodes', () => {
  it.each(FORMATS)(
    'as %s: written as the file ops; read back, they map (the model is refused only for its missing classifier)',
    (f) => {
      const base = flattenModel();
      const m: Model = {
        ...base,
        nodes: [
          base.nodes[0],
          {
            op: 'pad',
            name: 'p',
            inputs: [0],
            block: -1,
            pad: { top: 1, left: 1, bottom: 1, right: 1 },
            output: base.convs[0].output,
          },
          {
            op: 'maxpool',
            name: 'mp',
            inputs: [1],
            block: -1,
            window: { kernel: [2, 2], stride: [2, 2], pad: { top: 0, left: 0, bottom: 0, right: 0 } },
            output: base.convs[0].output,
          },
        ],
      };
      const d = modelToDescription(m, f);
      expect(d.ops.map((o) => o.sourceOp)).toEqual(
        f === 'tflite'
          ? ['CONV_2D', 'PAD', 'MAX_POOL_2D']
          : ['QuantizeLinear', 'QLinearConv', 'Pad', 'MaxPool', 'DequantizeLinear'],
      );
      const pool = d.ops.find((o) => o.kind === 'maxPool2d')!;
      expect(d.tensors[pool.outputs[0]].shape).toEqual([1, 4, 4, 4]);
      expect(pool.options).toMatchObject({
        filter: [2, 2],
        stride: [2, 2],
        padding: f === 'tflite' ? { kind: 'valid' } : { kind: 'explicit', top: 0 },
      });
      expect(() => descriptionToModel(d)).toThrow('the model must end in a fully connected layer (the classifier)');
    },
  );
});
