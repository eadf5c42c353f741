/**
 * The ONNX reader on models built with the official library (python3-onnx; scripts/import-fixtures). What
 * onnx / numpy read from each model (op types, initializer sums, inferred shapes) is in fixtures/expected.json,
 * written by the same script: the reader's numbers are compared against it, not against themselves.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importModel, ImportError, type ModelDescription, type OpDesc, type TensorDesc } from './index';
import expectedJson from './fixtures/expected.json';

interface Facts {
  ops: string[];
  inputs: Record<string, (number | string)[]>;
  outputs: Record<string, (number | string)[]>;
  value_info: Record<string, (number | string)[]>;
  initializers: Record<string, { dims: number[]; dtype: string; sum: number; first: number[] }>;
}
const EXPECTED = expectedJson as unknown as Record<string, Facts>;
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));
const read = (name: string) => importModel(fixture(name), name);
const sum = (t: TensorDesc) => Array.from(t.data!).reduce((a, b) => a + b, 0);
const tensor = (d: ModelDescription, name: string) => d.tensors.find((t) => t.name === name)!;
const opNamed = (d: ModelDescription, name: string) => d.ops.find((o) => o.name === name)!;

function importError(name: string, bytes = fixture(name)): ImportError {
  try {
    importModel(bytes, name);
  } catch (e) {
    if (e instanceof ImportError) return e;
    throw e;
  }
  throw new Error(`${name} imported`);
}

/** Every shape ONNX's own shape inference wrote into the file equals ours (batch 'N' is our 1). */
function checkShapes(d: ModelDescription, facts: Facts): void {
  const declared = { ...facts.value_info, ...facts.outputs };
  expect(Object.keys(declared).length).toBeGreaterThan(0);
  for (const [name, dims] of Object.entries(declared))
    expect(tensor(d, name).shape, name).toEqual(dims.map((v) => (typeof v === 'number' ? v : 1)));
}

/** Constant tensors hold the initializers' values (as numpy summed them). */
function checkConstants(d: ModelDescription, facts: Facts, names: string[]): void {
  for (const name of names) {
    const init = facts.initializers[name];
    const t = tensor(d, name);
    expect(t.shape, name).toEqual(init.dims);
    expect(sum(t), name).toBeCloseTo(init.sum, 3);
    expect(Array.from(t.data!.slice(0, 4)), name).toEqual(init.first.map((v) => Math.fround(v)));
  }
}

