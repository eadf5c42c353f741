/**
 * ONNX reader: an .onnx ModelProto -> ModelDescription, for QOperator int8 models (QLinearConv, ...), QDQ int8
 * models (float ops between QuantizeLinear / DequantizeLinear) and fp32 models (marked needsQuantization).
 *
 * Steps: 1. decode (onnx-proto.ts); 2. every node's op is one we read (else 'unsupported-op' naming the op, the
 * node index and name, and the supported list); 3. graph inputs: static shapes (a symbolic batch is batch 1);
 * 4. nodes in file order (ONNX requires topological order): each converter infers its output shapes (checked
 * against the file's value_info when present) and folds scale / zero-point operands into tensor quantization.
 * A DequantizeLinear of an initializer is folded away: its consumers read the int8 / int32 constant itself.
 */
import { decodeOnnx, ONNX_DTYPE, onnxDtypeName, tensorValues, type OnnxModel, type OnnxTensor } from './onnx-proto';
import { ONNX_CONVERTERS, SUPPORTED_ONNX_OPS } from './onnx-ops';
import { assertSound } from './check';
import {
  ImportError,
  checkSize,
  type ImportDType,
  type ImportErrorKind,
  type ModelDescription,
  type OpDesc,
  type TensorDesc,
  type TensorQuant,
} from './types';

type Dims = (number | string | undefined)[];

export class OnnxContext {
  readonly tensors: TensorDesc[] = [];
  dynamicBatch = false;
  /** Version of the default ('' / ai.onnx) operator set. */
  readonly opset: number;
  private readonly ids = new Map<string, number>();
  private readonly constants = new Map<string, OnnxTensor>();
  private readonly valueInfo = new Map<string, Dims>();
  /** Outputs of DequantizeLinear nodes over initializers: name -> the quantized initializer and its params. */
  private readonly foldedDq = new Map<string, { source: string; quant: TensorQuant }>();

