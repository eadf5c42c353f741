/**
 * Test support only (nothing in the importer imports it): writes small .tflite files from a plain spec with the
 * flatbuffers Builder, so the reader can be tested on ops and corner cases the three real models lack.
 * Slots follow tflite-schema.ts; options tables are written as [slot, kind, value] triples.
 */
import { Builder } from 'flatbuffers';

export interface SpecTensor {
  shape: number[];
  /** TensorType code: 0 FLOAT32, 2 INT32, 7 INT16, 9 INT8. */
  type: number;
  name: string;
  data?: Int8Array | Int32Array;
  scale?: number[];
  zeroPoint?: number[];
  quantizedDimension?: number;
  shapeSignature?: number[];
}
export type OptionField = [
  slot: number,
  kind: 'int8' | 'int32' | 'float32' | 'bool' | 'int32s',
  value: number | number[],
];
export interface SpecOp {
  code: number;
  inputs: number[];
  outputs: number[];
  optionsType?: number;
  options?: OptionField[];
}
export interface TfliteSpec {
  tensors: SpecTensor[];
  ops: SpecOp[];
  inputs: number[];
  outputs: number[];
}

function intVector(b: Builder, values: number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i]);
  return b.endVector();
}
function offsetVector(b: Builder, offsets: number[]): number {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]);
  return b.endVector();
}

function quantization(b: Builder, t: SpecTensor): number {
  b.startVector(4, t.scale!.length, 4);
  for (let i = t.scale!.length - 1; i >= 0; i--) b.addFloat32(t.scale![i]);
  const scale = b.endVector();
  const zps = t.zeroPoint ?? t.scale!.map(() => 0);
  b.startVector(8, zps.length, 8);
  for (let i = zps.length - 1; i >= 0; i--) b.addInt64(BigInt(zps[i]));
  const zp = b.endVector();
  b.startObject(7);
  b.addFieldOffset(2, scale, 0);
  b.addFieldOffset(3, zp, 0);
  b.addFieldInt32(6, t.quantizedDimension ?? 0, 0);
  return b.endObject();
}

function options(b: Builder, fields: OptionField[]): number {
  const vectors = fields.map(([, kind, v]) => (kind === 'int32s' ? intVector(b, v as number[]) : 0));
  b.startObject(8);
  fields.forEach(([slot, kind, v], i) => {
    if (kind === 'int8') b.addFieldInt8(slot, v as number, null);
    if (kind === 'bool') b.addFieldInt8(slot, v as number, null);
    if (kind === 'int32') b.addFieldInt32(slot, v as number, null);
    if (kind === 'float32') b.addFieldFloat32(slot, v as number, null);
    if (kind === 'int32s') b.addFieldOffset(slot, vectors[i], 0);
  });
  return b.endObject();
}

export function buildTflite(spec: TfliteSpec): Uint8Array {
  const b = new Builder(1024);
  // Buffer 0 is the empty sentinel; constant tensors get buffers 1, 2, ...
  const buffers = [(b.startObject(1), b.endObject())];
  const bufferOf = spec.tensors.map((t) => {
    if (!t.data) return 0;
    const data = b.createByteVector(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    b.startObject(3);
    b.addFieldOffset(0, data, 0);
    buffers.push(b.endObject());
    return buffers.length - 1;
  });
  const tensors = spec.tensors.map((t, i) => {
    const shape = intVector(b, t.shape);
    const name = b.createString(t.name);
    const quant = t.scale ? quantization(b, t) : 0;
    const sig = t.shapeSignature ? intVector(b, t.shapeSignature) : 0;
    b.startObject(8);
    b.addFieldOffset(0, shape, 0);
    b.addFieldInt8(1, t.type, 0);
    b.addFieldInt32(2, bufferOf[i], 0);
    b.addFieldOffset(3, name, 0);
    if (quant) b.addFieldOffset(4, quant, 0);
    if (sig) b.addFieldOffset(7, sig, 0);
    return b.endObject();
  });
  const codes = [...new Set(spec.ops.map((o) => o.code))];
  const opcodes = codes.map((code) => {
    b.startObject(4);
    b.addFieldInt8(0, Math.min(code, 127), 0);
    b.addFieldInt32(3, code, 0);
    return b.endObject();
  });
  const ops = spec.ops.map((o) => {
    const inputs = intVector(b, o.inputs);
    const outputs = intVector(b, o.outputs);
    const opts = o.options ? options(b, o.options) : 0;
    b.startObject(5);
    b.addFieldInt32(0, codes.indexOf(o.code), 0);
    b.addFieldOffset(1, inputs, 0);
    b.addFieldOffset(2, outputs, 0);
    if (opts) {
      b.addFieldInt8(3, o.optionsType ?? 0, 0);
      b.addFieldOffset(4, opts, 0);
    }
    return b.endObject();
  });
  const sgTensors = offsetVector(b, tensors);
  const sgInputs = intVector(b, spec.inputs);
  const sgOutputs = intVector(b, spec.outputs);
  const sgOps = offsetVector(b, ops);
  b.startObject(5);
  b.addFieldOffset(0, sgTensors, 0);
  b.addFieldOffset(1, sgInputs, 0);
  b.addFieldOffset(2, sgOutputs, 0);
  b.addFieldOffset(3, sgOps, 0);
  const subgraph = b.endObject();
  const opcodeVec = offsetVector(b, opcodes);
  const subgraphVec = offsetVector(b, [subgraph]);
  const bufferVec = offsetVector(b, buffers);
  b.startObject(5);
  b.addFieldInt32(0, 3, 0);
  b.addFieldOffset(1, opcodeVec, 0);
  b.addFieldOffset(2, subgraphVec, 0);
  b.addFieldOffset(4, bufferVec, 0);
  b.finish(b.endObject(), 'TFL3');
  return b.asUint8Array();
}
