/**
 * Post-training quantization of a float description (an fp32 ONNX or TFLite model) into an int8 one with int8
 * ops, from activation ranges calibrated on the user's images (whoever runs the float model supplies them).
 *
 * 1. Weights: per-channel symmetric int8, scale_c = max|w_c| / 127, q = round(w / scale_c) (axis: output
 *    channels; NHWC depthwise weights [1, H, W, C*M] along 3). Biases: int32 at scale x_scale * w_scale_c.
 * 2. Activations: per-tensor asymmetric int8 over [min(lo, 0), max(hi, 0)]: scale = (hi - lo) / 255,
 *    zero point = round(-128 - lo / scale), so real 0 is exact (zero padding, ReLU).
 * 3. A ReLU / ReLU6 that is the only reader of a conv / fully connected output is fused: the op writes the
 *    activation's output (its range starts at 0, so zero point -128 and saturation is the ReLU).
 * 4. Max pool, reshape and pad keep their input's parameters; add, average pool and mean get their own.
 * 5. The float graph input gets a QuantizeLinear; an int8 graph output a DequantizeLinear (the output keeps its
 *    name, the int8 tensor is `name_quantized`); a softmax runs in float after a DequantizeLinear.
 */
import { checkDescription } from './check';
import {
  ImportError,
  elementCount,
  type Activation,
  type ModelDescription,
  type OpDesc,
  type TensorDesc,
  type TensorQuant,
} from './types';

export interface Range {
  min: number;
  max: number;
}

/** Activation quantization over a calibrated range (step 2). */
export function activationQuant(r: Range): TensorQuant {
  const lo = Math.min(r.min, 0);
  const hi = Math.max(r.max, 0, lo + 1e-6);
  const scale = Math.fround((hi - lo) / 255);
  const zeroPoint = Math.max(-128, Math.min(127, Math.round(-128 - lo / scale)));
  return { scale: [scale], zeroPoint: [zeroPoint], axis: null };
}

/** Per-channel symmetric weights along `axis` (step 1). */
export function quantizeWeights(
  w: Float32Array,
  shape: number[],
  axis: number,
): { data: Int8Array; quant: TensorQuant } {
  const channels = shape[axis];
  const inner = elementCount(shape.slice(axis + 1));
  const amax = new Float64Array(channels);
  w.forEach((v, i) => {
    const c = Math.floor(i / inner) % channels;
    amax[c] = Math.max(amax[c], Math.abs(v));
  });
  const scale = Array.from(amax, (a) => Math.fround(a > 0 ? a / 127 : 1));
  const data = Int8Array.from(w, (v, i) => {
    const q = Math.round(v / scale[Math.floor(i / inner) % channels]);
    return Math.max(-127, Math.min(127, q));
  });
  return { data, quant: { scale, zeroPoint: scale.map(() => 0), axis } };
}

class Quantizer {
  readonly tensors: TensorDesc[] = [];
  readonly ops: OpDesc[] = [];
  /** Float tensor id -> its int8 (or float, after a softmax) counterpart. */
  private readonly map = new Map<number, number>();
  private readonly fusedAway = new Set<OpDesc>();

  constructor(
    readonly d: ModelDescription,
    readonly range: (id: number) => Range,
  ) {}

  fail(what: string): never {
    throw new ImportError('invalid', `quantization: ${what}`);
  }

  add(t: Omit<TensorDesc, 'id'>): number {
    this.tensors.push({ ...t, id: this.tensors.length });
    return this.tensors.length - 1;
  }

  private outName(id: number): string {
    const name = this.d.tensors[id].name;
    return this.d.outputs.includes(id) ? `${name}_quantized` : name;
  }

  /** An int8 activation tensor standing for float tensor `id`. */
  int8(id: number, quant: TensorQuant): number {
    const t = this.d.tensors[id];
    const q = this.add({ name: this.outName(id), shape: t.shape, dtype: 'int8', quant, data: null });
    this.map.set(id, q);
    return q;
  }

  input(id: number | null): number {
    const q = id === null ? undefined : this.map.get(id);
    if (q === undefined)
      this.fail(`tensor ${id === null ? '(none)' : this.d.tensors[id].name} is not available in int8`);
    return q;
  }

  quantOf(id: number): TensorQuant {
    return this.tensors[this.input(id)].quant!;
  }

  graphInput(id: number): void {
    const t = this.d.tensors[id];
    const x = this.add({ name: t.name, shape: t.shape, dtype: 'float32', quant: null, data: null });
    const xq = this.add({
      name: `${t.name}_quantized`,
      shape: t.shape,
      dtype: 'int8',
      quant: activationQuant(this.range(id)),
      data: null,
    });
    this.map.set(id, xq);
    this.ops.push({
      kind: 'quantize',
      sourceOp: 'QuantizeLinear',
      name: `${t.name}/quantize`,
      inputs: [x],
      outputs: [xq],
      options: {},
    });
  }

