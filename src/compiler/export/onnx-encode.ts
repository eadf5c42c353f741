/**
 * The protobuf side of the ONNX writer: plain TensorProto / AttributeProto / NodeProto objects and the final
 * ModelProto encoding with protobufjs and the same ONNX schema the reader decodes with.
 */
import protobuf from 'protobufjs/light.js';
import { ONNX_SCHEMA } from '../import/onnx-schema.gen';
import { ONNX_DTYPE, type OnnxAttribute, type OnnxGraph, type OnnxNode, type OnnxTensor } from '../import/onnx-proto';

/** AttributeProto.AttributeType codes. */
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 } as const;

/** ONNX IR version 8 (ONNX 1.10+) and opset 14 (int8 Relu): both read by onnxruntime-web 1.30. */
export const IR_VERSION = 8;
export const OPSET = 14;
export const MS_DOMAIN = 'com.microsoft';

export type AttrValue = number | number[] | string | { float: number };

export function attribute(name: string, v: AttrValue): OnnxAttribute & { type: number } {
  if (typeof v === 'string') return { name, type: ATTR.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: ATTR.INTS, ints: v };
  if (typeof v === 'object') return { name, type: ATTR.FLOAT, f: v.float };
  return { name, type: ATTR.INT, i: v };
}

export function node(
  opType: string,
  name: string,
  inputs: string[],
  outputs: string[],
  attrs: Record<string, AttrValue> = {},
  domain = '',
): OnnxNode {
  const attribute_ = Object.entries(attrs).map(([k, v]) => attribute(k, v));
  return { op_type: opType, name, input: inputs, output: outputs, attribute: attribute_, domain };
}

export function tensorProto(
  name: string,
  dims: number[],
  data: Int8Array | Int32Array | Float32Array | BigInt64Array,
): OnnxTensor {
  const type =
    data instanceof Int8Array
      ? ONNX_DTYPE.INT8
      : data instanceof Int32Array
        ? ONNX_DTYPE.INT32
        : data instanceof Float32Array
          ? ONNX_DTYPE.FLOAT
          : ONNX_DTYPE.INT64;
  const raw = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  return { name, dims, data_type: type, raw_data: raw };
}

export interface ValueInfo {
  name: string;
  elemType: number;
  dims: (number | string)[];
}

const valueInfo = (v: ValueInfo) => ({
  name: v.name,
  type: {
    tensor_type: {
      elem_type: v.elemType,
      shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
    },
  },
});

export interface GraphParts {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  producer: string;
}

let modelType: protobuf.Type | null = null;

export function encodeModel(g: GraphParts): Uint8Array {
  modelType ??= protobuf.Root.fromJSON(ONNX_SCHEMA).lookupType('onnx.ModelProto');
  const usesMs = g.nodes.some((n) => n.domain === MS_DOMAIN);
  const graph: OnnxGraph = {
    name: g.name,
    node: g.nodes,
    initializer: g.initializers,
    input: g.inputs.map(valueInfo),
    output: g.outputs.map(valueInfo),
  };
  const model = {
    ir_version: IR_VERSION,
    producer_name: g.producer,
    producer_version: '1',
    opset_import: [{ domain: '', version: OPSET }, ...(usesMs ? [{ domain: MS_DOMAIN, version: 1 }] : [])],
    graph,
  };
  const message = modelType.fromObject(model);
  return modelType.encode(message).finish();
}
