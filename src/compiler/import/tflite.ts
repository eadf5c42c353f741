/**
 * TFLite reader: a .tflite FlatBuffer (schema version 3) -> ModelDescription.
 *
 * Steps: 1. size and file identifier "TFL3"; 2. one subgraph; 3. every operator's code is one we read (else
 * 'unsupported-op' naming it, before anything else is looked at); 4. each op becomes a typed OpDesc, pulling in
 * the tensors it uses (dtype int8/int32/fp32, static shape, quantization, constant data checked against the
 * shape); 5. graph inputs/outputs. Any failure throws ImportError; nothing partial is returned.
 */
import { FlatReader } from './flatbuffer-reader';
import {
  SLOT,
  SUPPORTED_BUILTINS,
  TENSOR_TYPE,
  TENSOR_TYPE_NAMES,
  builtinName,
  type SupportedBuiltin,
} from './tflite-schema';
import { convertTfliteOp, type RawOp } from './tflite-ops';
import { assertSound } from './check';
import {
  ImportError,
  checkSize,
  elementCount,
  type ImportDType,
  type ModelDescription,
  type TensorDesc,
  type TensorQuant,
} from './types';

export const TFLITE_IDENTIFIER = 'TFL3';

export function isTflite(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && String.fromCharCode(...bytes.subarray(4, 8)) === TFLITE_IDENTIFIER;
}

const SUPPORTED_LIST = Object.keys(SUPPORTED_BUILTINS).join(', ');
const CODE_TO_OP = new Map<number, SupportedBuiltin>(
  Object.entries(SUPPORTED_BUILTINS).map(([k, v]) => [v, k as SupportedBuiltin]),
);

/** What the op converters see: the file plus lazily converted tensors. */
export class TfliteContext {
  readonly tensors: TensorDesc[] = [];
  dynamicBatch = false;
  private readonly ids = new Map<number, number>();

  constructor(
    readonly fb: FlatReader,
    readonly fileName: string,
    private readonly tensorTables: number[],
    private readonly bufferTables: number[],
  ) {}

  fail(kind: ConstructorParameters<typeof ImportError>[0], what: string): never {
    throw new ImportError(kind, `${this.fileName}: ${what}`);
  }

  tensorName(index: number): string {
    return this.fb.string(this.table(index), SLOT.Tensor.name) || `#${index}`;
  }

  private table(index: number): number {
    const t = this.tensorTables[index];
    if (t === undefined) this.fail('invalid', `tensor index ${index} is out of range (${this.tensorTables.length})`);
    return t;
  }

  /** The raw bytes of a tensor's constant buffer, or null for an activation. */
  constantBytes(index: number): Uint8Array | null {
    const b = this.fb.uint32(this.table(index), SLOT.Tensor.buffer);
    if (b === 0) return null;
    const buf = this.bufferTables[b];
    if (buf === undefined) this.fail('invalid', `tensor ${this.tensorName(index)} names missing buffer ${b}`);
    const offset = this.fb.uint64(buf, SLOT.Buffer.offset);
    const data =
      offset > 1n
        ? this.fb.slice(Number(offset), Number(this.fb.uint64(buf, SLOT.Buffer.size)))
        : this.fb.bytes(buf, SLOT.Buffer.data);
    return data && data.length > 0 ? data : null;
  }

  /** A small integer constant (reshape shape, pad paddings, mean axes): int32 or int64, any shape. */
  intConstant(index: number, what: string): number[] {
    const t = this.table(index);
    const type = this.fb.int8(t, SLOT.Tensor.type);
    const raw = this.constantBytes(index);
    if (!raw || (type !== TENSOR_TYPE.INT32 && type !== TENSOR_TYPE.INT64))
      this.fail('invalid', `the ${what} (tensor ${this.tensorName(index)}) must be a constant int32 or int64 tensor`);
    const copy = new Uint8Array(raw);
    return type === TENSOR_TYPE.INT32
      ? Array.from(new Int32Array(copy.buffer, 0, copy.length >> 2))
      : Array.from(new BigInt64Array(copy.buffer, 0, copy.length >> 3), Number);
  }

  shapeOf(index: number): number[] {
    return this.fb.int32s(this.table(index), SLOT.Tensor.shape) ?? [];
  }

