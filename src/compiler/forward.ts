/**
 * The forward (inference) graph of a model, one walk of its node list (models/nodes.ts): conv / pointwise /
 * depthwise / fc layers, adds, the global average pool, reshapes (views: an fc reads the tensor as it is) and
 * the softmax cross-entropy loss on the classifier's logits. No masks yet (autodiff adds them).
 * Per-layer derived constants (requantization multipliers, QAS gradient scales) are computed once per model
 * layer and cached, so recompiling for another scheme allocates no per-channel arrays; weights, biases and
 * weight scales alias the model's arrays.
 */
import { convShape, type Quant } from './kernel-abi';
import { GraphBuilder, type Graph } from './ir/graph';
import { layerKind } from './layer-kinds';
import { layerAt, ModelError, type ConvLayer, type Model } from './models/model';
import { walkNodes, type ModelNode, type NodeOf, type NodeOp } from './models/nodes';
import {
  activationRange,
  addMultipliers,
  avgpoolMultiplier,
  biasGradScale,
  requantMultipliers,
  weightGradScale,
} from './quant';

/** Cached per-layer constants. */
export interface LayerConsts {
  mult: Float32Array;
  gscaleW: { qas: Float32Array; plain: Float32Array };
  gscaleB: { qas: Float32Array; plain: Float32Array };
}
const cache = new WeakMap<ConvLayer, LayerConsts>();

export function layerConsts(l: ConvLayer): LayerConsts {
  let c = cache.get(l);
  if (!c) {
    c = {
      mult: requantMultipliers(l.input.scale, l.weightScale, l.output.scale),
      gscaleW: { qas: weightGradScale(l.weightScale, true), plain: weightGradScale(l.weightScale, false) },
      gscaleB: {
        qas: biasGradScale(l.weightScale, l.input.scale, true),
        plain: biasGradScale(l.weightScale, l.input.scale, false),
      },
    };
    cache.set(l, c);
  }
  return c;
}

export function layerQuant(l: ConvLayer): Quant {
  return { inZp: l.input.zeroPoint, outZp: l.output.zeroPoint, ...activationRange(l.output, l.relu) };
}

export function layerConvShape(l: ConvLayer) {
  return convShape({
    inH: l.inH,
    inW: l.inW,
    inC: l.inC,
    outH: l.outH,
    outW: l.outW,
    outC: l.outC,
    kernel: l.kernel,
    stride: l.stride,
    pad: l.pad,
  });
}

/** Appends one conv-like layer reading tensor x; returns its output tensor. */
function addLayer(b: GraphBuilder, l: ConvLayer, x: number): number {
  const shape = layerConvShape(l);
  const param = (suffix: string, t: Omit<Parameters<GraphBuilder['tensor']>[0], 'name' | 'layer'>) =>
    b.tensor({ ...t, name: `${l.name}.${suffix}`, layer: l.index });
  const row = layerKind(l);
  const w = param('weight', { shape: row.weightShape(l), dtype: 'int8', varType: 'weight', data: l.weight });
  const bias = param('bias', { shape: [l.outC], dtype: 'int32', varType: 'bias', data: l.bias });
  const mult = param('mult', { shape: [l.outC], dtype: 'float32', varType: 'const', data: layerConsts(l).mult });
  const yShape = row.outShape(l);
  const y = b.tensor({
    name: l.index === -1 ? 'logits' : `${l.name}:out`,
    shape: yShape,
    dtype: 'int8',
    varType: 'activation',
    quant: l.output,
  });
  b.op({
    kind: l.kind,
    name: l.name,
    phase: 'forward',
    inputs: [x, w, bias, mult],
    outputs: [y],
    attrs: { shape, quant: layerQuant(l) },
    layer: l.index,
  });
  return y;
}

/** Appends an add of two earlier tensors (a residual: the block's input plus its last layer's output). */
function addSum(b: GraphBuilder, n: NodeOf<ModelNode, 'add'>, blockIn: number, x: number): number {
  const out = n.output;
  const a = b.tensors[blockIn];
  const p = b.tensors[x];
  const { ma, mb } = addMultipliers(a.quant!, p.quant!, out);
  const y = b.tensor({ name: `${n.name}:out`, shape: p.shape, dtype: 'int8', varType: 'activation', quant: out });
  const quant = { inZp: a.quant!.zeroPoint, outZp: out.zeroPoint, actMin: -128, actMax: 127 };
  b.op({
    kind: 'add',
    name: n.name,
    phase: 'forward',
    inputs: [blockIn, x],
    outputs: [y],
    attrs: { quant, bZp: p.quant!.zeroPoint, ma, mb },
  });
  return y;
}

/** Appends the global average pool reading x ([h, w, c]); returns the pooled vector. */
function addPool(b: GraphBuilder, n: NodeOf<ModelNode, 'mean'>, x: number): number {
  const t = b.tensors[x];
  if (t.shape.length !== 3)
    throw new ModelError(`${n.name}: a global pool reads [h, w, c], got [${t.shape.join(', ')}]`);
  const [h, w, c] = t.shape;
  const input = t.quant!;
  const out = n.output;
  const pooled = b.tensor({ name: `${n.name}:out`, shape: [c], dtype: 'int8', varType: 'activation', quant: out });
  const m0 = avgpoolMultiplier(input, out, h, w);
  b.op({
    kind: 'avgpool',
    name: n.name,
    phase: 'forward',
    inputs: [x],
    outputs: [pooled],
    attrs: { h, w, c, inZp: input.zeroPoint, outZp: out.zeroPoint, m: m0 },
  });
  return pooled;
}

/**
 * Node ops the graph cannot build yet: windowed pools and explicit padding wait for their kernels (a parallel
 * branch adds them). The importer refuses models using them, naming the op; a row here replaces an entry.
 */
export const NODES_WITHOUT_KERNELS: ReadonlySet<NodeOp> = new Set<NodeOp>(['avgpool', 'maxpool', 'pad']);
const notYet = (n: ModelNode): never => {
  throw new ModelError(`${n.name}: the ${n.op} node has no kernel in the training plan yet`);
};

/** The forward graph of a model (inference form). */
export function buildForwardGraph(m: Model): Graph {
  const b = new GraphBuilder();
  const input = b.tensor({
    name: 'input',
    shape: [...m.inputShape],
    dtype: 'int8',
    varType: 'input',
    quant: m.input,
  });
  const label = b.tensor({ name: 'label', shape: [1], dtype: 'int32', varType: 'label' });
  const logits = walkNodes(m.nodes, input, {
    layer: (n, [x]) => addLayer(b, layerAt(m, n.conv), x),
    add: (n, [a, x]) => addSum(b, n, a, x),
    mean: (n, [x]) => addPool(b, n, x),
    reshape: (_n, [x]) => x,
    avgpool: notYet,
    maxpool: notYet,
    pad: notYet,
  });
  const loss = b.tensor({ name: 'loss', shape: [1], dtype: 'float32', varType: 'loss' });
  const lq = m.classifier.output;
  b.op({
    kind: 'softmax_xent',
    name: 'loss',
    phase: 'forward',
    inputs: [logits, label],
    outputs: [loss],
    attrs: { n: m.classes, zp: lq.zeroPoint, scale: Math.fround(lq.scale) },
  });
  return b.build({ input, label, logits, loss });
}