  constructor(
    readonly fileName: string,
    model: OnnxModel,
  ) {
    const g = model.graph!;
    const std = (model.opset_import ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
    this.opset = std?.version ?? 1;
    for (const t of g.initializer ?? []) if (t.name) this.constants.set(t.name, t);
    for (const v of [...(g.value_info ?? []), ...(g.output ?? [])])
      if (v.name && v.type?.tensor_type?.shape)
        this.valueInfo.set(
          v.name,
          (v.type.tensor_type.shape.dim ?? []).map((d) => d.dim_value ?? d.dim_param),
        );
  }

  fail(kind: ImportErrorKind, what: string): never {
    throw new ImportError(kind, `${this.fileName}: ${what}`);
  }

  addConstant(name: string, t: OnnxTensor): void {
    this.constants.set(name, { ...t, name });
  }
  isConstant(name: string): boolean {
    return this.constants.has(name) || this.foldedDq.has(name);
  }
  foldDequantize(output: string, source: string, quant: TensorQuant): void {
    this.foldedDq.set(output, { source, quant });
  }

  /** Values of a constant operand (initializer or Constant node). */
  values(name: string, what: string): ReturnType<typeof tensorValues> {
    const t = this.constants.get(name);
    if (!t) this.fail('invalid', `the ${what} (${name}) must be a constant initializer`);
    return tensorValues(t, (m) => this.fail('unsupported-dtype', m));
  }
  dtypeOf(name: string): number | undefined {
    return this.constants.get(name)?.data_type;
  }
  dimsOf(name: string): number[] {
    return this.constants.get(this.foldedDq.get(name)?.source ?? name)?.dims ?? [];
  }
  /** Identity: `name` is another name of tensor `id`. */
  alias(name: string, id: number): void {
    if (this.ids.has(name)) this.fail('invalid', `${name} is defined twice`);
    this.ids.set(name, id);
  }
  aliasConstant(name: string, source: string): void {
    const folded = this.foldedDq.get(source);
    if (folded) this.foldedDq.set(name, folded);
    else this.constants.set(name, { ...this.constants.get(source)!, name });
  }

  /** The description id of an op input: an earlier output, a graph input or a constant (created on first use). */
  input(name: string, node: string): number {
    return this.ids.get(name) ?? this.add(this.constantTensor(name, node));
  }

  /** A constant operand as a tensor (not yet listed), with its folded DequantizeLinear parameters if any. */
  constantTensor(name: string, node: string): Omit<TensorDesc, 'id'> {
    const folded = this.foldedDq.get(name);
    const source = folded ? folded.source : name;
    const t = this.constants.get(source);
    if (!t) this.fail('invalid', `node ${node} reads ${name}, which no earlier node produces`);
    const dtype = importDtype(t.data_type);
    if (!dtype)
      this.fail(
        'unsupported-dtype',
        `${source} (read by node ${node}) is ${onnxDtypeName(t.data_type)}; supported: INT8, INT32, FLOAT`,
      );
    const data = this.values(source, 'weight') as TensorDesc['data'];
    return { name, shape: [...(t.dims ?? [])], dtype, quant: folded?.quant ?? null, data };
  }

  shape(id: number): number[] {
    return this.tensors[id].shape;
  }

  add(t: Omit<TensorDesc, 'id'>): number {
    const id = this.tensors.length;
    this.tensors.push({ ...t, id });
    this.ids.set(t.name, id);
    return id;
  }

  /** A node output: its inferred shape must agree with the file's value_info when the file has one. */
  output(name: string, node: string, shape: number[], dtype: ImportDType, quant: TensorQuant | null): number {
    if (this.ids.has(name)) this.fail('invalid', `node ${node} writes ${name}, which is already defined`);
    if (shape.some((d) => !Number.isInteger(d) || d < 1))
      this.fail('invalid', `node ${node} produces ${name} with shape [${shape}]`);
    const declared = this.valueInfo.get(name);
    if (declared && declared.length > 0) {
      const agrees =
        declared.length === shape.length &&
        declared.every((d, i) => typeof d !== 'number' || d === shape[i] || (i === 0 && d === 0));
      if (!agrees) this.fail('invalid', `node ${node}: ${name} is declared [${declared}] but computes to [${shape}]`);
    }
    return this.add({ name, shape, dtype, quant, data: null });
  }

  /** Attaches quantization to a tensor; a second, different set of parameters is a contradiction. */
  setQuant(id: number, quant: TensorQuant, node: string): void {
    const t = this.tensors[id];
    if (t.quant === null) {
      t.quant = quant;
      return;
    }
    const same =
      t.quant.axis === quant.axis &&
      t.quant.scale.length === quant.scale.length &&
      t.quant.scale.every((s, i) => Math.fround(s) === Math.fround(quant.scale[i])) &&
      t.quant.zeroPoint.every((z, i) => z === quant.zeroPoint[i]);
    if (!same) this.fail('invalid', `node ${node} gives ${t.name} other quantization than an earlier node`);
  }

  graphInput(name: string, elemType: number | undefined, dims: Dims): number {
    const dtype = importDtype(elemType);
    if (!dtype || dtype === 'int32')
      this.fail('unsupported-dtype', `graph input ${name} is ${onnxDtypeName(elemType)}; supported: FLOAT, INT8`);
    const shape = dims.map((d, i) => {
      if (typeof d === 'number' && d > 0) return d;
      if (i === 0) {
        this.dynamicBatch = true;
        return 1;
      }
      return this.fail(
        'dynamic-shape',
        `graph input ${name} has a dynamic shape [${dims.map((x) => x ?? '?')}]; shapes must be static`,
      );
    });
    return this.add({ name, shape, dtype, quant: null, data: null });
  }

  id(name: string): number | undefined {
    return this.ids.get(name);
  }
}

function importDtype(code: number | undefined): ImportDType | null {
  if (code === ONNX_DTYPE.FLOAT) return 'float32';
  if (code === ONNX_DTYPE.INT8) return 'int8';
  if (code === ONNX_DTYPE.INT32) return 'int32';
  return null;
}

const SUPPORTED_LIST = SUPPORTED_ONNX_OPS.join(', ');
const MS_DOMAIN = 'com.microsoft';

function checkOps(model: OnnxModel, fileName: string): void {
  const domains = new Set((model.opset_import ?? []).map((o) => o.domain || ''));
  (model.graph!.node ?? []).forEach((n, index) => {
    if (n.domain && n.domain !== 'ai.onnx' && !domains.has(n.domain))
      throw new ImportError(
        'invalid',
        `${fileName}: node #${index} "${n.name ?? ''}" uses domain ${n.domain}, which the model does not import`,
      );
    const op = n.op_type ?? '';
    const domain = n.domain ?? '';
    const known = ONNX_CONVERTERS[op] !== undefined && (domain === '' || domain === 'ai.onnx' || domain === MS_DOMAIN);
    if (!known)
      throw new ImportError(
        'unsupported-op',
        `${fileName}: node #${index} "${n.name ?? ''}" is ${domain && domain !== 'ai.onnx' ? domain + '.' : ''}${op}, which is not supported; supported: ${SUPPORTED_LIST}`,
      );
  });
}

export function readOnnx(bytes: Uint8Array, fileName: string): ModelDescription {
  checkSize(bytes, fileName);
  const model = decodeOnnx(bytes, fileName);
  checkOps(model, fileName);
  const g = model.graph!;
  const ctx = new OnnxContext(fileName, model);
  const initializers = new Set((g.initializer ?? []).map((t) => t.name));
  const inputs = (g.input ?? [])
    .filter((v) => v.name && !initializers.has(v.name))
    .map((v) =>
      ctx.graphInput(
        v.name!,
        v.type?.tensor_type?.elem_type,
        (v.type?.tensor_type?.shape?.dim ?? []).map((d) => d.dim_value ?? d.dim_param),
      ),
    );
  const ops: OpDesc[] = [];
  (g.node ?? []).forEach((node, index) => {
    const op = ONNX_CONVERTERS[node.op_type!](ctx, node, node.name || `#${index}`);
    if (op) ops.push(op);
  });
  const outputs = (g.output ?? []).map((v) => {
    const id = ctx.id(v.name ?? '');
    if (id === undefined) return ctx.fail('invalid', `graph output ${v.name} is not produced by any node`);
    return id;
  });
  if (inputs.length === 0 || ops.length === 0)
    throw new ImportError('invalid', `${fileName}: the model has no graph inputs or no operators`);
  const int8Ops = ops.some((o) => o.sourceOp.startsWith('QLinear'));
  const qdq = ops.some((o) => o.kind === 'quantize' || o.kind === 'dequantize');
  const quantStyle = int8Ops ? 'int8-ops' : qdq ? 'qdq' : 'float';
  return assertSound(
    {
      format: 'onnx',
      quantStyle,
      needsQuantization: quantStyle === 'float',
      layout: 'NCHW',
      tensors: ctx.tensors,
      ops,
      inputs,
      outputs,
      dynamicBatch: ctx.dynamicBatch,
      producer: [model.producer_name, model.producer_version].filter(Boolean).join(' '),
    },
    fileName,
  );
}
