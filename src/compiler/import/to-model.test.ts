import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compile, compileWithGraph } from '../compile';
import { createState, evaluate, trainStep } from '../interpret';
import { verify } from '../ir/verify';
import { mulberry32 } from '../models/init';
import { buildModel, type Model } from '../models/model';
import { writeOnnx, writeTflite } from '../export';
import { modelToDescription } from './from-model';
import { planHash } from '../models/plan-identity';
import { checkPlan } from '../testing/check-plan';
import { importModel } from './index';
import { evalDescription } from './testing-desc-eval';
import { classifierChoices, descriptionToModel } from './to-model';
import { ImportError, type ModelDescription } from './types';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const MODELS = fileURLToPath(new URL('../../../../shared/models/', import.meta.url));
const haveModels = existsSync(MODELS);
const read = (path: string) => importModel(new Uint8Array(readFileSync(path)), path.split('/').pop()!);

function image(m: Model, seed: number): Int8Array {
  const rand = mulberry32(seed);
  return Int8Array.from({ length: m.inputShape.reduce((a, b) => a * b, 1) }, () => Math.floor(rand() * 256) - 128);
}

/** Our HWC input in the file's layout. */
function fileImage(m: Model, d: ModelDescription, img: Int8Array): Int8Array {
  if (d.layout === 'NHWC') return img;
  const [h, w, c] = m.inputShape;
  const out = new Int8Array(img.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) out[(ch * h + y) * w + x] = img[(y * w + x) * c + ch];
  return out;
}

/** Compiles, verifies, checks inference against the file's semantics and runs a training step. */
function exercise(d: ModelDescription, m: Model) {
  for (const scheme of ['full', 'classifier']) {
    const { plan, graph } = compileWithGraph(m, scheme);
    expect(() => verify(graph)).not.toThrow();
    expect(checkPlan(plan)).toEqual([]);
    const st = createState(plan);
    for (let k = 0; k < 5; k++) {
      const img = image(m, k + 1);
      const ours = evaluate(plan, st, img, 0).logits;
      expect(Array.from(ours)).toEqual(Array.from(evalDescription(d, fileImage(m, d, img))));
    }
    const before = evaluate(plan, st, image(m, 9), 0).loss;
    for (let k = 0; k < 3; k++) trainStep(plan, st, image(m, 9), { lr: 0.05, rounding: 0, qas: true, label: 0 });
    expect(Number.isFinite(before)).toBe(true);
  }
}

describe('import mapping: the ONNX fixtures', () => {
  it('QOperator conv + residual add + global pool + flatten + fc becomes layers, add, mean and views', () => {
    const d = read(FIXTURES + 'qoperator_conv.onnx');
    const m = descriptionToModel(d, { name: 'qop' });
    expect(m.nodes.map((n) => n.op)).toEqual(['layer', 'layer', 'add', 'mean', 'reshape', 'reshape', 'layer']);
    expect(
      [...m.convs, m.classifier].map((l) => `${l.name} ${l.kind} ${l.inC}->${l.outC} k${l.kernel} p${l.pad}`),
    ).toEqual(['conv1 conv 1->4 k3 p1', 'conv2 pointwise 4->4 k1 p0', 'fc fc 4->3 k1 p0']);
    expect(m.inputShape).toEqual([8, 8, 1]);
    expect(m.requant).toBe('float-half-even');
    expect(m.input).toEqual({ scale: d.tensors[1].quant!.scale[0], zeroPoint: -128 });
    exercise(d, m);
  });

  it('QDQ: float ops between quantize / dequantize, the Relu folded into the conv clamp', () => {
    const d = read(FIXTURES + 'qdq_conv.onnx');
    const m = descriptionToModel(d);
    expect(m.convs[0]).toMatchObject({ kind: 'conv', stride: 2, pad: 1, relu: true, outH: 5, outW: 5 });
    expect(m.convs[0].output.zeroPoint).toBe(-128);
    exercise(d, m);
  });

  it('refuses float models (they need calibration first) and the refusing fixtures, in one line', () => {
    expect(() => descriptionToModel(read(FIXTURES + 'pytorch_flatten.onnx'))).toThrow(/must be quantized/);
    for (const f of ['refuse_dynamic.onnx', 'refuse_sigmoid.onnx', 'refuse_uint8.onnx'])
      expect(() => descriptionToModel(read(FIXTURES + f))).toThrow(ImportError);
  });
});