  /** The ReLU / ReLU6 that may be fused into the op writing `id` (step 3). */
  fusable(id: number): Extract<OpDesc, { kind: 'relu' | 'relu6' }> | null {
    if (this.d.outputs.includes(id)) return null;
    const readers = this.d.ops.filter((o) => o.inputs.includes(id));
    const r = readers[0];
    return readers.length === 1 && (r.kind === 'relu' || r.kind === 'relu6') ? r : null;
  }

  weighted(op: Extract<OpDesc, { kind: 'conv2d' | 'depthwiseConv2d' | 'fullyConnected' }>): void {
    const [x, w, b] = op.inputs;
    const xq = this.input(x);
    const wt = this.d.tensors[w!];
    if (!(wt.data instanceof Float32Array)) this.fail(`op ${op.name} has weights that are not float constants`);
    const axis = op.kind === 'depthwiseConv2d' && this.d.layout === 'NHWC' ? 3 : 0;
    const qw = quantizeWeights(wt.data, wt.shape, axis);
    const wq = this.add({ name: wt.name, shape: wt.shape, dtype: 'int8', quant: qw.quant, data: qw.data });
    let bq: number | null = null;
    if (b !== null && b !== undefined) {
      const bt = this.d.tensors[b];
      const xs = this.tensors[xq].quant!.scale[0];
      const scale = qw.quant.scale.map((s) => Math.fround(xs * s));
      const data = Int32Array.from(bt.data as Float32Array, (v, i) => Math.round(v / scale[i]));
      const quant = { scale, zeroPoint: scale.map(() => 0), axis: scale.length > 1 ? 0 : null };
      bq = this.add({ name: bt.name, shape: bt.shape, dtype: 'int32', quant, data });
    }
    const relu = this.fusable(op.outputs[0]);
    const outId = relu ? relu.outputs[0] : op.outputs[0];
    const activation: Activation = relu ? relu.kind : op.options.activation;
    if (relu) this.fusedAway.add(relu);
    const y = this.int8(outId, activationQuant(this.range(outId)));
    this.ops.push({ ...op, inputs: [xq, wq, bq], outputs: [y], options: { ...op.options, activation } } as OpDesc);
  }

  /** Ops whose int8 output keeps the input's parameters (max pool, reshape, pad) or gets its own. */
  simple(op: OpDesc, shareQuant: boolean): void {
    const inputs = op.inputs.map((i) => this.input(i));
    const quant = shareQuant ? this.quantOf(op.inputs[0]!) : activationQuant(this.range(op.outputs[0]));
    const y = this.int8(op.outputs[0], quant);
    this.ops.push({ ...op, inputs, outputs: [y] } as OpDesc);
  }

  dequantized(id: number): number {
    const q = this.input(id);
    if (this.tensors[q].dtype !== 'int8') return q;
    const t = this.d.tensors[id];
    const name = this.d.outputs.includes(id) ? t.name : `${t.name}_dequantized`;
    const f = this.add({ name, shape: t.shape, dtype: 'float32', quant: null, data: null });
    this.ops.push({
      kind: 'dequantize',
      sourceOp: 'DequantizeLinear',
      name: `${t.name}/dequantize`,
      inputs: [q],
      outputs: [f],
      options: {},
    });
    return f;
  }

  op(op: OpDesc): void {
    if (this.fusedAway.has(op)) return;
    switch (op.kind) {
      case 'conv2d':
      case 'depthwiseConv2d':
      case 'fullyConnected':
        return this.weighted(op);
      case 'maxPool2d':
      case 'reshape':
      case 'pad':
        return this.simple(op, true);
      case 'add':
      case 'averagePool2d':
      case 'mean':
        return this.simple(op, false);
      case 'softmax': {
        const x = this.dequantized(op.inputs[0]!);
        const t = this.d.tensors[op.outputs[0]];
        const y = this.add({ name: t.name, shape: t.shape, dtype: 'float32', quant: null, data: null });
        this.map.set(op.outputs[0], y);
        this.ops.push({ ...op, inputs: [x], outputs: [y] });
        return;
      }
      default:
        return this.fail(
          `op ${op.name} (${op.sourceOp}) has no int8 form here; a ReLU must follow a conv or fully connected op`,
        );
    }
  }
}

/**
 * The int8 description of float model `d` (steps 1-5). `range(id)` gives the calibrated range of float
 * activation tensor `id` of `d` (graph input, every op output).
 */
export function quantizeModel(d: ModelDescription, range: (id: number) => Range): ModelDescription {
  if (!d.needsQuantization) throw new ImportError('invalid', 'quantization: the model is already quantized');
  const q = new Quantizer(d, range);
  if (d.inputs.length !== 1) q.fail(`the model has ${d.inputs.length} inputs; one is supported`);
  q.graphInput(d.inputs[0]);
  for (const op of d.ops) q.op(op);
  const outputs = d.outputs.map((id) => q.dequantized(id));
  const out: ModelDescription = {
    ...d,
    quantStyle: 'int8-ops',
    needsQuantization: false,
    tensors: q.tensors,
    ops: q.ops,
    inputs: [0],
    outputs,
    producer: `${d.producer} (quantized by TinyTrain Playground)`.trim(),
  };
  const problems = checkDescription(out);
  if (problems.length > 0) q.fail(problems[0]);
  return out;
}
