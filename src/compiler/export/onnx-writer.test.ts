/**
 * The ONNX writer against our own reader: read(write(d)) gives d back for every readable ONNX fixture
 * (QOperator, QDQ, fp32, PyTorch-style flatten); int8 fully connected layers with a bias go through QGemm;
 * TFLite-flavoured (NHWC) descriptions and forms ONNX cannot say are refused in one line.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readOnnx } from '../import/onnx';
import type { OpDesc } from '../import/types';
import { roundTripView } from './round-trip';
import { tfliteEveryOp } from './testing-descriptions';
import { ONNX_PRODUCER, writeOnnx } from './onnx-writer';

const FIXTURES = fileURLToPath(new URL('../import/fixtures/', import.meta.url));
const readable = readdirSync(FIXTURES).filter((f) => f.endsWith('.onnx') && !f.startsWith('refuse_'));
const load = (f: string) => readOnnx(new Uint8Array(readFileSync(FIXTURES + f)), f);

describe('ONNX writer', () => {
  it('has fixtures to round-trip', () => expect(readable.length).toBeGreaterThanOrEqual(4));

  it.each(readable)('read(write(d)) is d for %s', (file) => {
    const d = load(file);
    const bytes = writeOnnx(d);
    const back = readOnnx(bytes, 'exported.onnx');
    expect(roundTripView(back)).toEqual(roundTripView(d));
    expect(back.ops.map((o) => o.sourceOp)).toEqual(d.ops.map((o) => o.sourceOp));
    expect(back.quantStyle).toBe(d.quantStyle);
    expect(back.dynamicBatch).toBe(d.dynamicBatch);
    expect(back.producer).toContain(ONNX_PRODUCER);
    expect(writeOnnx(back)).toEqual(bytes);
  });

  it('writes an int8 fully connected layer with a bias as com.microsoft QGemm and reads it back', () => {
    const d = load('qoperator_conv.onnx');
    const fc = d.ops.find((o) => o.kind === 'fullyConnected')!;
    const w = d.tensors[fc.inputs[1]!];
    const n = w.shape[0];
    const x = d.tensors[fc.inputs[0]!];
    const scale = w.quant!.scale.map((s) => Math.fround(s * x.quant!.scale[0]));
    d.tensors.push({
      id: d.tensors.length,
      name: 'fc_bias',
      shape: [n],
      dtype: 'int32',
      quant: { scale, zeroPoint: scale.map(() => 0), axis: w.quant!.axis === null ? null : 0 },
      data: Int32Array.from({ length: n }, (_, i) => 100 * i - 50),
    });
    fc.inputs[2] = d.tensors.length - 1;
    const back = readOnnx(writeOnnx(d), 'qgemm.onnx');
    const fc2 = back.ops.find((o) => o.kind === 'fullyConnected')!;
    expect(fc2.sourceOp).toBe('QGemm');
    const b = back.tensors[fc2.inputs[2]!];
    expect(Array.from(b.data!)).toEqual(Array.from({ length: n }, (_, i) => 100 * i - 50));
    expect(back.tensors[fc2.inputs[1]!].quant).toEqual(w.quant);
    expect(Array.from(back.tensors[fc2.inputs[1]!].data!)).toEqual(Array.from(w.data!));
  });

  it('refuses NHWC descriptions in one line', () => {
    expect(() => writeOnnx(tfliteEveryOp())).toThrow(/NHWC description cannot be written as ONNX/);
  });

  it('writes a fused int8 activation as an int8 Clip at the zero point, none when saturation is the clamp', () => {
    const d = load('qoperator_conv.onnx');
    const conv = d.ops.find((o) => o.kind === 'conv2d') as Extract<OpDesc, { kind: 'conv2d' }>;
    const y = d.tensors[conv.outputs[0]];
    y.quant = { scale: [Math.fround(0.05)], zeroPoint: [3], axis: null };
    conv.options.activation = 'relu6';
    const back = readOnnx(writeOnnx(d), 'clip.onnx');
    const i = back.ops.findIndex((o) => o.name === conv.name);
    expect(back.ops[i + 1]).toMatchObject({ kind: 'relu6', sourceOp: 'Clip', outputs: [conv.outputs[0] + 1] });
    expect(back.tensors[back.ops[i + 1].outputs[0]].name).toBe(y.name);
    expect(back.tensors[back.ops[i].outputs[0]].quant).toEqual(back.tensors[back.ops[i + 1].outputs[0]].quant);
    y.quant = { scale: [Math.fround(6 / 255)], zeroPoint: [-128], axis: null };
    const saturating = readOnnx(writeOnnx(d), 'sat.onnx');
    expect(saturating.ops.length).toBe(d.ops.length);
  });

  it('writes a fused activation of a float op as a Relu node after it', () => {
    const d = load('fp32_mobilenet.onnx');
    const i = d.ops.findIndex((o) => o.kind === 'relu');
    const conv = d.ops[i - 1] as Extract<OpDesc, { kind: 'conv2d' }>;
    // Fold the relu into the conv: the conv writes the relu's output.
    conv.options.activation = 'relu';
    conv.outputs = d.ops[i].outputs;
    d.ops.splice(i, 1);
    const back = readOnnx(writeOnnx(d), 'fused.onnx');
    expect(back.ops.map((o) => o.kind)).toEqual(load('fp32_mobilenet.onnx').ops.map((o) => o.kind));
  });
});