describe.skipIf(!haveModels)('import mapping: TensorFlow Lite Micro models', () => {
  it('hello_world: three fully connected layers on a vector input [1, 1, 1], fused RELUs', () => {
    const d = read(MODELS + 'hello_world_int8.tflite');
    const m = descriptionToModel(d, { name: 'hello' });
    expect(m.inputShape).toEqual([1, 1, 1]);
    expect(m.requant).toBe('tflite-fixed');
    expect([...m.convs, m.classifier].map((l) => `${l.name} ${l.kind} ${l.inC}->${l.outC} ${l.relu}`)).toEqual([
      'fully_connected#0 fc 1->16 true',
      'fully_connected#1 fc 16->16 true',
      'StatefulPartitionedCall:0 fc 16->1 false', // TFLite ops have no names: the output tensor's
    ]);
    // per-tensor weight scales repeated per channel
    expect(new Set(m.convs[1].weightScale).size).toBe(1);
    exercise(d, m);
  });

  it('hello_world: another fc as the classifier, freshly initialized for new classes; the rest dropped', () => {
    const d = read(MODELS + 'hello_world_int8.tflite');
    expect(classifierChoices(d).map((c) => `${c.index} ${c.outputs}`)).toEqual(['0 16', '1 16', '2 1']);
    const m = descriptionToModel(d, { classifier: 1, classes: 3 });
    expect(m.nodes).toHaveLength(2);
    expect(m.classifier).toMatchObject({ name: 'fully_connected#1', outC: 3, index: -1, relu: false });
    expect(m.convs).toHaveLength(1);
    const { plan } = compileWithGraph(m, 'full');
    expect(checkPlan(plan)).toEqual([]);
    expect(() => descriptionToModel(d, { classifier: 3 })).toThrow(/3 fully connected layers \(0-2\)/);
  });

  it('micro_speech: its 10x8 depthwise (multiplier 8 on one channel) is a rectangular general conv', () => {
    const d = read(MODELS + 'micro_speech_quantized.tflite');
    const m = descriptionToModel(d, { name: 'micro' });
    // the [1, 1960] input reshaped to [1, 49, 40, 1] takes that shape (the same bytes); SAME pads 4 top, 3 left
    expect(m.inputShape).toEqual([49, 40, 1]);
    expect(m.convs[0]).toMatchObject({ kind: 'conv', inC: 1, outC: 8, kernel: 10, kernelW: 8, stride: 2 });
    expect(m.convs[0]).toMatchObject({ strideW: 2, pad: 4, padLeft: 3, outH: 25, outW: 20, relu: true });
    expect(m.classifier).toMatchObject({ kind: 'fc', inC: 4000, outC: 4 });
    exercise(d, m);
  });

  it('micro_speech and hello_world: exported to .tflite and .onnx and re-imported give the same plan', () => {
    for (const [file, name] of [
      ['micro_speech_quantized.tflite', 'micro'],
      ['hello_world_int8.tflite', 'hello'],
    ]) {
      const m = descriptionToModel(read(MODELS + file), { name });
      const want = planHash(compile(m, 'full'));
      const tfl = importModel(writeTflite(modelToDescription(m, 'tflite')), 'x.tflite');
      const back = descriptionToModel(tfl, { name });
      expect(back.requant).toBe('tflite-fixed');
      expect(planHash(compile(back, 'full')), file).toBe(want);
      const onnx = importModel(writeOnnx(modelToDescription(m, 'onnx')), 'x.onnx');
      expect(planHash(compile(descriptionToModel(onnx, { name }), 'full')), file).toBe(want);
    }
  });

  it('keyword_scrambled: refused at reading, naming SVDF', () => {
    expect(() => read(MODELS + 'keyword_scrambled_8bit.tflite')).toThrow(/SVDF/);
  });
});

describe('import mapping: what the kernels cannot express is refused, naming op, node and reason', () => {
  const base = () => modelToDescription(buildModel({ model: 'tiny-cnn', classes: 4, seed: 3 }), 'onnx');
  const edits: [string, (d: ModelDescription) => void, string][] = [
    [
      'an add with a fused relu',
      (d) => Object.assign(d.ops.find((o) => o.kind === 'add')!.options, { activation: 'relu' }),
      'QLinearAdd (node blocks.2.add): an add with a fused activation is not supported',
    ],
    [
      'a rectangular depthwise window',
      (d) => {
        const o = d.ops.find((op) => op.kind === 'conv2d' && op.options.group > 1)!;
        Object.assign(o.options, { stride: [2, 1] });
      },
      'only a general conv takes two strides',
    ],
    [
      'a dilated conv',
      (d) => Object.assign(d.ops[1].options, { dilation: [2, 2] }),
      'QLinearConv (node first_conv): dilation 2x2 is not supported (only 1)',
    ],
    [
      'asymmetric weights',
      (d) => (d.tensors[d.ops[1].inputs[1]!].quant!.zeroPoint[0] = 3),
      'QLinearConv (node first_conv): weights first_conv.weight are asymmetric (zero point != 0)',
    ],
    [
      'a model not ending in an fc',
      (d) => {
        const i = d.ops.findIndex((o) => o.kind === 'mean');
        d.ops.splice(i + 1);
        d.outputs = [d.ops[i].outputs[0]];
      },
      'the model must end in a fully connected layer (the classifier); its output comes from pool',
    ],
  ];
  it.each(edits)('%s', (_name, edit, message) => {
    const d = base();
    expect(() => descriptionToModel(d)).not.toThrow();
    edit(d);
    expect(() => descriptionToModel(d)).toThrow(ImportError);
    expect(() => descriptionToModel(d)).toThrow(message);
  });
});