  /** The id of a tensor in the description, converting and checking it on first use. */
  tensor(index: number): number {
    const known = this.ids.get(index);
    if (known !== undefined) return known;
    const desc = this.convertTensor(index, this.tensors.length);
    this.tensors.push(desc);
    this.ids.set(index, desc.id);
    return desc.id;
  }

  private convertTensor(index: number, id: number): TensorDesc {
    const t = this.table(index);
    const name = this.tensorName(index);
    const dtype = this.dtype(t, name);
    const shape = this.staticShape(t, name);
    if (this.fb.bool(t, SLOT.Tensor.isVariable))
      this.fail('invalid', `tensor ${name} is a variable (stateful) tensor; only stateless models are supported`);
    if (this.fb.table(t, SLOT.Tensor.sparsity) !== null)
      this.fail('invalid', `tensor ${name} is stored sparse; only dense tensors are supported`);
    const quant = this.quant(t, name, shape);
    const raw = this.constantBytes(index);
    let data: TensorDesc['data'] = null;
    if (raw) {
      const n = elementCount(shape);
      const width = dtype === 'int8' ? 1 : 4;
      if (raw.length !== n * width)
        this.fail('invalid', `tensor ${name} holds ${raw.length} bytes but its shape [${shape}] needs ${n * width}`);
      const copy = new Uint8Array(raw);
      data =
        dtype === 'int8'
          ? new Int8Array(copy.buffer)
          : dtype === 'int32'
            ? new Int32Array(copy.buffer)
            : new Float32Array(copy.buffer);
    }
    return { id, name, shape, dtype, quant, data };
  }

  private dtype(t: number, name: string): ImportDType {
    const type = this.fb.int8(t, SLOT.Tensor.type);
    if (type === TENSOR_TYPE.INT8) return 'int8';
    if (type === TENSOR_TYPE.INT32) return 'int32';
    if (type === TENSOR_TYPE.FLOAT32) return 'float32';
    const typeName = TENSOR_TYPE_NAMES[type] ?? `type ${type}`;
    return this.fail('unsupported-dtype', `tensor ${name} is ${typeName}; supported: INT8, INT32, FLOAT32`);
  }

  /** Shapes must be static; a -1 batch in shape_signature (Keras' None) is accepted as batch 1. */
  private staticShape(t: number, name: string): number[] {
    const shape = this.fb.int32s(t, SLOT.Tensor.shape) ?? [];
    const signature = this.fb.int32s(t, SLOT.Tensor.shapeSignature);
    const dynamicAt = shape.findIndex((d) => d <= 0);
    const sigAt = signature ? signature.findIndex((d, i) => d < 0 && i > 0) : -1;
    if (dynamicAt >= 0 || sigAt >= 0)
      this.fail('dynamic-shape', `tensor ${name} has a dynamic shape [${signature ?? shape}]; shapes must be static`);
    if (signature && signature.length > 0 && signature[0] < 0) {
      if (shape[0] !== 1) this.fail('dynamic-shape', `tensor ${name} has a variable batch of ${shape[0]}`);
      this.dynamicBatch = true;
    }
    return shape;
  }

  /**
   * Per-tensor (one scale) or per-channel along quantized_dimension. With a single scale the dimension is
   * ignored: early TFLite Micro files mark per-tensor weights with quantized_dimension 3.
   */
  private quant(t: number, name: string, shape: number[]): TensorQuant | null {
    const q = this.fb.table(t, SLOT.Tensor.quantization);
    if (q === null) return null;
    if (this.fb.uint8(q, SLOT.Quantization.detailsType) !== 0)
      this.fail('invalid', `tensor ${name} uses custom quantization; only affine (scale, zero point) is supported`);
    const scale = this.fb.float32s(q, SLOT.Quantization.scale) ?? [];
    if (scale.length === 0) return null;
    const zeroPoint = this.fb.int64s(q, SLOT.Quantization.zeroPoint) ?? [];
    if (zeroPoint.length !== scale.length)
      this.fail('invalid', `tensor ${name} has ${scale.length} scales but ${zeroPoint.length} zero points`);
    if (scale.some((s) => !(s > 0) || !Number.isFinite(s)))
      this.fail('invalid', `tensor ${name} has a scale that is not a positive finite number`);
    if (scale.length === 1) return { scale, zeroPoint, axis: null };
    const axis = this.fb.int32(q, SLOT.Quantization.quantizedDimension);
    if (shape[axis] !== scale.length)
      this.fail(
        'invalid',
        `tensor ${name} has ${scale.length} scales but dimension ${axis} of [${shape}] is ${shape[axis]}`,
      );
    return { scale, zeroPoint, axis };
  }
}

