/**
 * Import mapping: a ModelDescription (TFLite int8 ops, ONNX QOperator or QDQ) -> the generic Model the
 * built-ins are (models/nodes.ts), so the compiler, the scheme editor, training and firmware work on it.
 *
 * The walk keeps, for every tensor of the file, the node of ours that holds its int8 value (`rep`):
 * - QUANTIZE of the float model input sets the model's input quantization; DEQUANTIZE and a final SOFTMAX at
 *   the output are dropped (training uses its own softmax cross-entropy); a QDQ float op's output is the
 *   QuantizeLinear after it, through any Relu / Relu6 (folded into the layer's clamp), as is a separate int8
 *   RELU / RELU6 after a layer that nothing else reads;
 * - a PAD in the input's zero point before a conv with the conv reading nothing else is folded into its padding
 *   when the kernels can pad that much, else it is a pad node; AVERAGE_POOL_2D / MAX_POOL_2D (QLinearAveragePool,
 *   MaxPool) are avgpool / maxpool nodes with the file's window (SAME's odd pixel at the bottom / right;
 *   to-model-window.ts);
 * - RESHAPE / Flatten is a view (ours is HWC memory); an NCHW tensor flattened in C, H, W order is only read
 *   by fc layers, whose weight columns are permuted;
 * - the classifier is the last fc by default; `classifier` picks another (the nodes after it are dropped);
 *   `classes` other than its outputs gives it fresh weights (transfer learning), as for the built-ins.
 * Whatever else the file holds throws an ImportError naming the op, the node and what is supported; the model
 * is checked by writing and re-reading it as a model file, so nothing half-loaded comes out.
 */
import { withInferredBlocks } from '../models/blocks';
import { assembleModel, type LayerSpec } from '../models/generic';
import { ModelError, modelToFile, type Model, type RequantMode } from '../models/model';
import { INPUT, type ModelNode } from '../models/nodes';
import { ModelFileError, parseModelFile, writeModelFile } from '../model-file';
import type { QParams } from '../quant';
import { NODES_WITHOUT_KERNELS } from '../forward';
import { checkRelu6, hwcShape, layerSpec, qparamsOf, refuse, type ConvDesc } from './to-model-layers';
import { padOp, poolOp } from './to-model-window';
import { ImportError, type ModelDescription, type OpDesc, type TensorDesc } from './types';

export interface ToModelOptions {
  /** The model's name (default 'imported'). */
  name?: string;
  /** Which fc is the classifier, counted over the file's fc layers from 0 (default: the last). */
  classifier?: number;
  /** Classes of the classifier (default: its outputs). */
  classes?: number;
  /** Replace the classifier by a freshly initialized one (default: when `classes` differs from its outputs). */
  freshClassifier?: boolean;
  /** Seed of a fresh classifier. */
  seed?: number;
  /** Requantization to run the model with (default: what the file declares, else its runtime's: TFLite's
   * fixed point for .tflite, half-to-even float for .onnx). */
  requant?: RequantMode;
}

/** The requantization a file declares: TinyTrain's exports name the arithmetic they were trained with. */
export function declaredRequant(d: ModelDescription): RequantMode | null {
  const m = /^TinyTrain Playground.*; requant (float-half-away|tflite-fixed|float-half-even|tflite-xnnpack)\b/.exec(
    d.producer,
  );
  return m ? (m[1] as RequantMode) : null;
}

/** Our value of a file tensor: a node (or the input) and, for an NCHW tensor flattened, its [c, h, w]. */
type Rep = { node: number; chw: [number, number, number] | null };

const ACCEPTED =
  'conv (rectangular kernels too), depthwise conv, fully connected, add, global average pool / mean, ' +
  'average / max pool, pad, reshape / flatten, relu / relu6 after a layer, quantize / dequantize at the edges, ' +
  'softmax at the end';

const REQUANT: Record<ModelDescription['format'], RequantMode> = { tflite: 'tflite-fixed', onnx: 'float-half-even' };