describe('import mapping: a depthwise with a depth multiplier on one input channel', () => {
  it('is the general conv it computes (TFLite [1, k, k, M] weights become [M][k][k][1])', () => {
    const m = buildModel({ model: 'tiny-cnn', classes: 4, inChannels: 1, seed: 2 });
    const d = modelToDescription(m, 'tflite');
    const i = d.ops.findIndex((o) => d.tensors[o.outputs[0]].name === 'first_conv');
    const conv = d.ops[i];
    if (conv.kind !== 'conv2d') throw new Error('expected the stem conv');
    const w = d.tensors[conv.inputs[1]!];
    const [M, k] = [w.shape[0], w.shape[1]];
    const data = new Int8Array(w.data!.length);
    for (let o = 0; o < M; o++) for (let p = 0; p < k * k; p++) data[p * M + o] = w.data![o * k * k + p];
    d.tensors[w.id] = { ...w, shape: [1, k, k, M], data, quant: { ...w.quant!, axis: 3 } };
    const { group, ...window } = conv.options;
    expect(group).toBe(1);
    d.ops[i] = {
      ...conv,
      kind: 'depthwiseConv2d',
      sourceOp: 'DEPTHWISE_CONV_2D',
      options: { ...window, depthMultiplier: M },
    };
    const back = descriptionToModel(d, { name: m.name });
    expect(back.convs[0]).toMatchObject({ kind: 'conv', inC: 1, outC: M, kernel: k });
    expect(back.convs[0].weight).toEqual(m.convs[0].weight);
    expect(planHash(compile(back, 'full'))).toBe(planHash(compile(m, 'full')));
    exercise(d, back);
  });
});

describe('import mapping: windows the new kernels take', () => {
  const base = () => modelToDescription(buildModel({ model: 'tiny-cnn', classes: 4, seed: 3 }), 'onnx');
  it('separate top and left padding on a general conv: padLeft', () => {
    const d = base();
    Object.assign(d.ops[1].options, { padding: { kind: 'explicit', top: 1, left: 0, bottom: 1, right: 2 } });
    const m = descriptionToModel(d);
    expect(m.convs[0]).toMatchObject({ kind: 'conv', kernel: 3, kernelW: 3, pad: 1, padLeft: 0 });
    exercise(d, m);
  });

  it.each(['averagePool2d', 'maxPool2d'] as const)('a windowed %s over the whole map instead of the mean', (kind) => {
    const d = base();
    const i = d.ops.findIndex((o) => o.kind === 'mean');
    const o = d.ops[i];
    const [, , h, w] = d.tensors[o.inputs[0]!].shape;
    const options = { stride: [1, 1], padding: { kind: 'valid' }, filter: [h, w], activation: 'none' };
    d.ops[i] = { ...o, kind, options } as never;
    // a max pool keeps its input's quantization
    if (kind === 'maxPool2d') d.tensors[o.outputs[0]].quant = d.tensors[o.inputs[0]!].quant;
    const m = descriptionToModel(d);
    expect(m.nodes.find((n) => n.name === 'pool')).toMatchObject({
      op: kind === 'maxPool2d' ? 'maxpool' : 'avgpool',
      window: { kernel: [h, w], stride: [1, 1], pad: { top: 0, left: 0, bottom: 0, right: 0 } },
    });
    exercise(d, m);
    // exported (TFLite VALID, ONNX explicit) and re-imported: the same plan
    const want = planHash(compile(m, 'full'));
    for (const f of ['tflite', 'onnx'] as const) {
      const bytes = f === 'tflite' ? writeTflite(modelToDescription(m, f)) : writeOnnx(modelToDescription(m, f));
      expect(planHash(compile(descriptionToModel(importModel(bytes, `x.${f}`)), 'full')), f).toBe(want);
    }
  });

  it('a max pool that requantizes is refused', () => {
    const d = base();
    const i = d.ops.findIndex((o) => o.kind === 'mean');
    const o = d.ops[i];
    const [, , h, w] = d.tensors[o.inputs[0]!].shape;
    const options = { stride: [1, 1], padding: { kind: 'valid' }, filter: [h, w], activation: 'none' };
    d.ops[i] = { ...o, kind: 'maxPool2d', options } as never;
    const q = d.tensors[o.inputs[0]!].quant!;
    d.tensors[o.outputs[0]].quant = { ...q, scale: [q.scale[0] * 2] };
    expect(() => descriptionToModel(d)).toThrow('node pool (maxpool): its output quantization differs');
  });
});