function readOperatorCodes(fb: FlatReader, model: number): number[] {
  return fb.tables(model, SLOT.Model.operatorCodes).map((oc) =>
    // Schema 3a: the int8 deprecated field holds codes below 127, the int32 field the rest.
    Math.max(fb.int8(oc, SLOT.OperatorCode.deprecatedBuiltinCode), fb.int32(oc, SLOT.OperatorCode.builtinCode)),
  );
}

function readRawOps(fb: FlatReader, subgraph: number, codes: number[], fileName: string): RawOp[] {
  return fb.tables(subgraph, SLOT.SubGraph.operators).map((op, index) => {
    const opcode = fb.uint32(op, SLOT.Operator.opcodeIndex);
    const code = codes[opcode];
    if (code === undefined) throw new ImportError('invalid', `${fileName}: operator #${index} has no operator code`);
    const kind = CODE_TO_OP.get(code);
    if (!kind)
      throw new ImportError(
        'unsupported-op',
        `${fileName}: operator #${index} is ${builtinName(code)}, which is not supported; supported: ${SUPPORTED_LIST}`,
      );
    return {
      index,
      builtin: kind,
      inputs: fb.int32s(op, SLOT.Operator.inputs) ?? [],
      outputs: fb.int32s(op, SLOT.Operator.outputs) ?? [],
      optionsType: fb.uint8(op, SLOT.Operator.optionsType),
      options: fb.table(op, SLOT.Operator.options),
    };
  });
}

export function readTflite(bytes: Uint8Array, fileName: string): ModelDescription {
  checkSize(bytes, fileName);
  if (!isTflite(bytes))
    throw new ImportError('not-a-model', `${fileName}: not a TFLite model (no "TFL3" file identifier)`);
  const fb = new FlatReader(bytes, fileName);
  const model = fb.root();
  const version = fb.uint32(model, SLOT.Model.version);
  if (version !== 3)
    throw new ImportError('invalid', `${fileName}: TFLite schema version ${version} is not supported (expected 3)`);
  const subgraphs = fb.tables(model, SLOT.Model.subgraphs);
  if (subgraphs.length !== 1)
    throw new ImportError(
      'invalid',
      `${fileName}: the model has ${subgraphs.length} subgraphs; only single-subgraph models are supported`,
    );
  const sg = subgraphs[0];
  const rawOps = readRawOps(fb, sg, readOperatorCodes(fb, model), fileName);
  const ctx = new TfliteContext(
    fb,
    fileName,
    fb.tables(sg, SLOT.SubGraph.tensors),
    fb.tables(model, SLOT.Model.buffers),
  );
  const inputs = (fb.int32s(sg, SLOT.SubGraph.inputs) ?? []).map((i) => ctx.tensor(i));
  const ops = rawOps.map((raw) => convertTfliteOp(ctx, raw));
  const outputs = (fb.int32s(sg, SLOT.SubGraph.outputs) ?? []).map((i) => ctx.tensor(i));
  if (inputs.length === 0 || outputs.length === 0 || ops.length === 0)
    throw new ImportError('invalid', `${fileName}: the model has no inputs, outputs or operators`);
  const floatOps = ctx.tensors.some((t) => t.dtype === 'float32' && t.data !== null);
  return assertSound(
    {
      format: 'tflite',
      quantStyle: floatOps ? 'float' : 'int8-ops',
      needsQuantization: floatOps,
      layout: 'NHWC',
      tensors: ctx.tensors,
      ops,
      inputs,
      outputs,
      dynamicBatch: ctx.dynamicBatch,
      producer: fb.string(model, SLOT.Model.description),
    },
    fileName,
  );
}
