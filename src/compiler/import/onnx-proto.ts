/**
 * Decoding an .onnx file (a protobuf ModelProto) with protobufjs' light runtime and the ONNX schema, into
 * plain typed objects, plus the TensorProto -> typed array conversion. Errors become ImportError: a protobuf
 * that ends mid-field is 'truncated'; bytes that are not a ModelProto with a graph are 'not-a-model'.
 */
import protobuf from 'protobufjs/light.js';
import { ONNX_SCHEMA } from './onnx-schema.gen';
import { ImportError } from './types';

export interface OnnxTensor {
  name?: string;
  dims?: number[];
  data_type?: number;
  raw_data?: Uint8Array;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: number[];
  data_location?: number;
}
export interface OnnxAttribute {
  name: string;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: OnnxTensor;
  floats?: number[];
  ints?: number[];
}
export interface OnnxNode {
  input?: string[];
  output?: string[];
  name?: string;
  op_type?: string;
  domain?: string;
  attribute?: OnnxAttribute[];
}
interface OnnxDim {
  dim_value?: number;
  dim_param?: string;
}
export interface OnnxValueInfo {
  name?: string;
  type?: { tensor_type?: { elem_type?: number; shape?: { dim?: OnnxDim[] } } };
}
export interface OnnxGraph {
  name?: string;
  node?: OnnxNode[];
  initializer?: OnnxTensor[];
  input?: OnnxValueInfo[];
  output?: OnnxValueInfo[];
  value_info?: OnnxValueInfo[];
}
export interface OnnxModel {
  ir_version?: number;
  producer_name?: string;
  producer_version?: string;
  opset_import?: { domain?: string; version?: number }[];
  graph?: OnnxGraph;
}

/** TensorProto.DataType codes the importer meets. */
export const ONNX_DTYPE = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 } as const;
const DTYPE_NAMES = (
  'UNDEFINED FLOAT UINT8 INT8 UINT16 INT16 INT32 INT64 STRING BOOL FLOAT16 DOUBLE UINT32 UINT64 COMPLEX64 ' +
  'COMPLEX128 BFLOAT16'
).split(' ');
export function onnxDtypeName(code: number | undefined): string {
  return DTYPE_NAMES[code ?? 0] ?? `type ${code}`;
}

let modelType: protobuf.Type | null = null;
function modelProto(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(ONNX_SCHEMA).lookupType('onnx.ModelProto');
  return modelType;
}

export function decodeOnnx(bytes: Uint8Array, fileName: string): OnnxModel {
  // Writers serialize fields in number order, so a ModelProto starts with field 1 (ir_version, a varint): 0x08.
  if (bytes[0] !== 0x08)
    throw new ImportError('not-a-model', `${fileName}: not an ONNX model (it does not start with an IR version)`);
  let model: OnnxModel;
  try {
    const type = modelProto();
    model = type.toObject(type.decode(bytes), { longs: Number, arrays: true, defaults: false }) as OnnxModel;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/index out of range/i.test(msg))
      throw new ImportError('truncated', `${fileName}: the ONNX file is truncated (it ends inside a record)`);
    throw new ImportError('not-a-model', `${fileName}: not an ONNX model (${msg})`);
  }
  const g = model.graph;
  if (!model.ir_version || !g || (g.node ?? []).length === 0 || (g.output ?? []).length === 0)
    throw new ImportError('not-a-model', `${fileName}: not an ONNX model (no IR version, graph, nodes or outputs)`);
  if ((model.opset_import ?? []).length === 0)
    throw new ImportError('truncated', `${fileName}: the ONNX file declares no operator set (truncated?)`);
  return model;
}

/** The elements of a TensorProto as a typed array (int64 as numbers), checked against its dims. */
export function tensorValues(
  t: OnnxTensor,
  fail: (what: string) => never,
): Float32Array | Int8Array | Uint8Array | Int32Array | number[] {
  const name = t.name || '(unnamed)';
  if (t.data_location === 1) fail(`initializer ${name} keeps its data in an external file; embed it in the model`);
  const n = (t.dims ?? []).reduce((a, b) => a * b, 1);
  const raw = t.raw_data && t.raw_data.length > 0 ? new Uint8Array(t.raw_data) : null;
  let out: Float32Array | Int8Array | Uint8Array | Int32Array | number[];
  switch (t.data_type) {
    case ONNX_DTYPE.FLOAT:
      out = raw ? new Float32Array(raw.buffer, 0, raw.length >> 2) : Float32Array.from(t.float_data ?? []);
      break;
    case ONNX_DTYPE.INT8:
      out = raw ? new Int8Array(raw.buffer) : Int8Array.from(t.int32_data ?? []);
      break;
    case ONNX_DTYPE.UINT8:
      out = raw ? raw : Uint8Array.from(t.int32_data ?? []);
      break;
    case ONNX_DTYPE.INT32:
      out = raw ? new Int32Array(raw.buffer, 0, raw.length >> 2) : Int32Array.from(t.int32_data ?? []);
      break;
    case ONNX_DTYPE.INT64:
      out = raw ? Array.from(new BigInt64Array(raw.buffer, 0, raw.length >> 3), Number) : (t.int64_data ?? []);
      break;
    default:
      return fail(`initializer ${name} is ${onnxDtypeName(t.data_type)}; supported: INT8, INT32, FLOAT`);
  }
  if (out.length !== n) fail(`initializer ${name} holds ${out.length} values but its dims [${t.dims}] need ${n}`);
  return out;
}