export class Mapper {
  readonly nodes: ModelNode[] = [];
  /** Nodes whose output quantization waits for the QuantizeLinear after them (QDQ). */
  readonly pending = new Set<number>();
  readonly layers: LayerSpec[] = [];
  /** Per layer: its file op and whether its clamp is a RELU6 (checked once the output quantization is known). */
  readonly layerOps: { op: OpDesc; relu6: boolean }[] = [];
  readonly shapes: number[][] = [];
  readonly rep = new Map<number, Rep>();
  readonly readers = new Map<number, OpDesc[]>();
  readonly names = new Set<string>();
  /** The file op of each pool / pad node (for messages). */
  readonly sources = new Map<number, OpDesc>();
  /** File tensors consumed by folding (a PAD's output): tensor -> [top, left, bottom, right] to add. */
  readonly prePad = new Map<number, { from: number; pad: number[] }>();
  input: QParams | null = null;
  inputShape: number[] = [];

  constructor(readonly d: ModelDescription) {
    for (const op of d.ops)
      for (const t of op.inputs) if (t !== null) (this.readers.get(t) ?? this.readers.set(t, []).get(t)!).push(op);
  }

  shapeOf(node: number) {
    return node === INPUT ? this.inputShape : this.shapes[node];
  }
  ourShape(t: number) {
    return hwcShape(this.d.tensors[t].shape, this.d.layout);
  }
  repOf(t: number, op: OpDesc): Rep {
    const r = this.rep.get(t);
    if (!r) return refuse(op, `reads ${this.d.tensors[t].name}, which no supported op produced`);
    return r;
  }
  /**
   * A unique node name: the ONNX node's; for TFLite (ops have no names) its output tensor's when that is a short
   * plain name (an exported model's), else the op and its index ('conv_2d#3').
   */
  nameOf(op: OpDesc, suffix = ''): string {
    const t = this.d.tensors[op.outputs[0]]?.name ?? '';
    const plain = t.length > 0 && t.length <= 64 && !/[;\s]/.test(t);
    const named = op.name.startsWith('#') ? (plain ? t : `${op.sourceOp.toLowerCase()}${op.name}`) : op.name;
    const base = named + suffix;
    let name = base;
    for (let i = 2; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  push(n: ModelNode, shape: number[]): number {
    this.nodes.push(n);
    this.shapes.push(shape);
    return this.nodes.length - 1;
  }
  /** Our output quantization of a file tensor: int8 now, or pending until a QuantizeLinear (QDQ). */
  outQuant(t: number, op: OpDesc): { q: QParams; pending: boolean } {
    const td = this.d.tensors[t];
    if (td.dtype === 'float32' && this.d.quantStyle === 'qdq') return { q: { scale: 1, zeroPoint: 0 }, pending: true };
    return { q: qparamsOf(td, op), pending: false };
  }
  /** A view of `r` as file tensor t's shape: a reshape node when the shapes differ. */
  view(r: Rep, t: number, name: () => string): Rep {
    const shape = this.ourShape(t);
    const have = this.shapeOf(r.node);
    if (have.join() === shape.join()) return r;
    return { node: this.push({ op: 'reshape', name: name(), inputs: [r.node], block: -1, shape }, shape), chw: r.chw };
  }

  run(): void {
    const { inputs, outputs } = this.d;
    if (this.d.needsQuantization)
      throw new ImportError(
        'unsupported-dtype',
        'a float32 model must be quantized (calibrated) before it is imported: open it on the page, which ' +
          'quantizes it, or run npx tinytrain quantize --model FP32.onnx --data mnist|fashion-mnist --out INT8.onnx',
      );
    if (inputs.length !== 1 || outputs.length !== 1) {
      const what = `${inputs.length} inputs and ${outputs.length} outputs`;
      throw new ImportError('invalid', `the model has ${what}; one of each is supported`);
    }
    const inT = this.d.tensors[this.d.inputs[0]];
    const s = this.ourShape(inT.id);
    this.inputShape = s.length === 3 ? s : [1, 1, s[0]];
    if (inT.dtype === 'int8') this.input = qparamsOf(inT, this.d.ops[0]);
    this.rep.set(inT.id, { node: INPUT, chw: null });
    for (const op of this.d.ops) this.op(op);
  }

  op(op: OpDesc): void {
    const out = op.outputs[0];
    const x = op.inputs[0]!;
    switch (op.kind) {
      case 'quantize': {
        if (x === this.d.inputs[0]) {
          this.input = qparamsOf(this.d.tensors[out], op);
          this.rep.set(out, this.repOf(x, op));
          return;
        }
        const r = this.repOf(x, op);
        let at = r.node;
        while (at !== INPUT && this.nodes[at].op === 'reshape') at = this.nodes[at].inputs[0];
        if (!this.pending.has(at)) return refuse(op, 'requantizing an int8 tensor inside the model is not supported');
        this.setQuant(at, qparamsOf(this.d.tensors[out], op));
        this.rep.set(out, r);
        return;
      }
      case 'dequantize':
        this.rep.set(out, this.repOf(x, op));
        return;
      case 'softmax':
        if (!this.d.outputs.includes(out) && !this.endsInDequantize(out))
          refuse(op, 'softmax is supported only at the output (training uses its own softmax cross-entropy)');
        this.rep.set(out, this.repOf(x, op));
        return;
      case 'relu':
      case 'relu6':
        return this.activation(op, x, out);
      case 'reshape':
        return void this.rep.set(out, this.reshape(op, x, out));
      case 'pad':
        return padOp(this, op, x, out);
      case 'add':
        return this.add(op, out);
      case 'mean':
        return this.mean(op, x, out);
      case 'averagePool2d':
      case 'maxPool2d':
        return poolOp(this, op, x, out);
      case 'conv2d':
      case 'depthwiseConv2d':
      case 'fullyConnected':
        return this.layer(op, x, out);
    }
  }

  endsInDequantize(t: number): boolean {
    return (this.readers.get(t) ?? []).every((r) => r.kind === 'dequantize' && this.d.outputs.includes(r.outputs[0]));
  }

  setQuant(node: number, q: QParams) {
    const n = this.nodes[node];
    this.pending.delete(node);
    if (n.op === 'layer') {
      this.layers[n.conv].output = q;
      if (this.layerOps[n.conv].relu6) checkRelu6(this.layerOps[n.conv].op, q);
    } else if ('output' in n) n.output = q;
  }

  activation(op: OpDesc, x: number, out: number) {
    const r = this.repOf(x, op);
    const n = this.nodes[r.node];
    if (n?.op !== 'layer' || (this.readers.get(x) ?? []).length !== 1)
      return refuse(op, 'a relu / relu6 is supported only right after a conv-like layer that nothing else reads');
    const layer = this.layers[n.conv];
    const extra = this.layerOps[n.conv];
    const pending = this.pending.has(r.node);
    layer.relu = true;
    if (op.kind === 'relu6') Object.assign(extra, { relu6: true, op });
    if (!pending) layer.output = qparamsOf(this.d.tensors[out], op);
    if (extra.relu6 && !pending) checkRelu6(op, layer.output);
    this.rep.set(out, r);
  }

  reshape(op: OpDesc, x: number, out: number): Rep {
    const r = this.repOf(x, op);
    const from = this.ourShape(x);
    const to = this.ourShape(out);
    let chw = r.chw;
    if (to.length === 3 && from.join() !== to.join()) {
      // our tensors have no reshaping view into [h, w, c]; at the input the bytes are the same, so the model
      // input takes the shape (a vector input [n] is row-major H, W, C memory in NHWC, or with one channel)
      const onlyReader = (this.readers.get(x) ?? []).length === 1;
      const hwcOrder = this.d.layout === 'NHWC' || to[2] === 1;
      if (r.node !== INPUT || from.length !== 1 || !onlyReader || !hwcOrder)
        return refuse(op, `reshaping into [${to.join(', ')}] is supported only at a vector model input`);
      this.inputShape = to;
      return r;
    }
    if (this.d.layout === 'NCHW' && from.length === 3 && from[2] > 1 && from[0] * from[1] > 1) {
      if (to.length !== 1) return refuse(op, 'reshaping an NCHW tensor other than flattening it is not supported');
      chw = [from[2], from[0], from[1]];
    } else if (chw) return refuse(op, 'reshaping a flattened NCHW tensor again is not supported');
    return this.view({ ...r, chw }, out, () => this.nameOf(op));
  }

  /** The quantization of a node's output (a reshape passes its input's through). */
  quantOf(r: number): QParams {
    while (r !== INPUT && this.nodes[r].op === 'reshape') r = this.nodes[r].inputs[0];
    if (r === INPUT) return this.input!;
    const n = this.nodes[r];
    return n.op === 'layer' ? this.layers[n.conv].output : (n as { output: QParams }).output;
  }

  /** Max pool and pad keep their input's quantization (as TFLite and ONNX require); checked once all are known. */
  checkSharedQuant() {
    this.nodes.forEach((n) => {
      if (n.op !== 'maxpool' && n.op !== 'pad') return;
      const a = this.quantOf(n.inputs[0]);
      if (a.scale !== n.output.scale || a.zeroPoint !== n.output.zeroPoint)
        throw new ImportError(
          'unsupported-op',
          `node ${n.name} (${n.op}): its output quantization differs from its input's; it must keep it`,
        );
    });
  }

  add(op: OpDesc, out: number) {
    if (op.kind === 'add' && op.options.activation !== 'none')
      refuse(op, 'an add with a fused activation is not supported');
    const [a, b] = op.inputs.map((t) => this.repOf(t!, op));
    if (a.chw || b.chw) refuse(op, 'adding flattened NCHW tensors is not supported');
    const { q, pending } = this.outQuant(out, op);
    const node = this.push(
      { op: 'add', name: this.nameOf(op), inputs: [a.node, b.node], block: -1, output: q },
      this.shapeOf(a.node),
    );
    if (pending) this.pending.add(node);
    this.rep.set(out, { node, chw: null });
  }

  mean(op: Extract<OpDesc, { kind: 'mean' }>, x: number, out: number) {
    const want = this.d.layout === 'NHWC' ? '1,2' : '2,3';
    if ([...op.options.axes].sort().join() !== want)
      refuse(op, `a mean over axes ${op.options.axes} (only the spatial axes: a global pool)`);
    const r = this.repOf(x, op);
    const [, , c] = this.shapeOf(r.node);
    const { q, pending } = this.outQuant(out, op);
    const node = this.push({ op: 'mean', name: this.nameOf(op), inputs: [r.node], block: -1, output: q }, [c]);
    if (pending) this.pending.add(node);
    this.rep.set(
      out,
      this.view({ node, chw: null }, out, () => this.nameOf(op, ':view')),
    );
  }

  layer(op: ConvDesc, x: number, out: number) {
    const folded = this.prePad.get(x);
    const r = this.repOf(x, op);
    if (r.chw && op.kind !== 'fullyConnected') refuse(op, 'reads a flattened NCHW tensor; only an fc may');
    const { q, pending } = this.outQuant(out, op);
    const fc = op.kind === 'fullyConnected';
    const inShape = this.shapeOf(r.node);
    const outShape = fc ? [this.d.tensors[op.inputs[1]!].shape[0]] : this.ourShape(out);
    if (folded) {
      const padded = this.ourShape(x);
      const [h, w] = this.shapeOf(this.repOf(folded.from, op).node);
      if (padded[0] !== h + folded.pad[0] + folded.pad[2] || padded[1] !== w + folded.pad[1] + folded.pad[3])
        refuse(op, 'the PAD before it does not pad the spatial dimensions only');
    }
    const name = this.nameOf(op);
    const spec = layerSpec(op, name, {
      layout: this.d.layout,
      tensors: this.d.tensors,
      inShape,
      outShape,
      chw: r.chw,
      prePad: folded?.pad ?? [0, 0, 0, 0],
      output: q,
      relu: op.options.activation !== 'none',
    });
    const index = this.layers.length;
    this.layers.push(spec);
    this.layerOps.push({ op, relu6: op.options.activation === 'relu6' });
    if (!pending && op.options.activation === 'relu6') checkRelu6(op, q);
    const node = this.push({ op: 'layer', name, inputs: [r.node], block: -1, conv: index }, outShape);
    if (pending) this.pending.add(node);
    this.rep.set(out, { node, chw: null });
  }

  /** The fc layers' node indices, in order. */
  fcNodes(): number[] {
    return this.nodes.flatMap((n, i) => (n.op === 'layer' && this.layers[n.conv].kind === 'fc' ? [i] : []));
  }

  /** The node of the classifier: the fc the output comes from, or the chosen one. */
  classifierNode(o: ToModelOptions): number {
    const first = [...this.pending][0];
    if (first !== undefined)
      throw new ImportError('invalid', `node ${this.nodes[first].name}: its float output is never quantized`);
    const outRep = this.rep.get(this.d.outputs[0]);
    const last = outRep ? this.nodes[outRep.node] : undefined;
    if (!outRep || last?.op !== 'layer' || this.layers[last.conv].kind !== 'fc') {
      const from = last?.name ?? 'the input';
      throw new ImportError(
        'unsupported-op',
        `the model must end in a fully connected layer (the classifier); its output comes from ${from}`,
      );
    }
    const fcs = this.fcNodes();
    const pick = o.classifier ?? fcs.indexOf(outRep.node);
    if (!Number.isInteger(pick) || pick < 0 || pick >= fcs.length) {
      const n = fcs.length;
      throw new ImportError(
        'invalid',
        `classifier ${o.classifier}: the model has ${n} fully connected layers (0-${n - 1})`,
      );
    }
    return fcs[pick];
  }

  /** The model: the classifier last (nodes after it dropped), conv indices renumbered, checked as a model file. */
  finish(o: ToModelOptions): Model {
    if (!this.input) throw new ImportError('invalid', 'the model input is not int8 and not quantized at the edge');
    const missing = this.nodes.findIndex((n) => NODES_WITHOUT_KERNELS.has(n.op));
    if (missing >= 0)
      refuse(this.sources.get(missing)!, `the ${this.nodes[missing].op} node has no kernel in the training plan yet`);
    const cut = this.classifierNode(o);
    this.checkSharedQuant();
    const order: number[] = [];
    const nodes = this.nodes.slice(0, cut + 1).map((n, i): ModelNode => {
      if (n.op !== 'layer') return n;
      if (i === cut) return { ...n, conv: -1 };
      order.push(n.conv);
      return { ...n, conv: order.length - 1 };
    });
    const cls = this.layers[(this.nodes[cut] as { conv: number }).conv];
    const layers = [...order.map((c) => this.layers[c]), cls];
    const classes = o.classes ?? cls.outC;
    const parts = {
      name: o.name ?? 'imported',
      inputShape: this.inputShape as [number, number, number],
      input: this.input,
      layers,
      nodes,
      requant: o.requant ?? declaredRequant(this.d) ?? REQUANT[this.d.format],
      source: 'imported' as const,
      seed: o.seed ?? 1,
    };
    try {
      const m = withInferredBlocks(assembleModel(parts, classes, o.freshClassifier ?? classes !== cls.outC));
      const { manifest, bin } = writeModelFile(modelToFile(m));
      parseModelFile(manifest, bin);
      return m;
    } catch (e) {
      if (e instanceof ModelError || e instanceof ModelFileError) throw new ImportError('invalid', e.message);
      throw e;
    }
  }
}

/** The generic model of an imported file; throws ImportError (one line) on anything it cannot express. */
export function descriptionToModel(d: ModelDescription, o: ToModelOptions = {}): Model {
  const m = new Mapper(d);
  m.run();
  return m.finish(o);
}

/** The fully connected layers of an imported file, in order: the classifier choices (the default is the last). */
export function classifierChoices(d: ModelDescription): { index: number; name: string; outputs: number }[] {
  const m = new Mapper(d);
  m.run();
  return m.fcNodes().map((i, index) => {
    const l = m.layers[(m.nodes[i] as { conv: number }).conv];
    return { index, name: l.name, outputs: l.outC };
  });
}