describe('ONNX reader', () => {
  it('reads a QOperator model: QLinearConv (per-channel), QLinearAdd, QLinearGlobalAveragePool, QLinearMatMul', () => {
    const facts = EXPECTED['qoperator_conv.onnx'];
    const d = read('qoperator_conv.onnx');
    expect(d.quantStyle).toBe('int8-ops');
    expect(d.needsQuantization).toBe(false);
    expect(d.ops.map((o) => o.sourceOp)).toEqual(facts.ops);
    expect(d.ops.map((o) => o.kind)).toEqual([
      'quantize',
      'conv2d',
      'conv2d',
      'add',
      'mean',
      'reshape',
      'fullyConnected',
      'dequantize',
    ]);
    checkShapes(d, facts);
    checkConstants(d, facts, ['w1', 'b1', 'w2']);
    const conv1 = opNamed(d, 'conv1') as Extract<OpDesc, { kind: 'conv2d' }>;
    expect(conv1.options.padding).toEqual({ kind: 'explicit', top: 1, left: 1, bottom: 1, right: 1 });
    const w1 = tensor(d, 'w1').quant!;
    expect(w1.axis).toBe(0);
    expect(w1.scale).toHaveLength(4);
    // The bias is int32 in units of input scale x weight scale, per output channel.
    const b1 = tensor(d, 'b1').quant!;
    b1.scale.forEach((s, i) => expect(s).toBeCloseTo(0.02 * w1.scale[i], 9));
    expect(tensor(d, 'a1').quant).toEqual({ scale: [Math.fround(0.05)], zeroPoint: [-10], axis: null });
    expect(tensor(d, 'sum').quant!.zeroPoint).toEqual([-5]);
    expect(tensor(d, 'flat').quant).toEqual(tensor(d, 'gap').quant);
    // QLinearMatMul weights [K=4, N=3] become fully connected weights [3, 4].
    const w = tensor(d, 'wfc^T');
    expect(w.shape).toEqual([3, 4]);
    expect(sum(w)).toBe(facts.initializers.wfc.sum);
    const first = facts.initializers.wfc.first; // row 0 of [4, 3] then row 1 col 0
    expect([w.data![0], w.data![4], w.data![8], w.data![1]]).toEqual(first);
    expect(d.tensors.find((t) => t.name === 'wfc')).toBeUndefined();
  });

  it('reads a QDQ model, folding DequantizeLinear of initializers into int8 / int32 constants', () => {
    const facts = EXPECTED['qdq_conv.onnx'];
    const d = read('qdq_conv.onnx');
    expect(d.quantStyle).toBe('qdq');
    expect(d.ops.map((o) => o.sourceOp)).toEqual(facts.ops.filter((_, i) => ![2, 3, 12].includes(i)));
    checkShapes(d, facts);
    const conv = opNamed(d, 'conv');
    const w = d.tensors[conv.inputs[1]!];
    const b = d.tensors[conv.inputs[2]!];
    expect([w.name, w.dtype, w.shape]).toEqual(['w', 'int8', [6, 3, 3, 3]]);
    expect(sum(w)).toBe(facts.initializers.w_q.sum);
    expect(w.quant!.axis).toBe(0);
    expect(w.quant!.scale[0]).toBe(Math.fround(facts.initializers.w_s.first[0]));
    expect([b.dtype, sum(b)]).toEqual(['int32', facts.initializers.b_q.sum]);
    expect(tensor(d, 'rq').quant).toEqual({ scale: [Math.fround(0.03)], zeroPoint: [-128], axis: null });
    const fc = tensor(d, 'fw');
    expect([fc.shape, sum(fc)]).toEqual([[5, 6], facts.initializers.fw_q.sum]);
  });

  it('reads an fp32 MobileNet-style CNN and marks it as needing quantization', () => {
    const facts = EXPECTED['fp32_mobilenet.onnx'];
    const d = read('fp32_mobilenet.onnx');
    expect([d.quantStyle, d.needsQuantization, d.dynamicBatch]).toEqual(['float', true, true]);
    expect(d.ops.map((o) => o.sourceOp)).toEqual(facts.ops);
    expect(d.ops.map((o) => o.kind)).toEqual([
      'conv2d',
      'relu',
      'depthwiseConv2d',
      'relu6',
      'conv2d',
      'relu',
      'maxPool2d',
      'depthwiseConv2d',
      'relu',
      'conv2d',
      'add',
      'pad',
      'averagePool2d',
      'mean',
      'reshape',
      'fullyConnected',
      'softmax',
    ]);
    checkShapes(d, facts);
    checkConstants(d, facts, ['c0_w', 'dw1_w', 'pw1_w', 'dw2_w', 'fc_w', 'fc_b']);
    expect(opNamed(d, 'pad').options).toEqual({
      paddings: [
        [0, 0],
        [0, 0],
        [1, 1],
        [1, 1],
      ],
    });
    expect(opNamed(d, 'softmax').options).toEqual({ beta: 1, axis: 1 });
    expect(d.tensors.every((t) => t.quant === null)).toBe(true);
  });

  it("folds PyTorch's view(x.size(0), -1) shape arithmetic and Identity; transposes Gemm [in, out] weights", () => {
    const facts = EXPECTED['pytorch_flatten.onnx'];
    const d = read('pytorch_flatten.onnx');
    expect(d.ops.map((o) => o.kind)).toEqual(['conv2d', 'relu', 'reshape', 'fullyConnected']);
    const view = opNamed(d, 'view');
    expect(view.options).toEqual({ newShape: [1, -1] });
    expect(d.tensors[view.inputs[0]!].name).toBe('r');
    expect(d.tensors[view.outputs[0]].shape).toEqual([1, 48]);
    expect(tensor(d, 'c').shape).toEqual(facts.value_info.c);
    const w = tensor(d, 'fc_w^T');
    expect(w.shape).toEqual([5, 48]);
    expect([w.data![0], w.data![48], w.data![96], w.data![144]]).toEqual(
      facts.initializers.fc_w.first.map((v) => Math.fround(v)),
    );
    expect(sum(w)).toBeCloseTo(facts.initializers.fc_w.sum, 4);
    expect(d.tensors[d.outputs[0]].shape).toEqual([1, 5]);
  });

  it('refuses an unsupported op naming it, the node and the supported ops', () => {
    const e = importError('refuse_sigmoid.onnx');
    expect(e.kind).toBe('unsupported-op');
    expect(e.message).toMatch(/node #1 "gate" is Sigmoid/);
    expect(e.message).toContain('QLinearConv');
  });

  it('refuses dynamic spatial sizes and uint8 quantization', () => {
    const dyn = importError('refuse_dynamic.onnx');
    expect(dyn.kind).toBe('dynamic-shape');
    expect(dyn.message).toContain('[1,3,H,W]');
    const u8 = importError('refuse_uint8.onnx');
    expect(u8.kind).toBe('unsupported-dtype');
    expect(u8.message).toContain('uint8');
  });

  it('refuses truncated files, garbage and a model whose opset imports were cut', () => {
    const bytes = fixture('qoperator_conv.onnx');
    for (const cut of [3, 200, bytes.length >> 1, bytes.length - 40])
      expect(importError('cut.onnx', bytes.slice(0, cut)).kind, `cut at ${cut}`).toBe('truncated');
    expect(importError('cut.onnx', bytes.slice(0, bytes.length - 19)).message).toContain('com.microsoft');
    const junk = new Uint8Array(64).map((_, i) => (i * 37 + 11) & 255);
    expect(importError('junk.onnx', junk).kind).toBe('not-a-model');
  });
});
