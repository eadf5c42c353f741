/**
 * Test support only: hand-built descriptions that use every op kind with non-default options, with tensor ids
 * in the order a reader meets them (graph inputs, then each op's inputs and outputs), so a writer + reader
 * round trip must give them back exactly. Deterministic data from a small LCG.
 */
import type { ModelDescription, OpDesc, TensorDesc, TensorQuant } from '../import/types';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

class DescBuilder {
  readonly tensors: TensorDesc[] = [];
  readonly ops: OpDesc[] = [];
  readonly rand: () => number;
  constructor(seed: number) {
    this.rand = lcg(seed);
  }
  q(scale: number, zeroPoint: number): TensorQuant {
    return { scale: [Math.fround(scale)], zeroPoint: [zeroPoint], axis: null };
  }
  act(name: string, shape: number[], quant: TensorQuant | null, dtype: TensorDesc['dtype'] = 'int8'): number {
    this.tensors.push({ id: this.tensors.length, name, shape, dtype, quant, data: null });
    return this.tensors.length - 1;
  }
  weights(name: string, shape: number[], axis: number | null): number {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = Int8Array.from({ length: n }, () => Math.floor(this.rand() * 255) - 127);
    const channels = axis === null ? 1 : shape[axis];
    const scale = Array.from({ length: channels }, () => Math.fround(0.002 + this.rand() * 0.01));
    const quant = { scale, zeroPoint: scale.map(() => 0), axis };
    this.tensors.push({ id: this.tensors.length, name, shape, dtype: 'int8', quant, data });
    return this.tensors.length - 1;
  }
  bias(name: string, n: number, inScale: number, w: number): number {
    const wq = this.tensors[w].quant!;
    const scale = Array.from({ length: n }, (_, i) => Math.fround(inScale * wq.scale[wq.axis === null ? 0 : i]));
    const data = Int32Array.from({ length: n }, () => Math.floor(this.rand() * 2000) - 1000);
    const quant = { scale, zeroPoint: scale.map(() => 0), axis: wq.axis === null ? null : 0 };
    this.tensors.push({ id: this.tensors.length, name, shape: [n], dtype: 'int32', quant, data });
    return this.tensors.length - 1;
  }
  op(o: Omit<OpDesc, 'name'>): void {
    this.ops.push({ ...o, name: `#${this.ops.length}` } as OpDesc);
  }
}

/** NHWC int8: quantize, conv (SAME, stride 2, relu6), depthwise (VALID, dilation, relu), every other TFLite op. */
export function tfliteEveryOp(): ModelDescription {
  const b = new DescBuilder(7);
  const x = b.act('input', [1, 9, 9, 2], null, 'float32');
  const xq = b.act('input_q', [1, 9, 9, 2], b.q(0.05, -3));
  b.op({ kind: 'quantize', sourceOp: 'QUANTIZE', inputs: [x], outputs: [xq], options: {} });
  const w1 = b.weights('conv/w', [4, 3, 3, 2], 0);
  const b1 = b.bias('conv/b', 4, 0.05, w1);
  const c1 = b.act('conv', [1, 5, 5, 4], b.q(0.04, -128));
  const window = { stride: [2, 2] as [number, number], padding: { kind: 'same' as const } };
  b.op({
    kind: 'conv2d',
    sourceOp: 'CONV_2D',
    inputs: [xq, w1, b1],
    outputs: [c1],
    options: { ...window, dilation: [1, 1], activation: 'relu6', group: 1 },
  });
  const w2 = b.weights('dw/w', [1, 3, 3, 8], 3);
  const b2 = b.bias('dw/b', 8, 0.04, w2);
  const c2 = b.act('dw', [1, 1, 1, 8], b.q(0.03, -128));
  b.op({
    kind: 'depthwiseConv2d',
    sourceOp: 'DEPTHWISE_CONV_2D',
    inputs: [c1, w2, b2],
    outputs: [c2],
    options: { stride: [1, 2], padding: { kind: 'valid' }, dilation: [2, 2], activation: 'relu', depthMultiplier: 2 },
  });
  const p = b.act('pad', [1, 3, 3, 8], b.q(0.03, -128));
  b.op({
    kind: 'pad',
    sourceOp: 'PAD',
    inputs: [c2],
    outputs: [p],
    options: {
      paddings: [
        [0, 0],
        [1, 1],
        [1, 1],
        [0, 0],
      ],
    },
  });
  const ap = b.act('avgpool', [1, 2, 2, 8], b.q(0.03, -128));
  b.op({
    kind: 'averagePool2d',
    sourceOp: 'AVERAGE_POOL_2D',
    inputs: [p],
    outputs: [ap],
    options: { stride: [2, 2], padding: { kind: 'same' }, filter: [2, 2], activation: 'none' },
  });
  const mp = b.act('maxpool', [1, 1, 1, 8], b.q(0.03, -128));
  b.op({
    kind: 'maxPool2d',
    sourceOp: 'MAX_POOL_2D',
    inputs: [ap],
    outputs: [mp],
    options: { stride: [1, 1], padding: { kind: 'valid' }, filter: [2, 2], activation: 'relu' },
  });
  const sum = b.act('add', [1, 1, 1, 8], b.q(0.06, -100));
  b.op({ kind: 'add', sourceOp: 'ADD', inputs: [mp, mp], outputs: [sum], options: { activation: 'relu6' } });
  const mean = b.act('mean', [1, 8], b.q(0.06, -100));
  b.op({ kind: 'mean', sourceOp: 'MEAN', inputs: [sum], outputs: [mean], options: { axes: [1, 2], keepDims: false } });
  const r = b.act('relu', [1, 8], b.q(0.06, -100));
  b.op({ kind: 'relu', sourceOp: 'RELU', inputs: [mean], outputs: [r], options: {} });
  const r6 = b.act('relu6', [1, 8], b.q(0.06, -100));
  b.op({ kind: 'relu6', sourceOp: 'RELU6', inputs: [r], outputs: [r6], options: {} });
  const rs = b.act('reshape', [1, 1, 8], b.q(0.06, -100));
  b.op({ kind: 'reshape', sourceOp: 'RESHAPE', inputs: [r6], outputs: [rs], options: { newShape: [1, -1, 8] } });
  const w3 = b.weights('fc/w', [3, 8], 0);
  const b3 = b.bias('fc/b', 3, 0.06, w3);
  const fc = b.act('fc', [1, 3], b.q(0.1, 4));
  b.op({
    kind: 'fullyConnected',
    sourceOp: 'FULLY_CONNECTED',
    inputs: [rs, w3, b3],
    outputs: [fc],
    options: { activation: 'none' },
  });
  const sm = b.act('softmax', [1, 3], b.q(1 / 256, -128));
  b.op({ kind: 'softmax', sourceOp: 'SOFTMAX', inputs: [fc], outputs: [sm], options: { beta: 1, axis: -1 } });
  const y = b.act('output', [1, 3], null, 'float32');
  b.op({ kind: 'dequantize', sourceOp: 'DEQUANTIZE', inputs: [sm], outputs: [y], options: {} });
  return {
    format: 'tflite',
    quantStyle: 'int8-ops',
    needsQuantization: false,
    layout: 'NHWC',
    tensors: b.tensors,
    ops: b.ops,
    inputs: [x],
    outputs: [y],
    dynamicBatch: false,
    producer: 'test',
  };
}
